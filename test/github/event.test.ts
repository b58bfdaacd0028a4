import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  appliedResults,
  changedFilesFromPayload,
  findPlanDir,
  hasCompleteResults,
  isZeroSha,
  newestUnappliedPlanDir,
  planDirsFromChangedFiles,
  waitingPlanDirs,
} from "../../src/github/event.ts";

let ws = "";
beforeEach(() => {
  ws = mkdtempSync(join(tmpdir(), "patron-sync-event-"));
});
afterEach(() => rmSync(ws, { recursive: true, force: true }));

function plan(name: string, results?: { alma?: object; md?: boolean }): string {
  const dir = join(ws, "plans", name);
  mkdirSync(join(dir, "alma"), { recursive: true });
  writeFileSync(
    join(dir, "plan.json"),
    JSON.stringify({ tool: "patron-sync", sections: [{ system: "alma" }] }),
  );
  if (results?.alma) writeFileSync(join(dir, "alma", "results.json"), JSON.stringify(results.alma));
  if (results?.md) writeFileSync(join(dir, "results.md"), "# results\n");
  return dir;
}

describe("planDirsFromChangedFiles", () => {
  it("finds the plan directories that changed files lie in, oldest first", () => {
    const files = [
      "data/alma/patronlist_no_barcode.txt",
      "plans/20250102T000000Z/plan.md",
      "plans/20250102T000000Z/alma/plan.json",
      "plans/20250101T000000Z/plan.json",
      "plans/README.md",
      "plansX/20250101T000000Z/plan.json",
    ];
    expect(planDirsFromChangedFiles(files, "plans")).toEqual([
      "plans/20250101T000000Z",
      "plans/20250102T000000Z",
    ]);
    expect(planDirsFromChangedFiles(files, "./plans/")).toEqual([
      "plans/20250101T000000Z",
      "plans/20250102T000000Z",
    ]);
    expect(planDirsFromChangedFiles(["audit/plans/a/plan.json"], "audit/plans")).toEqual(["audit/plans/a"]);
  });
});

describe("changedFilesFromPayload", () => {
  it("collects added, modified and removed files of every commit", () => {
    const files = changedFilesFromPayload({
      commits: [
        { added: ["plans/a/plan.json"], modified: ["data/x"], removed: [] },
        { added: [], modified: ["plans/a/plan.md"], removed: ["old"] },
      ],
      head_commit: { added: ["plans/a/plan.json"] },
    });
    expect(files.sort()).toEqual(["data/x", "old", "plans/a/plan.json", "plans/a/plan.md"]);
  });
  it("knows a zero sha", () => {
    expect(isZeroSha("0000000000000000000000000000000000000000")).toBe(true);
    expect(isZeroSha(undefined)).toBe(true);
    expect(isZeroSha("a1b2")).toBe(false);
  });
});

describe("hasCompleteResults", () => {
  it("needs results.md and complete results with nothing failed or pending", () => {
    expect(hasCompleteResults(plan("a"))).toBe(false);
    expect(
      hasCompleteResults(plan("b", { md: true, alma: { complete: true, counts: { updated: 3 } } })),
    ).toBe(true);
    expect(
      hasCompleteResults(plan("c", { md: true, alma: { complete: false, counts: { pending: 3 } } })),
    ).toBe(false);
    expect(hasCompleteResults(plan("d", { md: true, alma: { complete: true, counts: { failed: 1 } } }))).toBe(
      false,
    );
    expect(hasCompleteResults(plan("e", { alma: { complete: true, counts: {} } }))).toBe(false);
  });
});

describe("appliedResults", () => {
  it("says whether an apply finished, and what it left failed or pending", () => {
    expect(appliedResults(plan("a"))).toEqual({ applied: false, failed: 0, pending: 0 });
    expect(appliedResults(plan("b", { md: true, alma: { complete: true, counts: { failed: 2 } } }))).toEqual({
      applied: true,
      failed: 2,
      pending: 0,
    });
    expect(
      appliedResults(plan("c", { md: true, alma: { complete: false, counts: { pending: 3 } } })),
    ).toEqual({
      applied: true,
      failed: 0,
      pending: 3,
    });
    expect(appliedResults(plan("d", { md: true, alma: { complete: true } }), "infiniti").applied).toBe(false);
  });
});

describe("findPlanDir", () => {
  const base = { input: "", workspace: "", plansDir: "plans", payload: {} };

  it("takes the plan-dir input first", async () => {
    const c = await findPlanDir({ ...base, workspace: ws, eventName: "push", input: "plans/x/" });
    expect(c).toMatchObject({ dir: "plans/x", how: "the plan-dir input" });
  });

  it("takes the plan directory a push changed, from git", async () => {
    plan("20250101T000000Z");
    plan("20250102T000000Z");
    const c = await findPlanDir({
      ...base,
      workspace: ws,
      eventName: "push",
      payload: { before: "a".repeat(40), after: "b".repeat(40) },
      gitChangedFiles: () =>
        Promise.resolve(["plans/20250101T000000Z/plan.json", "plans/20250101T000000Z/plan.md"]),
    });
    expect(c?.dir).toBe("plans/20250101T000000Z");
    expect(c?.how).toContain("aaaaaaa..bbbbbbb");
  });

  it("falls back to the event's commit lists, then to the newest plan without results", async () => {
    plan("20250101T000000Z");
    plan("20250102T000000Z", { md: true, alma: { complete: true, counts: { updated: 1 } } });
    const fromPayload = await findPlanDir({
      ...base,
      workspace: ws,
      eventName: "push",
      payload: {
        before: "0".repeat(40),
        after: "b".repeat(40),
        commits: [{ added: ["plans/20250102T000000Z/plan.json"] }],
      },
    });
    expect(fromPayload?.dir).toBe("plans/20250102T000000Z");
    const newest = await findPlanDir({ ...base, workspace: ws, eventName: "workflow_dispatch" });
    expect(newest?.dir).toBe("plans/20250101T000000Z");
    expect(newestUnappliedPlanDir(join(ws, "nowhere"))).toBeUndefined();
  });

  it("finds nothing when every plan has complete results", async () => {
    plan("a", { md: true, alma: { complete: true, counts: {} } });
    expect(await findPlanDir({ ...base, workspace: ws, eventName: "workflow_dispatch" })).toBeUndefined();
  });
});

describe("waitingPlanDirs", () => {
  it("lists merged plans that no apply has touched, oldest first", () => {
    plan("20250103T000000Z");
    plan("20250101T000000Z");
    plan("20250102T000000Z", { alma: { complete: true, counts: { updated: 1 } }, md: true });
    const journalled = plan("20250104T000000Z");
    writeFileSync(join(journalled, "alma", "journal.ndjson"), "{}\n");
    mkdirSync(join(ws, "plans", "20250105T000000Z")); // no plan.json: not a plan
    expect(waitingPlanDirs(ws, "plans")).toEqual(["plans/20250101T000000Z", "plans/20250103T000000Z"]);
    expect(waitingPlanDirs(ws, "nowhere")).toEqual([]);
  });
});
