/**
 * docs/examples/plan.md is the demo's plan as a reviewer sees it (the pull request description). It is
 * rendered here from the sample data (patron-sync.yml and data/) against the Alma simulator's demo users,
 * and must equal the committed file: a change to what plan.md says, or to how it is built (it streams,
 * #21), shows here. `npx vitest run test/core/examples.test.ts -u` writes the file again after a
 * deliberate change. (docs/examples/plan-5000.md is checked the same way by test/core/scale.test.ts.)
 */
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { memoryLogger } from "../../src/core/log.ts";
import { PLAN_MD_BUDGET } from "../../src/core/markdown.ts";
import { runPlan } from "../../src/run.ts";
import { startAlmaSimulator } from "../../src/simulators/alma.ts";
import { removeTempDirs, tempDir } from "../helpers/tmp.ts";

afterAll(removeTempDirs);

describe("docs/examples/plan.md", () => {
  it("is the demo's plan as rendered today", async () => {
    const work = tempDir("ps-example-");
    cpSync("patron-sync.yml", join(work, "patron-sync.yml"));
    cpSync("data", join(work, "data"), { recursive: true });
    // A fixed clock: Alma's tracking ids carry the time of the answer (the not-found row shows one).
    const sim = await startAlmaSimulator({
      apiKey: "demo-api-key",
      clock: () => Date.parse("2026-11-29T16:34:43Z"),
      perSecondLimit: 1_000_000,
    });
    try {
      // No INFINITI_URL: the plan shows the config's address, as it does for a library.
      const env = { ALMA_API_KEY: "demo-api-key", ALMA_BASE_URL: sim.url };
      const plan = await runPlan({ cwd: work, env, log: memoryLogger(), out: "plans/demo" });
      const md = readFileSync(join(plan.planDir, "plan.md"), "utf8");
      expect(md.length).toBeLessThanOrEqual(PLAN_MD_BUDGET);
      await expect(md).toMatchFileSnapshot("../../docs/examples/plan.md");
    } finally {
      await sim.close();
    }
  }, 60_000);
});
