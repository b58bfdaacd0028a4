/**
 * Apply writes only what the reviewed data say: every write is re-derived from the data the plan was
 * made from (a commit, or the files with their digests), and a plan whose files do not follow from
 * them is refused before any call.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { md } from "../../src/core/markdown.ts";
import { readManifest, runApply, runPlan } from "../../src/run.ts";
import { sha256 } from "../../src/infiniti/values.ts";
import { bench, type Bench } from "../helpers/apply-workspace.ts";

let b: Bench;
afterEach(async () => {
  await b.close();
});

const plan = (out = "plans/p1") => runPlan({ cwd: b.dir, env: b.env, log: memoryLogger(), out });
const apply = (planDir: string, extra: { mainline?: boolean; env?: NodeJS.ProcessEnv } = {}) =>
  runApply({ cwd: b.dir, env: extra.env ?? b.env, log: memoryLogger(), planDir, mainline: extra.mainline });
const refusal = async (planDir: string, extra: Parameters<typeof apply>[1] = {}) => {
  const err = await apply(planDir, extra).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  return (err as InputError).message;
};
/** The plan directory committed on its own, as the merge of its pull request brings it. */
const merge = (planDir: string) => {
  b.git("add", "-f", "--", planDir);
  b.git("commit", "-q", "-m", "Merge the plan");
};
const edit = (path: string, f: (s: string) => string) => writeFileSync(path, f(readFileSync(path, "utf8")));

describe("apply re-derives every write from the plan's data (outside git: file digests)", () => {
  beforeEach(async () => {
    b = await bench();
  });

  it("records the input files' digests, and shows the data and the Infiniti URL in plan.md", async () => {
    const p = await plan();
    const m = readManifest(p.planDir);
    expect(m.source?.kind).toBe("files");
    expect(m.source?.files.map((f) => f.role)).toEqual([
      "config",
      "alma.patrons",
      "alma.barcodes",
      "infiniti.users",
      "infiniti.state",
    ]);
    expect(m.source?.files.find((f) => f.role === "infiniti.state")?.sha256).toBeNull();
    expect(m.endpoints?.infiniti).toBe(`${b.infiniti.url}/api/import/users`);
    expect(p.markdown).toContain(`The Infiniti import goes to ${md(`${b.infiniti.url}/api/import/users`)}.`);
  });

  it("a barcode changed in alma/plan.json (EVIL-0001) is refused: exit 2, no call at all", async () => {
    const p = await plan();
    const calls = b.alma.stats().calls;
    edit(join(p.planDir, "alma", "plan.json"), (s) => s.replace('"21234000123456"', '"EVIL-0001"'));
    const message = await refusal(p.planDir);
    expect(message).toMatch(
      /patron E00417: the plan writes barcode EVIL-0001, but data\/alma\/barcodes\.txt gives/,
    );
    expect(message).toMatch(/do not follow from the data files/);
    expect(b.alma.stats().calls).toBe(calls);
    expect(b.infiniti.stats().requests).toBe(0);
    expect(b.barcodes("E00417")).toEqual([]);
    expect(existsSync(join(p.planDir, "alma", "results.json"))).toBe(false);
  });

  it("a `backdoor` staff row in import.csv is refused even with plan.json made to match, nothing posted", async () => {
    const p = await plan();
    const csvPath = join(p.planDir, "infiniti", "import.csv");
    edit(csvPath, (s) => s + "backdoor,Back,Door,bd@evil.example,,Pw-9,y,y\n");
    const planPath = join(p.planDir, "infiniti", "plan.json");
    const ip = JSON.parse(readFileSync(planPath, "utf8"));
    ip.import.sha256 = sha256(readFileSync(csvPath, "utf8"));
    ip.sent += 1;
    ip.users.push({ username: "backdoor", action: "create", sent: true, import_row: 3, changes: [] });
    writeFileSync(planPath, JSON.stringify(ip));
    const calls = b.alma.stats().calls;
    const message = await refusal(p.planDir);
    expect(message).toMatch(/its users and actions are not the ones the roster and state give/);
    expect(message).toMatch(/import\.csv is not the file the plan showed/);
    expect(b.infiniti.stats().posts).toBe(0);
    expect(b.alma.stats().calls).toBe(calls); // Alma is not applied either
  });

  it("posts the rows re-derived from the data: without import.csv it sends exactly what the plan showed", async () => {
    const p = await plan();
    const csvPath = join(p.planDir, "infiniti", "import.csv");
    const shown = readFileSync(csvPath, "utf8");
    rmSync(csvPath);
    const a = await apply(p.planDir);
    expect(a.failed).toBe(0);
    expect(b.infiniti.stats().posts).toBe(1);
    expect(b.infiniti.stats().lastCsv).toBe(shown);
  });

  it("a data file changed since the plan: refused, 'the data changed since the plan: plan again'", async () => {
    const p = await plan();
    edit(join(b.dir, "data", "alma", "barcodes.txt"), (s) => s.replace("21234000123456", "21234000123457"));
    const message = await refusal(p.planDir);
    expect(message).toContain("data/alma/barcodes.txt: changed since the plan");
    expect(message).toContain("the data changed since the plan: plan again");
    expect(b.alma.stats().byMethod.PUT ?? 0).toBe(0);
  });

  it("a decision rule changed in the config since the plan is refused (tuning may change)", async () => {
    const p = await plan();
    edit(join(b.dir, "patron-sync.yml"), (s) =>
      s.replace("concurrency: 2", "concurrency: 3\n  existing_barcode: replace"),
    );
    const message = await refusal(p.planDir);
    expect(message).toContain(
      "says existing_barcode 'deactivate', but the config in the data files says 'replace'",
    );
    expect(b.alma.stats().byMethod.PUT ?? 0).toBe(0);
  });

  it("an employee ID swapped in the plan is caught on the fresh record: that user is not written", async () => {
    const p = await plan();
    // E00417 given G00042's barcode under G00042's employee ID: consistent with the barcode list offline.
    edit(join(p.planDir, "alma", "plan.json"), (s) =>
      s.replace(
        /("primary_id":"E00417".*?"employee_id":)"E00417"(.*?"new_barcode":)"21234000123456"/,
        '$1"G00042"$2"bc0003x"',
      ),
    );
    const a = await apply(p.planDir);
    const results = JSON.parse(readFileSync(join(p.planDir, "alma", "results.json"), "utf8"));
    const e = results.results.find((r: { primary_id: string }) => r.primary_id === "E00417");
    expect(e.status).toBe("failed");
    expect(e.message).toMatch(
      /does not follow from the data files: the data give barcode 21234000123456, not bc0003x/,
    );
    expect(b.barcodes("E00417")).toEqual([]);
    // G00042's own barcode, rightly (its INACTIVE copy set ACTIVE again).
    expect(b.barcodes("G00042").map((x) => x.toLowerCase())).toContain("bc0003x:active");
    expect(a.failed).toBe(1);
  });

  it("a plan that does not record its data (an older plan) is refused", async () => {
    const p = await plan();
    const path = join(p.planDir, "plan.json");
    const m = JSON.parse(readFileSync(path, "utf8"));
    delete m.source;
    writeFileSync(path, JSON.stringify(m));
    expect(await refusal(p.planDir)).toMatch(/does not record the data the plan was made from/);
    expect(b.alma.stats().byMethod.PUT ?? 0).toBe(0);
  });

  it("apply refuses an Infiniti URL other than the one the plan showed", async () => {
    const p = await plan();
    const other = { ...b.env, INFINITI_URL: "https://elsewhere.concordinfiniti.example" };
    expect(await refusal(p.planDir, { env: other })).toMatch(
      /the Infiniti import URL is now https:\/\/elsewhere\.concordinfiniti\.example\/api\/import\/users, but the plan showed/,
    );
    expect(b.infiniti.stats().requests).toBe(0);
    expect(b.alma.stats().byMethod.PUT ?? 0).toBe(0);
  });
});

describe("apply re-derives every write from the plan's data (git: the commit)", () => {
  beforeEach(async () => {
    b = await bench({ git: true });
  });

  it("records the commit; later commits to the data do not change what apply writes", async () => {
    const head = b.git("rev-parse", "HEAD");
    const p = await plan();
    const m = readManifest(p.planDir);
    expect(m.source).toMatchObject({ kind: "git", commit: head });
    expect(p.markdown).toContain(`Made from commit ${head.slice(0, 12)}`);
    merge(p.planDir);
    edit(join(b.dir, "data", "alma", "barcodes.txt"), (s) => s.replace("21234000123456", "21234000000000"));
    b.git("commit", "-q", "-am", "a later change");
    const a = await apply(p.planDir, { mainline: true });
    expect(a.failed).toBe(0);
    expect(b.barcodes("E00417")).toEqual(["21234000123456:ACTIVE"]);
  });

  it("uncommitted data: the plan records digests instead, and the action refuses such a plan", async () => {
    edit(join(b.dir, "data", "alma", "patrons.txt"), (s) => s + "\n");
    const p = await plan();
    expect(readManifest(p.planDir).source?.kind).toBe("files");
    merge(p.planDir);
    expect(await refusal(p.planDir, { mainline: true })).toMatch(/was not made from a commit/);
  });

  it("a plan made from a commit that is not an ancestor of HEAD is refused", async () => {
    edit(join(b.dir, "data", "alma", "barcodes.txt"), (s) => s.replace("21234000123456", "21234000000001"));
    b.git("commit", "-q", "-am", "a commit that will be dropped");
    const p = await plan();
    b.git("reset", "-q", "--hard", "HEAD~1");
    expect(await refusal(p.planDir)).toMatch(/is not an ancestor of the commit being applied/);
    expect(b.alma.stats().byMethod.PUT ?? 0).toBe(0);
  });

  it("data changed on a merged side branch (the plan branch) are refused by the action's mainline rule", async () => {
    b.git("checkout", "-q", "-b", "patron-sync/plan");
    edit(join(b.dir, "data", "alma", "barcodes.txt"), (s) => s.replace("21234000123456", "EVIL-0001"));
    b.git("commit", "-q", "-am", "slipped in with the plan");
    const p = await plan();
    b.git("add", "-f", "plans");
    b.git("commit", "-q", "-m", "the plan");
    b.git("checkout", "-q", "main");
    b.git("merge", "-q", "--no-ff", "patron-sync/plan", "-m", "Merge the plan");
    expect(await refusal(p.planDir, { mainline: true })).toMatch(
      /came onto the default branch with the merge commit [0-9a-f]{12}, which also changed 'data\/alma\/barcodes\.txt': a plan's pull request may change only its own plan directory \(plans\/p1\/\)/,
    );
    expect(b.barcodes("E00417")).toEqual([]);
  });

  it("data on a side branch merged before the plan came in are not the default branch's own", async () => {
    b.git("checkout", "-q", "-b", "side");
    edit(join(b.dir, "data", "alma", "barcodes.txt"), (s) => s.replace("21234000123456", "EVIL-0001"));
    b.git("commit", "-q", "-am", "a side commit");
    const p = await plan();
    b.git("checkout", "-q", "main");
    b.git("merge", "-q", "--no-ff", "side", "-m", "Merge the side branch");
    merge(p.planDir);
    expect(await refusal(p.planDir, { mainline: true })).toMatch(/is not on the default branch itself/);
    expect(b.barcodes("E00417")).toEqual([]);
  });

  it("a plan made from older data is stale: refused, naming the commit that superseded it (issue #17, C)", async () => {
    const c1 = b.git("rev-parse", "HEAD");
    edit(join(b.dir, "data", "alma", "barcodes.txt"), (s) => s.replace("21234000123456", "21234000000002"));
    b.git("commit", "-q", "-am", "the barcode corrected");
    const c2 = b.git("rev-parse", "HEAD");
    // A plan made from C1's data, merged after C2: the source commit is on the first-parent line.
    b.git("checkout", "-q", c1);
    const p = await plan();
    b.git("checkout", "-q", "main");
    merge(p.planDir);
    expect(readManifest(p.planDir).source).toMatchObject({ kind: "git", commit: c1 });
    const message = await refusal(p.planDir, { mainline: true });
    expect(message).toContain(
      `was made from commit ${c1.slice(0, 12)}, but commit ${c2.slice(0, 12)} of the default branch changed its data ('data/alma/barcodes.txt') before the plan was merged: the plan is stale, superseded by ${c2.slice(0, 12)}`,
    );
    expect(b.barcodes("E00417")).toEqual([]);
    expect(b.alma.stats().byMethod.PUT ?? 0).toBe(0);
  });

  it("a commit after the plan's that changed no input (docs) leaves the plan fresh", async () => {
    const p = await plan();
    writeFileSync(join(b.dir, "NOTES.md"), "notes\n");
    b.git("add", "NOTES.md");
    b.git("commit", "-q", "-m", "docs");
    merge(p.planDir);
    const a = await apply(p.planDir, { mainline: true });
    expect(a.failed).toBe(0);
    expect(b.barcodes("E00417")).toEqual(["21234000123456:ACTIVE"]);
  });
});
