/**
 * A revert stays reverted (issue #19) against the Infiniti simulator: after a revert is applied, a plan
 * from the same roster neither re-enables a user the revert disabled nor updates one it restored
 * (`held`); a changed roster row is planned as usual, and apply's re-derivation agrees with the plan.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryLogger } from "../../src/core/log.ts";
import { runApply, runPlan, runRevert } from "../../src/run.ts";
import type { PlannedUser } from "../../src/infiniti/diff.ts";
import { renderInfinitiPlan } from "../../src/infiniti/render.ts";
import { startInfinitiSimulator, type InfinitiSimulator } from "../../src/simulators/infiniti.ts";

const USER = "autoimport";
const PASS = "test-password";
const HEAD = "username,givenname,surname,emailaddress,graduationyear,password,enabled,staffmember";
const ANN = "ann,Ann,Lee,ann@school.example,2027,Ann-Pass-1,y,n";
const BOB = "bob,Bob,Builder,bob@school.example,2026,,y,n";
const DOT = "dot,Dot,Cotton,dot@school.example,2026,,y,n";
const V1 = [HEAD, ANN, BOB, DOT];
// ann renamed, bob moved a year, cat new, dot gone (disable_missing: true).
const V2 = [
  HEAD,
  "ann,Ann,Lee-Hart,ann.hart@school.example,2027,Ann-Pass-1,y,n",
  "bob,Bob,Builder,bob@school.example,2028,,y,n",
  "cat,Cat,Stevens,cat@school.example,2029,Cat-Pass-1,y,n",
];

describe("a revert stays reverted (Infiniti)", () => {
  let sim: InfinitiSimulator;
  let ws: string;
  let env: NodeJS.ProcessEnv;
  const log = memoryLogger();
  beforeEach(async () => {
    sim = await startInfinitiSimulator({ username: USER, password: PASS });
    env = { INFINITI_URL: sim.url, INFINITI_USERNAME: USER, INFINITI_PASSWORD: PASS };
    ws = mkdtempSync(join(tmpdir(), "ps-inf-holds-"));
    mkdirSync(join(ws, "data"), { recursive: true });
    writeFileSync(
      join(ws, "patron-sync.yml"),
      "infiniti:\n  users: data/users.csv\n  url: https://school.concordinfiniti.example\n  disable_missing: true\n",
    );
  });
  afterEach(async () => {
    await sim.close();
    rmSync(ws, { recursive: true, force: true });
  });
  const roster = (lines: string[]) => writeFileSync(join(ws, "data", "users.csv"), lines.join("\n") + "\n");
  const actions = (dir: string) =>
    Object.fromEntries(
      (
        JSON.parse(readFileSync(join(ws, dir, "infiniti", "plan.json"), "utf8")).users as {
          username: string;
          action: string;
        }[]
      ).map((u) => [u.username, u.action]),
    );

  it("re-enables, re-updates and re-disables nobody from the same roster; a changed row is planned", async () => {
    roster(V1);
    await runPlan({ cwd: ws, env, log, out: "plans/p1" });
    await runApply({ cwd: ws, env, log, planDir: "plans/p1" });
    roster(V2);
    await runPlan({ cwd: ws, env, log, out: "plans/p2" });
    expect(actions("plans/p2")).toEqual({ ann: "update", bob: "update", cat: "create", dot: "disable" });
    await runApply({ cwd: ws, env, log, planDir: "plans/p2" });
    await runRevert({ cwd: ws, log, planDir: "plans/p2", out: "plans/r2" });
    const holds = JSON.parse(readFileSync(join(ws, "plans/r2/infiniti/holds.json"), "utf8"));
    expect(holds.holds.map((h: { id: string }) => h.id)).toEqual(["ann", "bob", "cat", "dot"]);
    expect(holds.holds.find((h: { id: string }) => h.id === "dot").changes).toEqual({ row: "absent" });
    expect(JSON.stringify(holds)).not.toMatch(/Pass|Lee|Stevens|school\.example/); // digests, no personal data
    await runApply({ cwd: ws, env, log, planDir: "plans/r2" });
    expect(sim.user("cat")!.values.enabled).toBe("n");
    expect(sim.user("dot")!.values.enabled).toBe("y");

    // The same roster right after the revert: nothing is sent.
    const p3 = await runPlan({ cwd: ws, env, log, out: "plans/p3" });
    expect(actions("plans/p3")).toEqual({ ann: "held", bob: "held", cat: "held", dot: "held" });
    expect(p3.changes).toBe(0);
    expect(p3.sections[0]!.headline).toBe("0 create · 0 update · 0 disable, 4 held");
    expect(p3.markdown).toContain("### Held by a revert (4)");
    expect(p3.markdown).toMatch(
      /\| cat \| 4 \| held: undone by revert plans\/r2; change the data to plan it again \|/,
    );
    const posts = sim.stats().posts;
    await runApply({ cwd: ws, env, log, planDir: "plans/p3" });
    expect(sim.stats().posts).toBe(posts);
    expect(sim.user("cat")!.values.enabled).toBe("n");

    // A deliberate change after the revert: cat's row changes, and is planned (and applied) as usual.
    roster([HEAD, V2[1]!, V2[2]!, "cat,Cat,Stevens,cat.stevens@school.example,2029,Cat-Pass-1,y,n"]);
    const p4 = await runPlan({ cwd: ws, env, log, out: "plans/p4" });
    expect(actions("plans/p4")).toEqual({ ann: "held", bob: "held", cat: "update", dot: "held" });
    expect(p4.changes).toBe(1);
    const a = await runApply({ cwd: ws, env, log, planDir: "plans/p4" });
    expect(a.failed).toBe(0);
    expect(sim.user("cat")!.values).toMatchObject({
      enabled: "y",
      emailaddress: "cat.stevens@school.example",
    });
    expect(sim.stats().lastCsv).not.toMatch(/^(ann|bob|dot),/m);
  });
});

describe("held users in plan.md", () => {
  it("are listed within the section's budget, the rest pointed to infiniti/plan.json", () => {
    const users: PlannedUser[] = Array.from({ length: 400 }, (_, i) => ({
      username: `held.user.${i}`,
      action: "held" as const,
      sent: false,
      line: i + 2,
      changes: [],
      held_by: "plans/20261207T101500Z",
    }));
    const md = renderInfinitiPlan(
      {
        rosterFile: "data/users.csv",
        rosterUsers: 400,
        stateFile: "state/infiniti/applied.csv",
        stateExists: true,
        stateUsers: 400,
        missing: 0,
        mode: "incremental",
        disableMissing: false,
        counts: { held: 400 },
        changes: 0,
        importSha256: "0".repeat(64),
        users,
        importRows: new Map(),
        columns: ["username", "enabled"],
      },
      8_000,
    );
    expect(md.length).toBeLessThanOrEqual(8_000);
    expect(md).toContain("**0 create · 0 update · 0 disable, 400 held**");
    expect(md).toContain("### Held by a revert (400)");
    expect(md).toContain(
      "| held.user.0 | 2 | held: undone by revert plans/20261207T101500Z; change the data to plan it again |",
    );
    expect(md).toMatch(/… and \d+ more: see `infiniti\/plan\.json`\./);
  });
});
