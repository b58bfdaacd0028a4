/**
 * A scheduled Alma plan reads X-Exl-Api-Remaining from its first call and does not start a plan it could not
 * finish above alma.min_remaining; a plan run by hand is not held back that way.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryLogger } from "../../src/core/log.ts";
import { NotStartedError } from "../../src/alma/quota.ts";
import { runPlan } from "../../src/run.ts";
import { startAlmaSimulator, type AlmaSimulator } from "../../src/simulators/alma.ts";

const KEY = "scheduled-key";
const IDS = ["Q1", "Q2", "Q3", "Q4", "Q5"];
const REPORT = "/shared/Test/Reports/No barcode";

let dirs: string[] = [];
function workspace(patrons: string): string {
  const dir = mkdtempSync(join(tmpdir(), "ps-scheduled-"));
  dirs.push(dir);
  mkdirSync(join(dir, "data", "alma"), { recursive: true });
  writeFileSync(join(dir, "data", "alma", "p.txt"), IDS.join("\n") + "\n");
  writeFileSync(join(dir, "data", "alma", "b.txt"), IDS.map((id) => `${id}|B${id}`).join("\n") + "\n");
  writeFileSync(
    join(dir, "patron-sync.yml"),
    `alma:\n  patrons: ${patrons}\n  barcodes: data/alma/b.txt\n  rate_limit: 25\n  concurrency: 1\n  min_remaining: 1000\n  check_holders: false\n`,
  );
  return dir;
}

describe("a scheduled Alma plan and the day's API quota", () => {
  let sim: AlmaSimulator;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    sim = await startAlmaSimulator({
      apiKey: KEY,
      users: IDS.map((id) => ({
        xml: `<user><record_type>PUBLIC</record_type><primary_id>${id}</primary_id><first_name>F</first_name><last_name>L</last_name><account_type>INTERNAL</account_type><status>ACTIVE</status></user>`,
      })),
      analytics: { paths: [REPORT] },
    });
    env = { ALMA_API_KEY: KEY, ALMA_BASE_URL: sim.url };
  });
  afterEach(async () => {
    await sim.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    dirs = [];
  });
  const gets = () => sim.requests().filter((r) => r.url.startsWith("/almaws/v1/users/")).length;

  it("does not start when the first call shows too few calls left, and says so", async () => {
    // 1004 left: the first GET leaves 1003; 4 more patrons would end at 999, below 1000.
    sim.setLimits({ remaining: 1004 });
    const e = await runPlan({
      cwd: workspace("data/alma/p.txt"),
      env,
      log: memoryLogger(),
      scheduled: true,
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NotStartedError);
    expect((e as Error).message).toContain("Alma reports 1003 API calls left today, the plan needs about 4");
    expect(gets()).toBe(1);
    expect(sim.stats().byMethod.PUT ?? 0).toBe(0);
  });

  it("starts when the plan can finish above the floor", async () => {
    sim.setLimits({ remaining: 1005 });
    const plan = await runPlan({
      cwd: workspace("data/alma/p.txt"),
      env,
      log: memoryLogger(),
      scheduled: true,
    });
    expect(plan.changes).toBe(5);
    expect(gets()).toBe(5);
    expect(sim.stats().remaining).toBe(1000);
  });

  it("with an Analytics report, the report's own call is the first reading: no user is read", async () => {
    sim.setLimits({ remaining: 1004 });
    const ws = workspace(`{ analytics: "${REPORT}" }`);
    const e = await runPlan({ cwd: ws, env, log: memoryLogger(), scheduled: true }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NotStartedError);
    expect((e as Error).message).toContain("Alma reports 1003 API calls left today, the plan needs about 5");
    expect(gets()).toBe(0);
  });

  it("a plan run by hand is not held back: it reads until the transport's floor, the rest pending", async () => {
    // 1002 left: the GETs see 1001, 1000, then 999 (below the floor): the transport stops there.
    sim.setLimits({ remaining: 1002 });
    const plan = await runPlan({ cwd: workspace("data/alma/p.txt"), env, log: memoryLogger() });
    expect(gets()).toBe(3);
    expect(plan.sections[0]!.counts.pending).toBe(2);
  });
});
