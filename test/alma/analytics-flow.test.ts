/**
 * The patron list from an Alma Analytics report, planned against the Alma simulator: several pages, the
 * empty-first-answer quirk, "still loading" answers between pages, rows with empty cells; every listed ID
 * planned once; the report's rows written to alma/patrons.csv; refusals exit 2 before any user is read.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { readPatronsCsv } from "../../src/alma/report-patrons.ts";
import { runApply, runPlan } from "../../src/run.ts";
import { startAlmaSimulator, type AlmaSimulator, type SeedUser } from "../../src/simulators/alma.ts";

const KEY = "analytics-test-key";
const REPORT = "/shared/Test University/Reports/Users without barcode";
const N = 30;

const id = (i: number) => `S${String(i).padStart(4, "0")}`;

function users(): SeedUser[] {
  const out: SeedUser[] = [];
  for (let i = 1; i <= N; i++) {
    // Every fifth user has no user group: the report leaves that cell out of the Row.
    const group = i % 5 === 0 ? "" : "<user_group>UG</user_group>";
    out.push({
      xml: `<user><record_type>PUBLIC</record_type><primary_id>${id(i)}</primary_id><first_name>First${i}</first_name><last_name>Last${i}</last_name>${group}<account_type>INTERNAL</account_type><status>ACTIVE</status></user>`,
    });
  }
  // Users with an ACTIVE barcode are not in the report.
  for (const p of ["HAS1", "HAS2"])
    out.push({
      xml: `<user><record_type>PUBLIC</record_type><primary_id>${p}</primary_id><first_name>Has</first_name><last_name>Barcode</last_name><account_type>INTERNAL</account_type><status>ACTIVE</status><user_identifiers><user_identifier segment_type="Internal"><id_type>BARCODE</id_type><value>B-${p}</value><status>ACTIVE</status></user_identifier></user_identifiers></user>`,
    });
  return out;
}

let dirs: string[] = [];
function workspace(extra = ""): string {
  const dir = mkdtempSync(join(tmpdir(), "ps-analytics-"));
  dirs.push(dir);
  mkdirSync(join(dir, "data", "alma"), { recursive: true });
  const barcodes = Array.from({ length: N }, (_, k) => `${id(k + 1)}|2100${String(k + 1).padStart(6, "0")}`);
  writeFileSync(join(dir, "data", "alma", "library_barcode_full_list.txt"), barcodes.join("\n") + "\n");
  writeFileSync(
    join(dir, "patron-sync.yml"),
    `alma:\n  patrons:\n    analytics: ${REPORT}\n    column: Primary Identifier\n  barcodes: data/alma/library_barcode_full_list.txt\n  rate_limit: 25\n  min_remaining: 0\n  check_holders: false\n${extra}`,
  );
  return dir;
}

describe("Alma patron list from an Analytics report", () => {
  let sim: AlmaSimulator;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    sim = await startAlmaSimulator({
      apiKey: KEY,
      users: users(),
      analytics: { paths: [REPORT], pageSize: 10, emptyFirstAnswers: 1, stillLoadingAnswers: 1 },
    });
    env = { ALMA_API_KEY: KEY, ALMA_BASE_URL: sim.url };
  });
  afterEach(async () => {
    await sim.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    dirs = [];
  });

  // Under load the calls can reach the simulator bunched, so it may refuse one with 429 PER_SECOND_THRESHOLD,
  // as Alma would; the client sends that call again. The counts below are of the calls Alma answered.
  const answered = () => {
    const all = sim.requests();
    const refused = all.filter((r) => r.status === 429);
    expect(refused.every((r) => r.errorCode === "PER_SECOND_THRESHOLD")).toBe(true);
    return all.filter((r) => r.status !== 429);
  };
  const reportCalls = () => answered().filter((r) => r.url.startsWith("/almaws/v1/analytics/reports"));
  const userGets = () =>
    answered().filter((r) => r.method === "GET" && r.url.startsWith("/almaws/v1/users/"));

  it("reads every page through the quirks and plans each listed ID once", async () => {
    const ws = workspace();
    const plan = await runPlan(
      { cwd: ws, env, log: memoryLogger(), out: "plans/p1" },
      { alma: { analyticsWaitMs: () => 0 } },
    );

    // 1 empty first answer, 3 pages of 10, 2 "still loading" answers between them.
    const calls = reportCalls();
    expect(calls).toHaveLength(6);
    expect(calls[0]!.url).toContain("col_names=true");
    expect(calls.slice(1).every((c) => c.url.includes("token="))).toBe(true);
    expect(calls.every((c) => c.status === 200)).toBe(true);

    const csv: string[][] = parse(readFileSync(join(plan.planDir, "alma", "patrons.csv"), "utf8"));
    expect(csv[0]).toEqual(["0", "First Name", "Last Name", "Primary Identifier", "User Group"]);
    expect(csv).toHaveLength(N + 1);
    expect(csv[5]).toEqual(["0", "First5", "Last5", "S0005", ""]); // the omitted cell is an empty one
    expect(
      csv
        .slice(1)
        .map((r) => r[3])
        .sort(),
    ).toEqual(Array.from({ length: N }, (_, k) => id(k + 1)));

    const almaPlan = JSON.parse(readFileSync(join(plan.planDir, "alma", "plan.json"), "utf8")) as {
      inputs: { patrons: string };
      patrons: { primary_id: string; action: string; line: number }[];
    };
    expect(almaPlan.inputs.patrons).toBe(`Analytics report ${REPORT} (column "Primary Identifier")`);
    expect(almaPlan.patrons).toHaveLength(N);
    expect(new Set(almaPlan.patrons.map((p) => p.primary_id)).size).toBe(N);
    expect(almaPlan.patrons.every((p) => p.action === "add")).toBe(true);
    expect(almaPlan.patrons.find((p) => p.primary_id === "S0005")?.line).toBe(6);
    // Each user read once (a call refused with 429 is sent again, and only the answered one counts).
    const gets = userGets().map((r) => decodeURIComponent(r.url.split("?")[0]!.split("/").pop()!));
    expect(gets.sort()).toEqual(Array.from({ length: N }, (_, k) => id(k + 1)));
    expect(plan.sections[0]!.files).toContain("alma/patrons.csv");
    expect(readFileSync(join(plan.planDir, "plan.md"), "utf8")).toContain(`Analytics report ${REPORT}`);

    const applied = await runApply({ cwd: ws, env, log: memoryLogger(), planDir: plan.planDir });
    expect(applied.updated).toBe(N);
    expect(sim.getUser("S0030")!.identifiers.map((i) => i.value)).toEqual(["2100000030"]);
  });

  it("apply checks the planned patrons against alma/patrons.csv; without it (not committed) the barcode checks hold", async () => {
    const ws = workspace();
    const plan = await runPlan(
      { cwd: ws, env, log: memoryLogger(), out: "plans/p1" },
      { alma: { analyticsWaitMs: () => 0 } },
    );
    const csvPath = join(plan.planDir, "alma", "patrons.csv");
    const csv = readFileSync(csvPath, "utf8");
    writeFileSync(
      csvPath,
      csv
        .split("\n")
        .filter((l) => !l.includes("S0030"))
        .join("\n"),
    );
    const e = await runApply({ cwd: ws, env, log: memoryLogger(), planDir: plan.planDir }).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toContain(
      `patron S0030: is not in the patron list Analytics report ${REPORT}`,
    );
    expect(sim.stats().byMethod.PUT ?? 0).toBe(0);
    rmSync(csvPath);
    const applied = await runApply({ cwd: ws, env, log: memoryLogger(), planDir: plan.planDir });
    expect(applied.updated).toBe(N);
  });

  it("a report path Alma does not know: exit 2, no user read", async () => {
    const ws = workspace("  max_attempts: 1\n");
    writeFileSync(
      join(ws, "patron-sync.yml"),
      readFileSync(join(ws, "patron-sync.yml"), "utf8").replace(REPORT, "/shared/Nowhere/Report"),
    );
    const e = await runPlan({ cwd: ws, env, log: memoryLogger(), out: "plans/p" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toContain(
      "'/shared/Nowhere/Report': Alma has no Analytics report at this path",
    );
    expect((e as Error).message).toContain("Path not found (/shared/Nowhere/Report)");
    expect(userGets()).toHaveLength(0);
  });

  it("a key without Analytics permission: exit 2, no user read", async () => {
    sim.analytics.configure({ allowed: false });
    const ws = workspace();
    const e = await runPlan({ cwd: ws, env, log: memoryLogger(), out: "plans/p" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toMatch(
      /alma\.patrons\.analytics: .*Alma refused the API key for the Analytics API/,
    );
    expect(userGets()).toHaveLength(0);
  });

  it("a token used after the last page gets 420033 'No more rows to fetch'", async () => {
    const get = (q: string) =>
      fetch(`${sim.url}/almaws/v1/analytics/reports?${q}`, { headers: { Authorization: `apikey ${KEY}` } });
    sim.analytics.configure({ emptyFirstAnswers: 0, stillLoadingAnswers: 0, pageSize: 1000 });
    const first = await (await get(`path=${encodeURIComponent(REPORT)}&limit=1000&col_names=true`)).text();
    expect(first).toContain("<IsFinished>true</IsFinished>");
    const token = /<ResumptionToken>([0-9A-F]{128})<\/ResumptionToken>/.exec(first)![1]!;
    const again = await get(`token=${token}`);
    expect(again.status).toBe(500);
    expect(await again.text()).toContain(
      "<errorCode>420033</errorCode><errorMessage>No more rows to fetch</errorMessage>",
    );
  });

  for (const misbehave of ["no-rows", "same-page"] as const)
    it(`a report that stops bringing rows (${misbehave}: the token again, IsFinished false) stops with exit 2 after 5 such answers`, async () => {
      sim.analytics.configure({ misbehave });
      const ws = workspace();
      const e = await runPlan(
        { cwd: ws, env, log: memoryLogger(), out: "plans/p" },
        { alma: { analyticsWaitMs: () => 0 } },
      ).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InputError);
      // "Still loading" answers come between (the simulator's stillLoadingAnswers: 1).
      expect((e as Error).message).toContain(
        misbehave === "no-rows"
          ? `alma.patrons.analytics: Alma's Analytics report ${REPORT} was still not ready after 5 empty answers in a row; run the plan again later`
          : `alma.patrons.analytics: Alma's Analytics report ${REPORT} brought no new rows in 5 answers in a row (IsFinished false: 3 with no rows, 2 with the rows of the answer before again; 10 rows read in 7 calls): the report is not being read further.`,
      );
      // The empty first answer, the first page, then five answers without new rows (one "still loading").
      expect(reportCalls()).toHaveLength(7);
      expect(userGets()).toHaveLength(0);
    });

  it("a report that brings a row a page and never finishes stops at the page count its size allows (exit 2)", async () => {
    sim.analytics.configure({ misbehave: "trickle" });
    const ws = workspace("  max_lines: 40\n");
    const e = await runPlan(
      { cwd: ws, env, log: memoryLogger(), out: "plans/p" },
      { alma: { analyticsWaitMs: () => 0 } },
    ).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    // 40 rows at most, in pages of 10: 5 pages; the 6th is refused.
    expect((e as Error).message).toContain(
      `Alma's Analytics report ${REPORT} is still not finished after 6 pages, more than its size allows (40 rows at most, the cap alma.max_lines, in pages of 10 rows)`,
    );
    expect(userGets()).toHaveLength(0);
  });

  it("the simulator sends the ResumptionToken in the first answer only, and headings only when col_names=true", async () => {
    // Sources: scriptotek/php-alma-client analytics_response_part1..3.xml (token on part1 only) and part1
    // (asked without col_names: no saw-sql:columnHeading).
    const get = async (q: string) =>
      (
        await fetch(`${sim.url}/almaws/v1/analytics/reports?${q}`, {
          headers: { Authorization: `apikey ${KEY}` },
        })
      ).text();
    const first = await get(`path=${encodeURIComponent(REPORT)}&limit=25`); // the empty first answer
    const token = /<ResumptionToken>([0-9A-F]{128})<\/ResumptionToken>/.exec(first)![1]!;
    const later: string[] = [];
    for (let i = 0; i < 6; i++) later.push(await get(`token=${token}&limit=25`));
    expect(later.filter((b) => b.includes("<Row>"))).toHaveLength(3);
    expect(later.some((b) => b.includes("ResumptionToken"))).toBe(false);
    const schema = later.find((b) => b.includes("xsd:schema"))!;
    expect(schema).not.toContain("columnHeading");
    expect(schema).toContain('saw-sql:displayFormula="s_3"');
    const named = await get(`path=${encodeURIComponent(REPORT)}&limit=25&col_names=true`);
    const t2 = /<ResumptionToken>([0-9A-F]{128})<\/ResumptionToken>/.exec(named)![1]!;
    const page1 = await get(`token=${t2}&limit=25`);
    expect(page1).toContain('saw-sql:columnHeading="Primary Identifier"');
  });

  it("alma/patrons.csv has formulas escaped, and reads back exactly (a resumed plan, apply's re-derivation)", async () => {
    sim.editUser("S0003", (u) => {
      u.firstName = '=HYPERLINK("http://evil.example","x")';
    });
    sim.editUser("S0004", (u) => {
      u.lastName = "'@already quoted";
    });
    const ws = workspace();
    const plan = await runPlan(
      { cwd: ws, env, log: memoryLogger(), out: "plans/p1" },
      { alma: { analyticsWaitMs: () => 0 } },
    );
    const path = join(plan.planDir, "alma", "patrons.csv");
    const raw = readFileSync(path, "utf8");
    const cells: string[][] = parse(raw);
    // No cell a spreadsheet would run: each starts with a quote, one more for a cell that had one.
    expect(cells.flat().filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
    expect(cells.flat()).toContain(`'=HYPERLINK("http://evil.example","x")`);
    expect(cells.flat()).toContain("''@already quoted");
    const back = readPatronsCsv(plan.planDir)!;
    expect(back.rows.find((r) => r[3] === "S0003")![1]).toBe('=HYPERLINK("http://evil.example","x")');
    expect(back.rows.find((r) => r[3] === "S0004")![2]).toBe("'@already quoted");
    const applied = await runApply({ cwd: ws, env, log: memoryLogger(), planDir: plan.planDir });
    expect(applied.updated).toBe(N);
  });
});
