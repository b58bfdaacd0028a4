/**
 * Undo of an Infiniti apply against the simulator (issue #13): users the apply created are sent with
 * enabled=n, users it updated get their earlier values back, passwords are never sent, and a user
 * changed since that apply is skipped.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryLogger } from "../../src/core/log.ts";
import { runRevert } from "../../src/run.ts";
import { runApply, runPlan } from "../../src/run.ts";
import { startInfinitiSimulator, type InfinitiSimulator } from "../../src/simulators/infiniti.ts";

const USER = "autoimport";
const PASS = "test-password";
const HEAD = "username,givenname,surname,emailaddress,graduationyear,password,enabled,staffmember";
const V1 = [
  HEAD,
  "ann,Ann,Lee,ann@school.example,2027,Ann-Pass-1,y,n",
  "bob,Bob,Builder,bob@school.example,2026,,y,n",
];
const V2 = [
  HEAD,
  "ann,Ann,Lee-Hart,ann.hart@school.example,2027,Ann-Pass-2,y,n",
  "bob,Bob,Builder,bob@school.example,2028,,y,n",
  "cat,Cat,Stevens,cat@school.example,2029,Cat-Pass-1,y,n",
];
const V3 = [HEAD, V2[1]!, "bob,Robert,Builder,bob@school.example,2028,,y,n", V2[3]!];

describe("revert of an Infiniti apply", () => {
  let sim: InfinitiSimulator;
  let ws: string;
  let env: NodeJS.ProcessEnv;
  const log = memoryLogger();
  beforeEach(async () => {
    sim = await startInfinitiSimulator({ username: USER, password: PASS });
    env = { INFINITI_URL: sim.url, INFINITI_USERNAME: USER, INFINITI_PASSWORD: PASS };
    ws = mkdtempSync(join(tmpdir(), "ps-inf-revert-"));
    mkdirSync(join(ws, "data"), { recursive: true });
    writeFileSync(
      join(ws, "patron-sync.yml"),
      "infiniti:\n  users: data/users.csv\n  url: https://school.concordinfiniti.example\n",
    );
  });
  afterEach(async () => {
    await sim.close();
    rmSync(ws, { recursive: true, force: true });
  });

  async function planAndApply(lines: string[], out: string) {
    writeFileSync(join(ws, "data", "users.csv"), lines.join("\n") + "\n");
    await runPlan({ cwd: ws, env, log, out });
    return runApply({ cwd: ws, env, log, planDir: out });
  }

  it("disables the users it created, restores the users it updated, never sends a password", async () => {
    await planAndApply(V1, "plans/p1");
    const ann1 = sim.user("ann")!.values;
    await planAndApply(V2, "plans/p2");
    expect(sim.user("ann")!.values.surname).toBe("Lee-Hart");

    const revert = await runRevert({ cwd: ws, log, planDir: "plans/p2", out: "plans/r2" });
    expect(revert.markdown).toContain("revert of `plans/p2`");
    expect(revert.markdown).toMatch(/\| cat \| disable \(created by that apply\) \| enabled: y → n/);
    expect(revert.markdown).toMatch(/\| ann \| restore \| .*surname: Lee-Hart → Lee/);
    const csv = readFileSync(join(revert.planDir, "infiniti", "import.csv"), "utf8");
    expect(csv.split("\n")[0]).not.toContain("password");
    expect(csv).not.toMatch(/Pass-/);

    const posts = sim.stats().posts;
    const a = await runApply({ cwd: ws, env, log, planDir: "plans/r2" });
    expect(sim.stats().posts).toBe(posts + 1);
    expect(sim.stats().lastCsv).toBe(csv);
    expect(a.failed).toBe(0);
    expect(sim.user("ann")!.values).toEqual(ann1);
    expect(sim.user("bob")!.values.graduationyear).toBe("2026");
    expect(sim.user("cat")!.values).toMatchObject({ enabled: "n", surname: "Stevens" });
    const state = readFileSync(join(ws, "state", "infiniti", "applied.csv"), "utf8");
    expect(state).toMatch(/^cat,.*,n,n$/m);
    expect(state).toMatch(/^ann,Ann,Lee,ann@school\.example,/m);
  });

  it("skips a user whose state changed since the apply it undoes", async () => {
    await planAndApply(V1, "plans/p1");
    await planAndApply(V2, "plans/p2");
    await planAndApply(V3, "plans/p3"); // bob changed again after p2
    await runRevert({ cwd: ws, log, planDir: "plans/p2", out: "plans/r2" });
    const a = await runApply({ cwd: ws, env, log, planDir: "plans/r2" });
    expect(sim.user("bob")!.values).toMatchObject({ givenname: "Robert", graduationyear: "2028" });
    expect(sim.stats().lastCsv).not.toContain("bob");
    expect(a.sections[0]!.counts).toMatchObject({ skipped: 1 });
    const results = JSON.parse(readFileSync(join(ws, "plans/r2/infiniti/results.json"), "utf8"));
    const bob = results.results.find((r: { username: string }) => r.username === "bob");
    expect(bob).toMatchObject({ status: "skipped" });
    expect(bob.message).toMatch(/^changed-since-apply/);
    expect(sim.user("ann")!.values.surname).toBe("Lee");
    expect(sim.user("cat")!.values.enabled).toBe("n");
  });
});
