import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  appliedResults,
  isApplied,
  isUntouched,
  resultsPath,
  shownPath,
  systemPlanPath,
  unfinishedPlan,
  unfinishedPlans,
} from "../../src/core/plandir.ts";
import { removeTempDirs, tempDir } from "../helpers/tmp.ts";

afterEach(removeTempDirs);

function put(path: string, text: string): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
}

const manifest = (systems: string[]) =>
  JSON.stringify({ tool: "patron-sync", sections: systems.map((system) => ({ system })) });

describe("plan directory paths", () => {
  it("puts each system's files in its sub-directory", () => {
    expect(systemPlanPath("/p", "alma")).toBe(join("/p", "alma", "plan.json"));
    expect(resultsPath("/p", "infiniti")).toBe(join("/p", "infiniti", "results.json"));
    expect(shownPath("alma", "plan.json")).toBe("alma/plan.json");
  });
});

describe("unfinishedPlans", () => {
  it("finds plans with a system's plan journal and no manifest, newest last", () => {
    const plans = tempDir("patron-sync-plandir-");
    expect(unfinishedPlans(join(plans, "absent"))).toEqual([]);
    put(join(plans, "20250101T000000Z", "alma", "plan-journal.ndjson"), "{}\n");
    put(join(plans, "20250103T000000Z", "other", "plan-journal.ndjson"), "{}\n");
    // Finished: the manifest is there.
    put(join(plans, "20250104T000000Z", "alma", "plan-journal.ndjson"), "{}\n");
    put(join(plans, "20250104T000000Z", "plan.json"), manifest(["alma"]));
    // No journal: nothing to carry on.
    mkdirSync(join(plans, "20250105T000000Z", "alma"), { recursive: true });
    expect(unfinishedPlans(plans)).toEqual([
      join(plans, "20250101T000000Z"),
      join(plans, "20250103T000000Z"),
    ]);
    expect(unfinishedPlan(plans)).toBe(join(plans, "20250103T000000Z"));
  });
});

describe("applied and untouched", () => {
  it("is applied when results.md and every planned system's results are there", () => {
    const dir = tempDir("patron-sync-plandir-");
    put(join(dir, "plan.json"), manifest(["alma", "infiniti"]));
    expect(isApplied(dir)).toBe(false);
    expect(isUntouched(dir)).toBe(true);
    put(join(dir, "alma", "results.json"), JSON.stringify({ complete: true, counts: { failed: 1 } }));
    expect(isUntouched(dir)).toBe(false);
    put(join(dir, "results.md"), "# results\n");
    expect(isApplied(dir)).toBe(false); // infiniti has none yet
    expect(isApplied(dir, "alma")).toBe(true);
    put(join(dir, "infiniti", "results.json"), JSON.stringify({ complete: false, counts: {} }));
    expect(appliedResults(dir)).toEqual({ applied: true, failed: 1, pending: 1 });
  });

  it("an apply journal alone means an apply has started", () => {
    const dir = tempDir("patron-sync-plandir-");
    put(join(dir, "plan.json"), manifest(["alma"]));
    put(join(dir, "alma", "journal.ndjson"), "{}\n");
    expect(isUntouched(dir)).toBe(false);
    expect(isApplied(dir)).toBe(false);
  });

  it("an unreadable results file is no results", () => {
    const dir = tempDir("patron-sync-plandir-");
    put(join(dir, "plan.json"), manifest(["alma"]));
    put(join(dir, "results.md"), "# results\n");
    put(join(dir, "alma", "results.json"), "{not json");
    expect(isApplied(dir)).toBe(false);
  });
});
