import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { almaSettingsFromEnv } from "../src/alma/settings.ts";
import { almaBaseUrl, almaDefaults, loadConfig, parseConfig } from "../src/config.ts";
import { InputError } from "../src/core/errors.ts";
import { removeTempDirs, tempDir } from "./helpers/tmp.ts";

afterEach(removeTempDirs);

const problemsOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return e.problems;
    throw e;
  }
  throw new Error("expected an InputError");
};

describe("config", () => {
  it("fills defaults for the documented keys", () => {
    const c = parseConfig("alma:\n  patrons: a.txt\n", "patron-sync.yml");
    expect(c.alma).toMatchObject({
      patrons: "a.txt",
      barcodes: "data/alma/library_barcode_full_list.txt",
      region: "na",
      user_id_type: "all_unique",
      match_on: "primary_id",
      barcode_type: "BARCODE",
      existing_barcode: "deactivate",
      rate_limit: 20,
      min_remaining: 5000,
    });
    expect(c.infiniti).toBeUndefined();
  });

  it("names the key path, line and column of a bad value", () => {
    const text = "alma:\n  region: na\n  existing_barcode: overwrite\n";
    const [p] = problemsOf(() => parseConfig(text, "patron-sync.yml"));
    expect(p).toMatchObject({ file: "patron-sync.yml", line: 3, column: 21 });
    expect(p!.message).toContain("'alma.existing_barcode'");
  });

  it("refuses unknown keys by path, and a rate above Alma's 25/s", () => {
    const problems = problemsOf(() => parseConfig("alma:\n  barcode_typ: X\n  rate_limit: 40\n", "c.yml"));
    expect(problems.map((p) => p.message).join("\n")).toMatch(/unknown key 'alma.barcode_typ'/);
    expect(problems.map((p) => p.message).join("\n")).toMatch(/'alma.rate_limit'/);
  });

  it("reports YAML syntax errors with a line", () => {
    const [p] = problemsOf(() => parseConfig("alma:\n  patrons: [a\n", "c.yml"));
    expect(p!.message).toMatch(/not valid YAML/);
    expect(p!.line).toBeGreaterThan(0);
  });

  it("a missing config file is an input error naming it", async () => {
    const dir = tempDir("ps-cfg-");
    await expect(loadConfig("nope.yml", dir)).rejects.toThrow(/nope.yml: the config file does not exist/);
    writeFileSync(join(dir, "ok.yml"), "infiniti: {}\n");
    const loaded = await loadConfig("ok.yml", dir);
    expect(loaded.root).toBe(dir);
    expect(loaded.config.infiniti?.mode).toBe("incremental");
  });

  it("ALMA_BASE_URL overrides the region's host", () => {
    const alma = almaDefaults({ region: "eu" });
    expect(almaBaseUrl(alma, almaSettingsFromEnv({}))).toBe("https://api-eu.hosted.exlibrisgroup.com");
    const env = almaSettingsFromEnv({ ALMA_BASE_URL: "http://127.0.0.1:9999/" });
    expect(almaBaseUrl(alma, env)).toBe("http://127.0.0.1:9999");
  });
  it("takes the patron list from a file or an Analytics report, and names a bad report key", () => {
    expect(parseConfig("alma:\n  patrons: a.txt\n", "c.yml").alma?.patrons).toBe("a.txt");
    expect(
      parseConfig("alma:\n  patrons:\n    analytics: /shared/U/Reports/No barcode\n", "c.yml").alma?.patrons,
    ).toEqual({ analytics: "/shared/U/Reports/No barcode", column: "Primary Identifier" });
    const p = problemsOf(() =>
      parseConfig("alma:\n  patrons:\n    analytics: /shared/x\n    colum: ID\n", "c.yml"),
    );
    expect(p.map((x) => x.message).join("\n")).toMatch(/colum/);
  });
});
