/**
 * DAILY_THRESHOLD in any HTTP status (issue #19 §7): Alma's status for it is not documented (400 in one
 * public client's test, 429 in another's documentation). Either way the run stops cleanly: the users not
 * written are pending for the next run, none fails on its own.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { memoryLogger } from "../../src/core/log.ts";
import { runApply, runPlan } from "../../src/run.ts";
import { startAlmaSimulator, type AlmaSimulator } from "../../src/simulators/alma.ts";

const KEY = "k";
const IDS = ["D1", "D2", "D3", "D4", "D5", "D6"];
const user = (id: string) => ({
  xml: `<user><record_type>PUBLIC</record_type><primary_id>${id}</primary_id><first_name>F</first_name><last_name>L</last_name><account_type>INTERNAL</account_type><status>ACTIVE</status><user_identifiers/></user>`,
});

let sim: AlmaSimulator | undefined;
let dir = "";
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("DAILY_THRESHOLD", () => {
  for (const status of [400, 429] as const)
    it(`answered with HTTP ${status}: apply stops cleanly, the rest pending, none failed`, async () => {
      sim = await startAlmaSimulator({ apiKey: KEY, users: IDS.map(user) });
      dir = mkdtempSync(join(tmpdir(), "ps-daily-"));
      mkdirSync(join(dir, "data"));
      writeFileSync(join(dir, "data", "p.txt"), IDS.join("\n") + "\n");
      writeFileSync(join(dir, "data", "b.txt"), IDS.map((id, i) => `${id}|2100${i}`).join("\n") + "\n");
      writeFileSync(
        join(dir, "patron-sync.yml"),
        "alma:\n  patrons: data/p.txt\n  barcodes: data/b.txt\n  min_remaining: 0\n  concurrency: 1\n  check_holders: false\n",
      );
      const env = { ALMA_API_KEY: KEY, ALMA_BASE_URL: sim.url };
      const plan = await runPlan({ cwd: dir, env, log: memoryLogger(), out: "plans/p" });
      // Two patrons' GET + PUT, then Alma says the day's quota is spent.
      sim.setLimits({ remaining: 4, dailyThresholdStatus: status });
      const applied = await runApply({ cwd: dir, env, log: memoryLogger(), planDir: plan.planDir });
      expect(applied.updated).toBe(2);
      expect(applied.failed).toBe(0);
      expect(applied.pending).toBe(4);
      const refused = sim.requests().filter((r) => r.errorCode === "DAILY_THRESHOLD");
      expect(refused).toHaveLength(1); // the run stopped at the first refusal
      expect(refused[0]!.status).toBe(status);
      expect(readFileSync(join(plan.planDir, "alma", "results.csv"), "utf8")).toContain(",pending,");
    });
});
