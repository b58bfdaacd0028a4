/**
 * Review at scale (#12): a plan with more than 5,000 Alma changes and a 1,200-user Infiniti roster,
 * against the Alma simulator. The pull request description (plan.md) must keep both sections, the
 * counts in the title must be the plan's, and the body must stay under GitHub's 65,536 characters.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { almaChangesRow, CHANGES_COLUMNS } from "../../src/alma/changes.ts";
import { readPlanEntries } from "../../src/alma/planfile.ts";
import { csvForPeople } from "../../src/core/csv.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { GITHUB_BODY_LIMIT, PLAN_MD_BUDGET } from "../../src/core/markdown.ts";
import { runPlan } from "../../src/run.ts";
import { generateUsers, startAlmaSimulator, type AlmaSimulator } from "../../src/simulators/alma.ts";
import { removeTempDirs, tempDir } from "../helpers/tmp.ts";

const KEY = "l8xx-scale-test-key";
const PATRONS = 7_200;
const ROSTER = 1_200;

let sim: AlmaSimulator;
const gen = generateUsers({ count: PATRONS, seed: 12 });

beforeAll(async () => {
  sim = await startAlmaSimulator({ apiKey: KEY, users: gen.users, perSecondLimit: 100_000 });
});
afterAll(async () => {
  await sim.close();
  removeTempDirs();
});

function roster(): string {
  const lines = ["username,givenname,surname,emailaddress,graduationyear,password,enabled,staffmember"];
  for (let i = 1; i <= ROSTER; i++) {
    const staff = i % 40 === 0;
    lines.push(
      `user${i},Given${i},Surname${i},user${i}@school.example,${staff ? "" : 2027},Pw-${i}-secret,y,${staff ? "y" : "n"}`,
    );
  }
  return lines.join("\n") + "\n";
}

describe("a 5,000-change plan", () => {
  it("keeps both sections, the title's counts and the body under GitHub's limit", async () => {
    const dir = tempDir("ps-scale-");
    mkdirSync(join(dir, "data", "alma"), { recursive: true });
    mkdirSync(join(dir, "data", "infiniti"), { recursive: true });
    writeFileSync(
      join(dir, "data", "alma", "patronlist_no_barcode.txt"),
      "Primary Identifier\n" + gen.patronIds.join("\n") + "\n",
    );
    writeFileSync(
      join(dir, "data", "alma", "library_barcode_full_list.txt"),
      gen.barcodeLines.join("\n") + "\n",
    );
    writeFileSync(join(dir, "data", "infiniti", "users.csv"), roster());
    writeFileSync(
      join(dir, "patron-sync.yml"),
      [
        "alma:",
        "  patrons: data/alma/patronlist_no_barcode.txt",
        "  barcodes: data/alma/library_barcode_full_list.txt",
        "  concurrency: 32",
        "  check_holders: false",
        "  min_remaining: 0",
        "infiniti:",
        "  users: data/infiniti/users.csv",
        "  url: https://school.concordinfiniti.example",
        "",
      ].join("\n"),
    );
    const env = { ALMA_API_KEY: KEY, ALMA_BASE_URL: sim.url, PATRON_SYNC_SIM_RATE_LIMIT: "5000" };
    const plan = await runPlan({ cwd: dir, env, log: memoryLogger(), out: "plans/example" });

    const alma = plan.sections.find((s) => s.system === "alma")!;
    const c = (k: string) => alma.counts[k] ?? 0;
    expect(alma.changes).toBeGreaterThanOrEqual(5_000);
    expect(c("deactivate")).toBeGreaterThan(500);
    const f = (n: number) => n.toLocaleString("en-US");
    expect(plan.title).toContain(
      `Alma ${f(c("add"))} add · ${f(c("deactivate"))} deactivate · ${f(c("replace"))} replace`,
    );
    expect(plan.title).toContain("Infiniti 1,200 create · 0 update · 0 disable");
    expect(plan.title).toMatch(/\d,\d{3} add/);

    const md = readFileSync(join(plan.planDir, "plan.md"), "utf8");
    expect(md).toBe(plan.markdown);
    expect(md.length).toBeLessThan(GITHUB_BODY_LIMIT);
    // Within its own budget, not only GitHub's limit (#19: it was 58,151 against 58,000).
    expect(md.length).toBeLessThanOrEqual(PLAN_MD_BUDGET);
    expect(md.length).toBeGreaterThan(40_000); // the budget is used, not left empty
    console.log(
      `plan.md for ${f(alma.changes)} Alma changes and ${f(ROSTER)} Infiniti users: ${f(md.length)} characters`,
    );
    // Both sections, each with its counts, risky rows first and the pointer to changes.csv.
    const almaAt = md.indexOf("## Alma barcode repair");
    const infAt = md.indexOf("## Concord Infiniti patron import");
    expect(almaAt).toBeGreaterThan(0);
    expect(infAt).toBeGreaterThan(almaAt);
    const almaPart = md.slice(almaAt, infAt);
    const infPart = md.slice(infAt);
    expect(almaPart).toMatch(/\| `deactivate` \| \d,\d{3} \|/);
    expect(almaPart.indexOf("### Look at these first")).toBeLessThan(almaPart.indexOf("### Other changes"));
    expect(almaPart).toMatch(/… and [\d,]+ more: see `alma\/changes\.csv`/);
    expect(almaPart).toContain(`All ${f(alma.changes)} planned changes are in \`alma/changes.csv\``);
    // Counts agree between headline and sections (#19: "528 conflict" above a section titled "(529)").
    // The conflicts section names both what it lists (employee IDs of the file) and the patrons counted.
    const conflicts =
      /^### Conflicts in `data\/alma\/library_barcode_full_list\.txt` \(([\d,]+) employee IDs; ([\d,]+) listed patrons\)$/m.exec(
        almaPart,
      );
    expect(conflicts?.[2]).toBe(f(c("conflict")));
    for (const m of almaPart.matchAll(/^### (.+) \(([\d,]+)\)$/gm)) {
      const action = /^`([a-z-]+)`/.exec(m[1]!)?.[1];
      if (action) expect(f(c(action))).toBe(m[2]);
    }
    // No empty list (#19: "(planned once): ; … (15 in all)"): the IDs, or how many there are.
    expect(almaPart).not.toMatch(/: ; /);
    expect(almaPart).toMatch(
      /(Listed more than once in `data\/alma\/patronlist_no_barcode\.txt` \(planned once\): [^;\s]|[\d,]+ patrons are listed more than once in `data\/alma\/patronlist_no_barcode\.txt` \(each planned once\)\.)/,
    );
    expect(infPart).toContain("| `create` | 1,200 |");
    expect(infPart).toContain("All 1,200 changes are in `infiniti/changes.csv`");
    // Staff first among the new users.
    expect(infPart).toMatch(/### New \(1,200\)\n\n\| Username [^\n]*\n[^\n]*\n\| user40 \|/);
    // The footer (how to apply it) is kept whole at the end.
    expect(md.trimEnd()).toMatch(/run `npx patron-sync apply --plan [^`]+`\.$/);
    // The committed example is this plan (its review is built from bounded samples while the plan
    // streams, #21: it must read the same). `-u` writes it again after a deliberate change.
    await expect(md).toMatchFileSnapshot("../../docs/examples/plan-5000.md");

    // changes.csv holds every change, one row each.
    const almaCsv = parse<Record<string, string>>(
      readFileSync(join(plan.planDir, "alma", "changes.csv"), "utf8"),
      { columns: true },
    );
    expect(almaCsv).toHaveLength(alma.changes);
    // Written row by row as the plan streams (#21), it is the file the whole plan gives at once, in
    // patron-list order: plan.json's changes, through csvForPeople.
    const rows: string[][] = [];
    for await (const e of readPlanEntries(join(plan.planDir, "alma", "plan.json"))) {
      const row = almaChangesRow(e);
      if (row) rows.push(row);
    }
    const whole = csvForPeople(CHANGES_COLUMNS, rows);
    expect(readFileSync(join(plan.planDir, "alma", "changes.csv"), "utf8")).toBe(whole);
    const infCsv = parse(readFileSync(join(plan.planDir, "infiniti", "changes.csv"), "utf8"));
    expect(infCsv).toHaveLength(ROSTER + 1);
    expect(readFileSync(join(plan.planDir, "infiniti", "changes.csv"), "utf8")).not.toContain("secret");
  }, 300_000);
});
