/**
 * Where the plan sets INACTIVE or removes a barcode whose segment_type is External, it warns that a
 * SIS load may restore it: per patron in alma/plan.json and in plan.md.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { decide, type BarcodeLookup } from "../../src/alma/decide.ts";
import { parseUser } from "../../src/alma/xml.ts";
import { almaDefaults } from "../../src/config.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { runPlan } from "../../src/run.ts";
import { startAlmaSimulator, type AlmaSimulator } from "../../src/simulators/alma.ts";
import { fixture } from "../helpers/fixtures.ts";

const found = (barcode: string) => (): BarcodeLookup => ({ kind: "found", entry: { barcode, line: 1 } });
const ident = (value: string, seg: string, status = "ACTIVE") =>
  `<user_identifier segment_type="${seg}"><id_type>BARCODE</id_type><value>${value}</value><status>${status}</status></user_identifier>`;
const user = (ids: string) =>
  parseUser(`<user><primary_id>P1</primary_id><user_identifiers>${ids}</user_identifiers></user>`);

describe("decide: External barcodes", () => {
  it("deactivate and replace of an External barcode carry the warning; Internal ones and keep do not", () => {
    const u = user(
      ident("EXT-1", "External") + ident("INT-1", "Internal") + ident("EXT-OLD", "External", "INACTIVE"),
    );
    const d = decide(u, found("NEW-1"), almaDefaults({ existing_barcode: "deactivate" }));
    expect(d.action).toBe("deactivate");
    expect(d.external).toEqual(["EXT-1"]); // only ACTIVE ones are affected
    expect(d.warning).toBe(
      "EXT-1 is External (segment_type External: loaded from the student information system) and set INACTIVE here; a later SIS load may restore it. Correct the barcode in the SIS as well",
    );
    const r = decide(
      user(ident("EXT-1", "External") + ident("EXT-2", "external")),
      found("NEW-1"),
      almaDefaults({ existing_barcode: "replace" }),
    );
    expect(r.warning).toMatch(
      /^EXT-1, EXT-2 are External .* and removed here; a later SIS load may restore them/,
    );

    expect(decide(user(ident("INT-1", "Internal")), found("NEW-1"), almaDefaults()).warning).toBeUndefined();
    expect(
      decide(user(ident("EXT-1", "External")), found("NEW-1"), almaDefaults({ existing_barcode: "keep" }))
        .warning,
    ).toBeUndefined();
    expect(
      decide(user(ident("OLD", "External", "INACTIVE")), found("NEW-1"), almaDefaults()).warning,
    ).toBeUndefined();
  });
});

describe("plan: the External warning in plan.json and plan.md", () => {
  let sim: AlmaSimulator | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("an EXTERNAL user's barcode with an empty or unknown segment_type counts as External (rest_user.xsd)", () => {
    const external = (ids: string, account = "EXTERNAL") =>
      parseUser(
        `<user><primary_id>P1</primary_id><account_type desc="External">${account}</account_type><user_identifiers>${ids}</user_identifiers></user>`,
      );
    const noSegment = `<user_identifier><id_type>BARCODE</id_type><value>NOSEG-1</value><status>ACTIVE</status></user_identifier>`;
    const cfg = almaDefaults({ existing_barcode: "deactivate" });
    for (const ids of [noSegment, ident("EMPTY-1", ""), ident("ODD-1", "Sis")]) {
      const d = decide(external(ids), found("NEW-1"), cfg);
      expect(d.external).toHaveLength(1);
      expect(d.warning).toMatch(
        /^\S+ is External \(an EXTERNAL user's identifier whose segment_type is not Internal counts as External: loaded from the student information system\) and set INACTIVE here; a later SIS load may restore it/,
      );
    }
    // Internal stays internal; on an INTERNAL user an empty segment is internal too.
    expect(decide(external(ident("INT-1", "Internal")), found("NEW-1"), cfg).external).toBeUndefined();
    expect(decide(external(noSegment, "INTERNAL"), found("NEW-1"), cfg).external).toBeUndefined();
    // A literal External keeps the words it had.
    expect(decide(external(ident("EXT-1", "External")), found("NEW-1"), cfg).warning).toContain(
      "(segment_type External: loaded",
    );
  });

  it("names the patron, the External barcode and the SIS; Internal changes are not flagged", async () => {
    sim = await startAlmaSimulator({
      apiKey: "k",
      users: [
        { xml: fixture("alma/users/external_sis.xml") }, // S0071234: ACTIVE BARCODE 20000111, segment External
        {
          xml: `<user><record_type>PUBLIC</record_type><primary_id>I1</primary_id><first_name>In</first_name><last_name>Ternal</last_name><account_type>INTERNAL</account_type><status>ACTIVE</status><user_identifiers>${ident("OLD-I1", "Internal")}</user_identifiers></user>`,
        },
      ],
    });
    dir = mkdtempSync(join(tmpdir(), "ps-external-"));
    mkdirSync(join(dir, "data"), { recursive: true });
    writeFileSync(join(dir, "data", "patrons.txt"), "S0071234\nI1\n");
    writeFileSync(join(dir, "data", "barcodes.txt"), "S0071234|21234000999999\nI1|21234000888888\n");
    writeFileSync(
      join(dir, "patron-sync.yml"),
      "alma:\n  patrons: data/patrons.txt\n  barcodes: data/barcodes.txt\n  rate_limit: 25\n  min_remaining: 0\n  existing_barcode: replace\n",
    );
    const log = memoryLogger();
    const plan = await runPlan({
      cwd: dir,
      env: { ALMA_API_KEY: "k", ALMA_BASE_URL: sim.url },
      log,
      out: "plans/p1",
    });

    const entries = JSON.parse(readFileSync(join(plan.planDir, "alma", "plan.json"), "utf8")).patrons as {
      primary_id: string;
      action: string;
      external_affected?: string[];
      warning?: string;
    }[];
    const s = entries.find((e) => e.primary_id === "S0071234")!;
    expect(s).toMatchObject({ action: "replace", external_affected: ["20000111"] });
    expect(s.warning).toMatch(/^20000111 is External .* removed here; a later SIS load may restore it/);
    const i = entries.find((e) => e.primary_id === "I1")!;
    expect(i.action).toBe("replace");
    expect(i.warning).toBeUndefined();
    expect(i.external_affected).toBeUndefined();

    const md = readFileSync(join(plan.planDir, "plan.md"), "utf8");
    // The warning comes before the other rows (risky first), and ends where the next table starts.
    const start = md.indexOf("### ⚠ External barcodes: a SIS load may restore them");
    expect(start).toBeLessThan(md.indexOf("### Look at these first"));
    const section = md.slice(start, md.indexOf("\n### ", start));
    expect(section).toMatch(/^### ⚠ External barcodes/);
    expect(section).toMatch(/\| S0071234 \| [^|]+ \| `replace` \| 20000111 \| 21234000999999 \|/);
    expect(section).not.toContain("| I1 |");
    expect(md).toMatch(/\| I1 \| [^|]+ \| [^|]+ \| `replace` \| OLD-I1 → /); // in the changes table, without the warning
    expect(log.lines.some((l) => /1 change sets INACTIVE or removes an External barcode/.test(l))).toBe(true);
  });
});
