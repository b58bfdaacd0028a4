/**
 * Where a plan came onto the default branch, and what came with it (issue #17 §1): the landing commit
 * (merge, squash or single commit) may change only the plan's own directory, a push that lands a plan
 * nothing else, and a plan.json changed after it landed is refused. In real git repositories.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.ts";
import { openGit, type GitData } from "../../src/core/gitdata.ts";
import {
  autoAppliedSubject,
  checkLandingScope,
  checkPushLanding,
  findLanding,
} from "../../src/core/landing.ts";
import { removeTempDirs, tempDir } from "../helpers/tmp.ts";

let dir = "";
let g: GitData;
const git = (...args: string[]) =>
  execFileSync("git", args, {
    cwd: dir,
    encoding: "utf8",
    stdio: "pipe",
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "Staff",
      GIT_AUTHOR_EMAIL: "staff@library.example.edu",
      GIT_COMMITTER_NAME: "Staff",
      GIT_COMMITTER_EMAIL: "staff@library.example.edu",
    },
  }).trim();
const write = (files: Record<string, string>) => {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
};
const commit = (files: Record<string, string>, message = "commit") => {
  write(files);
  git("add", "-A");
  git("commit", "-q", "-m", message);
  return git("rev-parse", "HEAD");
};
const PLAN = { "plans/p1/plan.json": "{}", "plans/p1/alma/plan.json": "{}" };
const refusal = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(InputError);
  return (e as InputError).message;
};

beforeEach(async () => {
  dir = tempDir("ps-landing-");
  git("init", "-q", "-b", "main");
  commit({ "patron-sync.yml": "plans_dir: plans\n", "data/barcodes.txt": "E1|B1\n" }, "data");
  g = (await openGit(dir))!;
});
afterEach(removeTempDirs);

/** The plan branch: one commit on top of main with `files`, merged with a merge commit. */
function mergePlanBranch(files: Record<string, string>): { base: string; merge: string } {
  const base = git("rev-parse", "HEAD");
  git("checkout", "-q", "-b", "patron-sync/plan");
  commit(files, "the plan");
  git("checkout", "-q", "main");
  commit({ "docs/notes.md": "meanwhile on main\n" }, "a docs commit meanwhile");
  const first = git("rev-parse", "HEAD");
  git("merge", "-q", "--no-ff", "patron-sync/plan", "-m", "Merge pull request #1");
  expect(base).not.toBe(first);
  return { base: first, merge: git("rev-parse", "HEAD") };
}

describe("a plan's landing", () => {
  it("a merge commit that brings only the plan directory is its landing, its first parent the base", async () => {
    const { base, merge } = mergePlanBranch(PLAN);
    const head = commit({ "plans/p1/results.md": "# results\n" }, "results [skip ci]");
    const landing = await findLanding(g, head, "plans/p1");
    expect(landing).toEqual({ commit: merge, base, merge: true });
    await checkLandingScope(g, landing!, "plans/p1", []);
  });

  it("a merge commit that also brings data, the config and a second plan directory is refused, naming them", async () => {
    const { merge } = mergePlanBranch({
      ...PLAN,
      "data/barcodes.txt": "E1|EVIL\n",
      "patron-sync.yml": "plans_dir: plans\n# edited\n",
      "plans/p2/plan.json": "{}",
    });
    const landing = (await findLanding(g, merge, "plans/p1"))!;
    expect(await refusal(checkLandingScope(g, landing, "plans/p1", []))).toBe(
      `plans/p1/plan.json: came onto the default branch with the merge commit ${merge.slice(0, 12)}, which also changed 'data/barcodes.txt', 'patron-sync.yml', 'plans/p2/plan.json': a plan's pull request may change only its own plan directory (plans/p1/). Commit data and config changes to the default branch on their own, and let the plan workflow plan again.`,
    );
  });

  it("a squash merge is checked whole; a plan not on HEAD has no landing", async () => {
    expect(await findLanding(g, git("rev-parse", "HEAD"), "plans/p1")).toBeUndefined();
    const base = git("rev-parse", "HEAD");
    const squash = commit({ ...PLAN, "docs/x.md": "x\n" }, "Plan (#1)");
    const landing = (await findLanding(g, squash, "plans/p1"))!;
    expect(landing).toEqual({ commit: squash, base, merge: false });
    expect(await refusal(checkLandingScope(g, landing, "plans/p1", []))).toContain(
      `with the commit ${squash.slice(0, 12)}, which also changed 'docs/x.md'`,
    );
  });

  it("auto-apply's own commit may carry the state files, and only that commit", async () => {
    const files = { ...PLAN, "plans/p1/results.md": "r\n", "state/infiniti/applied.csv": "u\n" };
    const auto = commit(files, `${autoAppliedSubject("plans/p1")} 1 updated, 0 failed [skip ci]`);
    await checkLandingScope(g, (await findLanding(g, auto, "plans/p1"))!, "plans/p1", [
      "state/infiniti/applied.csv",
    ]);
    const other = commit(
      { "plans/p2/plan.json": "{}", "state/infiniti/applied.csv": "v\n" },
      "patron-sync: auto-applied plan and results of plans/p1: forged for p2",
    );
    expect(
      await refusal(
        checkLandingScope(g, (await findLanding(g, other, "plans/p2"))!, "plans/p2", [
          "state/infiniti/applied.csv",
        ]),
      ),
    ).toContain("also changed 'state/infiniti/applied.csv'");
  });

  it("a plan.json changed on the default branch after the merge is refused", async () => {
    mergePlanBranch(PLAN);
    const edit = commit({ "plans/p1/plan.json": '{"edited":true}' }, "fix the plan");
    expect(await refusal(findLanding(g, edit, "plans/p1"))).toBe(
      `plans/p1/plan.json: was changed on the default branch after the plan was merged (commit ${edit.slice(0, 12)}): apply applies a plan only as it was reviewed. Plan again.`,
    );
  });
});

describe("a push that lands a plan", () => {
  it("may change only that plan's directory: a second plan or data in the same push is refused", async () => {
    const before = git("rev-parse", "HEAD");
    commit(PLAN, "the plan (rebase merge, commit 1)");
    const clean = git("rev-parse", "HEAD");
    await checkPushLanding(g, before, clean, "plans");
    const data = commit({ "data/barcodes.txt": "E1|EVIL\n" }, "commit 2 of the same rebase merge");
    expect(await refusal(checkPushLanding(g, before, data, "plans"))).toBe(
      `the push: ${before.slice(0, 12)}..${data.slice(0, 12)} brought the plan plans/p1 and also changed 'data/barcodes.txt': a push that merges a plan may change only that one plan's directory. Merge each plan pull request on its own (with a merge commit or a squash merge), and commit data and config changes to the default branch separately.`,
    );
    const two = commit({ "plans/p9/plan.json": "{}" }, "commit 3");
    expect(await refusal(checkPushLanding(g, clean, two, "plans"))).toContain(
      "brought the plan plans/p9 and also changed 'data/barcodes.txt'",
    );
    expect(await refusal(checkPushLanding(g, before, two, "plans"))).toContain(
      "brought 2 plans ('plans/p1', 'plans/p9')",
    );
  });

  it("a push that lands no plan (results, state, data) is not this check's business", async () => {
    const before = git("rev-parse", "HEAD");
    const after = commit({ "plans/p0/results.md": "r\n", "state/x.csv": "s\n" }, "results");
    await checkPushLanding(g, before, after, "plans");
  });
});
