import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  appliedResults,
  isApplied,
  isUntouched,
  readHistory,
  readResults,
  resultsPath,
  shownPath,
  systemPlanPath,
  unfinishedPlan,
  unfinishedPlans,
  writeResults,
  type ResultsFile,
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

describe("results files", () => {
  interface Extra extends ResultsFile<{ id: string; status: string }> {
    posted: boolean;
  }
  const apply = (dir: string, at: string, counts: Record<string, number>, failed: string[] = []) =>
    writeResults<Extra>(
      dir,
      {
        system: "x",
        applied_at: at,
        posted: true,
        complete: !counts.pending,
        counts,
        results: failed.map((id) => ({ id, status: "failed" })),
      },
      failed.map((id) => ({ id, message: "refused" })),
    );

  it("a second apply keeps the first in the history, oldest first, and the system's fields in its order", () => {
    const dir = tempDir("patron-sync-plandir-");
    mkdirSync(join(dir, "x"));
    apply(dir, "2025-01-01T00:00:00.000Z", { updated: 2, pending: 1 });
    apply(dir, "2025-01-02T00:00:00.000Z", { updated: 1, failed: 1 }, ["E1"]);
    const text = readFileSync(join(dir, "x", "results.json"), "utf8");
    const r = JSON.parse(text) as Extra;
    expect(Object.keys(r)).toEqual([
      "system",
      "applied_at",
      "posted",
      "complete",
      "counts",
      "results",
      "history",
    ]);
    expect(r.applied_at).toBe("2025-01-02T00:00:00.000Z");
    expect(r.history).toEqual([
      {
        applied_at: "2025-01-01T00:00:00.000Z",
        complete: false,
        counts: { updated: 2, pending: 1 },
        failures: [],
      },
      {
        applied_at: "2025-01-02T00:00:00.000Z",
        complete: true,
        counts: { updated: 1, failed: 1 },
        failures: [{ id: "E1", message: "refused" }],
      },
    ]);
    expect(readResults<Extra>(dir, "x")).toEqual(r);
    expect(text).toBe(JSON.stringify(r, null, 1) + "\n");
  });

  it("reads an older file without history as one apply, and carries it on", () => {
    const dir = tempDir("patron-sync-plandir-");
    put(
      join(dir, "x", "results.json"),
      JSON.stringify({
        system: "x",
        applied_at: "2024-12-31T00:00:00.000Z",
        complete: true,
        counts: { updated: 5 },
        results: [],
      }),
    );
    expect(readResults(dir, "x")?.counts).toEqual({ updated: 5 });
    expect(readHistory(dir, "x")).toEqual([
      { applied_at: "2024-12-31T00:00:00.000Z", counts: { updated: 5 }, complete: true },
    ]);
    const r = apply(dir, "2025-01-01T00:00:00.000Z", { unchanged: 5 });
    expect(r.history!.map((h) => h.counts)).toEqual([{ updated: 5 }, { unchanged: 5 }]);
  });

  it("has no results or history where no apply wrote any, or the file is not JSON", () => {
    const dir = tempDir("patron-sync-plandir-");
    expect(readResults(dir, "x")).toBeUndefined();
    expect(readHistory(dir, "x")).toEqual([]);
    put(join(dir, "x", "results.json"), "{not json");
    expect(readResults(dir, "x")).toBeUndefined();
    expect(readHistory(dir, "x")).toEqual([]);
  });
});
