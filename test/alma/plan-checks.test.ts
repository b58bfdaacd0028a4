/**
 * The record read must be the patron listed (identity-mismatch, issue #9 §4), and a barcode another user
 * holds is caught at plan time (held-by-other, issue #9 §5), against the simulator.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryLogger } from "../../src/core/log.ts";
import { runApply, runPlan } from "../../src/run.ts";
import { startAlmaSimulator, type AlmaSimulator, type SeedUser } from "../../src/simulators/alma.ts";

const KEY = "k";
const user = (id: string, idents = ""): SeedUser => ({
  xml: `<user><record_type>PUBLIC</record_type><primary_id>${id}</primary_id><first_name>F</first_name><last_name>L</last_name><account_type>INTERNAL</account_type><status>ACTIVE</status><user_identifiers>${idents}</user_identifiers></user>`,
});
const ident = (type: string, value: string) =>
  `<user_identifier segment_type="Internal"><id_type>${type}</id_type><value>${value}</value><status>ACTIVE</status></user_identifier>`;

const dirs: string[] = [];
let sim: AlmaSimulator;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  sim = await startAlmaSimulator({
    apiKey: KEY,
    users: [
      user("A1", ident("UNIV_ID", "X9")), // holds X9 as another identifier
      user("P1"),
      user("Q1"),
      user("H1", ident("BARCODE", "B-TAKEN")),
    ],
  });
  env = { ALMA_API_KEY: KEY, ALMA_BASE_URL: sim.url };
});
afterEach(async () => {
  await sim.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function workspace(patrons: string, barcodes: string, extra = ""): string {
  const dir = mkdtempSync(join(tmpdir(), "ps-checks-"));
  dirs.push(dir);
  mkdirSync(join(dir, "data"));
  writeFileSync(join(dir, "data", "p.txt"), patrons);
  writeFileSync(join(dir, "data", "b.txt"), barcodes);
  writeFileSync(
    join(dir, "patron-sync.yml"),
    `alma:\n  patrons: data/p.txt\n  barcodes: data/b.txt\n  rate_limit: 25\n  min_remaining: 0\n${extra}`,
  );
  return dir;
}

const actions = (planDir: string) =>
  Object.fromEntries(
    (
      JSON.parse(readFileSync(join(planDir, "alma", "plan.json"), "utf8")) as {
        patrons: { primary_id: string; action: string; holder?: string; message: string }[];
      }
    ).patrons.map((p) => [p.primary_id, p]),
  );

describe("identity-mismatch", () => {
  it("the simulator answers an all_unique GET with whoever holds the value as any identifier", () => {
    expect(sim.getUser("X9")?.primaryId).toBe("A1");
    expect(sim.getUser("X9", "UNIV_ID")?.primaryId).toBe("A1");
    expect(sim.getUser("X9", "BARCODE")).toBeUndefined();
  });

  it("a listed ID answered with another user's record is planned identity-mismatch and never written", async () => {
    const ws = workspace("X9\na1\n", "X9|B-NEW-1\nA1|B-NEW-2\n");
    const plan = await runPlan({ cwd: ws, env, log: memoryLogger(), out: "plans/p" });
    const byId = actions(plan.planDir);
    expect(byId.X9!.action).toBe("identity-mismatch");
    expect(byId.X9!.message).toContain("another user (primary ID A1)");
    expect(byId.a1!.action).toBe("add"); // the same ID in another case is the same patron
    const md = readFileSync(join(plan.planDir, "plan.md"), "utf8");
    expect(md).toMatch(/\| `identity-mismatch` \| 1 \|/);
    expect(readFileSync(join(plan.planDir, "alma", "processed_results.xml"), "utf8")).not.toContain(
      "B-NEW-1",
    );
    const puts = sim.stats().byMethod.PUT ?? 0;
    const applied = await runApply({ cwd: ws, env, log: memoryLogger(), planDir: plan.planDir });
    expect(sim.stats().byMethod.PUT ?? 0).toBe(puts + 1); // a1 only
    expect(applied.sections[0]!.counts).toMatchObject({ updated: 1, skipped: 1 });
    expect(sim.getUser("A1")!.identifiers.map((i) => i.value)).toEqual(["X9", "B-NEW-2"]);
  });

  it("apply checks its re-read too: a listed ID that now answers with another user is skipped", async () => {
    const ws = workspace("P1\n", "P1|B-NEW-3\n");
    const plan = await runPlan({ cwd: ws, env, log: memoryLogger(), out: "plans/p" });
    expect(actions(plan.planDir).P1!.action).toBe("add");
    // Between plan and apply, P1 is purged and Q1 gets P1 as an identifier.
    sim.removeUser("P1");
    sim.editUser("Q1", (u) => u.identifiers.push({ idType: "UNIV_ID", value: "P1", status: "ACTIVE" }));
    const puts = sim.stats().byMethod.PUT ?? 0;
    await runApply({ cwd: ws, env, log: memoryLogger(), planDir: plan.planDir });
    expect(sim.stats().byMethod.PUT ?? 0).toBe(puts);
    const results = readFileSync(join(plan.planDir, "alma", "results.csv"), "utf8");
    expect(results).toMatch(
      /P1,skipped,"?identity-mismatch: Alma answered P1 with the record of another user \(primary ID Q1\)/,
    );
    expect(sim.getUser("Q1")!.identifiers.map((i) => i.value)).toEqual(["P1"]);
  });
});

describe("held-by-other", () => {
  it("asks who holds each planned new barcode, by barcode type, once per change, and names the holder", async () => {
    const ws = workspace("P1\nQ1\nH1\n", "P1|B-TAKEN\nQ1|B-FREE\nH1|B-TAKEN-2\n");
    sim.resetStats();
    const log = memoryLogger();
    const plan = await runPlan({ cwd: ws, env, log, out: "plans/p" });
    const byId = actions(plan.planDir);
    expect(byId.P1).toMatchObject({ action: "held-by-other", holder: "H1" });
    expect(byId.Q1!.action).toBe("add");
    expect(byId.H1!.action).toBe("deactivate");
    // 3 reads + 3 lookups (one per planned change), through the same transport.
    expect(sim.stats().byMethod.GET).toBe(6);
    const lookups = sim.requests().filter((r) => r.url.includes("user_id_type=BARCODE"));
    expect(lookups.map((r) => r.url.split("?")[0])).toEqual(
      expect.arrayContaining([
        "/almaws/v1/users/B-TAKEN",
        "/almaws/v1/users/B-FREE",
        "/almaws/v1/users/B-TAKEN-2",
      ]),
    );
    expect(log.lines.join("\n")).toContain("asked Alma who holds 3 planned new barcodes");
    // A free barcode's lookup by type is answered 401890 "… of type BARCODE was not found.": free, not an error.
    const free = lookups.find((r) => r.url.startsWith("/almaws/v1/users/B-FREE"))!;
    expect(free).toMatchObject({ status: 400, errorCode: "401890" });
    expect(byId.P1!.message).toContain("not planned, so that no two users hold the same identifier");
    expect(byId.P1!.message).not.toContain("401851");
    const puts = sim.stats().byMethod.PUT ?? 0;
    await runApply({ cwd: ws, env, log: memoryLogger(), planDir: plan.planDir });
    expect(sim.stats().byMethod.PUT ?? 0).toBe(puts + 2);
    expect(sim.getUser("P1")!.identifiers).toEqual([]);
  });

  it("alma.check_holders: false asks nothing; Alma then refuses the PUT (401851) at apply", async () => {
    const ws = workspace("P1\n", "P1|B-TAKEN\n", "  check_holders: false\n");
    sim.resetStats();
    const plan = await runPlan({ cwd: ws, env, log: memoryLogger(), out: "plans/p" });
    expect(sim.stats().byMethod.GET).toBe(1);
    expect(actions(plan.planDir).P1!.action).toBe("add");
    const applied = await runApply({ cwd: ws, env, log: memoryLogger(), planDir: plan.planDir });
    expect(applied.failed).toBe(1);
    expect(readFileSync(join(plan.planDir, "alma", "results.csv"), "utf8")).toContain("401851");
  });
});
