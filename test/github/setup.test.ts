import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { builtInSystems, settingsFromEnv } from "../../src/systems.ts";
import { configSchema, type LoadedConfig } from "../../src/config.ts";
import { committedPaths } from "../../src/github/records.ts";
import { notConfigured, notConfiguredNotice, PLACEHOLDER_INFINITI_URL } from "../../src/github/setup.ts";

let root = "";
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "patron-sync-setup-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const loaded = (raw: object): LoadedConfig => ({
  config: configSchema.parse(raw) as LoadedConfig["config"],
  path: join(root, "patron-sync.yml"),
  root,
});

describe("notConfigured", () => {
  it("names what is missing when the repository never planned and has no Alma key", () => {
    const missing = notConfigured(loaded({ alma: {}, infiniti: {} }), settingsFromEnv({}));
    expect(missing).toEqual([
      "no Alma API key (secret ALMA_READ_API_KEY or ALMA_API_KEY)",
      `infiniti.url is still the template's ${PLACEHOLDER_INFINITI_URL}`,
    ]);
    expect(notConfiguredNotice(missing!)).toMatch(
      /^patron-sync is not configured yet: see docs\/setup\.md \(missing: /,
    );
  });
  it("is configured with a key and a real Infiniti address, or for the one system chosen", () => {
    const l = loaded({ alma: {}, infiniti: { url: "https://school.concordinfiniti.com" } });
    expect(notConfigured(l, settingsFromEnv({ ALMA_API_KEY: "k" }))).toBeUndefined();
    expect(notConfigured(l, settingsFromEnv({}), "infiniti")).toBeUndefined();
    expect(
      notConfigured(
        loaded({ alma: {}, infiniti: {} }),
        settingsFromEnv({ ALMA_API_KEY: "k", INFINITI_URL: "http://x" }),
      ),
    ).toBeUndefined();
  });
  it("once a plan exists, a missing key is an error again, not a quiet notice", () => {
    mkdirSync(join(root, "plans", "20250101T000000Z"), { recursive: true });
    writeFileSync(join(root, "plans", "20250101T000000Z", "plan.json"), "{}");
    expect(notConfigured(loaded({ alma: {} }), settingsFromEnv({}))).toBeUndefined();
  });
});

describe("committedPaths", () => {
  it("leaves the record files out unless commit_records", () => {
    const systems = builtInSystems();
    expect(committedPaths("plans/x", true, systems)).toEqual(["plans/x"]);
    expect(committedPaths("plans/x", false, systems)).toEqual([
      "plans/x",
      ":(exclude)plans/x/alma/all_patrons.xml",
      ":(exclude)plans/x/alma/processed_results.xml",
      ":(exclude)plans/x/alma/patrons.csv",
      ":(exclude)plans/x/infiniti/import.csv",
      ":(exclude,glob)plans/x/**/*.part",
    ]);
  });
});
