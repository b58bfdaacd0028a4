/**
 * Undo on GitHub (issue #13).
 *
 *   revert    `command: revert` with `plan-dir: <applied plan directory>` (the apply workflow's
 *             manual run, input `revert`): writes the revert plan (src/core/revert.ts), commits it on
 *             its own rolling branch patron-sync/revert and opens (or updates) the revert pull
 *             request. Merging it is a push under plans/, so the apply workflow applies it like any plan.
 *
 * GitHub's Revert button is not the way: it opens a pull request that deletes the plan's files, and
 * that push would start apply. {@link refuseDeletingPush} makes apply refuse any push that deletes
 * files under plans_dir (exit 2, nothing sent), saying how to undo a plan.
 */
import { HOLDS_FILE } from "../core/holds.ts";
import * as core from "@actions/core";
import { relative, sep } from "node:path";
import { loadConfig } from "../config.ts";
import { EXIT, InputError } from "../core/errors.ts";
import { longLabels } from "../core/system.ts";
import { runRevert } from "../core/revert.ts";
import { isZeroSha } from "./event.ts";
import { REVERT_BRANCH, type Repo } from "./git.ts";
import { writeOutputs, type PullResult } from "./outputs.ts";
import { publishPlan } from "./publish.ts";
import { committedPaths } from "./records.ts";
import { octokitFor, visibility, type Run } from "./runtime.ts";
import { renderPlanSummary, writeSummary } from "./summary.ts";

export const UNDO_HINT =
  "To undo a merged plan, run the 'patron-sync plan' workflow by hand with the input 'revert' set to that plan directory: it opens a revert pull request to review and merge (docs/setup.md, 'Undoing a merged plan').";

export async function revert(run: Run): Promise<number> {
  const { inputs, ctx, log } = run;
  const octokit = octokitFor(inputs, "revert (it opens a pull request)");
  const { vis, defaultBranch } = await visibility(run, octokit);
  if (vis.isPublic)
    throw new InputError({
      file: "repository",
      message:
        "is public: revert is refused. A public repository holds only redacted plans, without the recorded results a revert is made from.",
    });
  if (!inputs.planDir)
    throw new InputError({
      file: "action input 'plan-dir'",
      message:
        "is empty: command revert needs the applied plan directory to undo (e.g. plans/20250101T120000Z)",
    });
  const loaded = await loadConfig(inputs.config, ctx.workspace);
  run.heartbeat.phase("writing the revert plan");
  const outcome = await runRevert({
    systems: run.systems,
    configPath: inputs.config,
    cwd: ctx.workspace,
    only: inputs.only,
    log,
    planDir: inputs.planDir,
  });
  const dir = relative(ctx.workspace, outcome.planDir).split(sep).join("/");
  log.info(`${outcome.title}\nrevert plan directory: ${dir}`);

  let pull: PullResult = { operation: "none" };
  if (outcome.changes === 0) {
    log.info(
      `nothing to undo: the apply of ${inputs.planDir} wrote nothing this revert could restore; no pull request`,
    );
  } else {
    pull = await publishPlan(run, octokit, {
      noun: "revert plan",
      branch: REVERT_BRANCH,
      dir,
      // Like a plan: the revert's infiniti/import.csv stays out of git unless commit_records (apply re-makes it).
      paths: committedPaths(dir, loaded.config.commit_records, run.systems),
      title: outcome.title,
      markdown: outcome.markdown,
      base: defaultBranch,
    });
  }
  writeOutputs({
    planDir: dir,
    pull,
    changes: outcome.changes,
    artifactRetentionDays: loaded.config.artifact_retention_days,
  });
  await writeSummary(
    renderPlanSummary({
      labels: longLabels(run.systems),
      title: outcome.title,
      planDir: dir,
      changes: outcome.changes,
      sections: outcome.sections,
      pull,
      markdown: outcome.markdown,
    }),
  );
  return EXIT.ok;
}

/** Files under plans_dir that a push deleted (from git, else from the event's commits), but holds files. */
async function deletedPlanFiles(run: Run, repo: Repo, plansDir: string): Promise<string[]> {
  const { before, after, commits = [], head_commit } = run.ctx.payload;
  let files: string[] | undefined;
  if (!isZeroSha(before) && !isZeroSha(after)) {
    try {
      const out = await repo.git.raw([
        "diff",
        "--name-only",
        "--no-renames",
        "--diff-filter=D",
        before!,
        after!,
        "--",
      ]);
      files = out.split("\n").filter(Boolean);
    } catch {
      files = undefined;
    }
  }
  files ??= [...commits, ...(head_commit ? [head_commit] : [])].flatMap((c) => c.removed ?? []);
  const prefix = plansDir.replace(/^\.\/|\/+$/g, "") + "/";
  // Deleting a revert's holds.json releases its holds (README, Undo): a deliberate act, not a deleted plan.
  return [...new Set(files)].filter((f) => f.startsWith(prefix) && !f.endsWith(`/${HOLDS_FILE}`)).sort();
}

/**
 * A push that deletes plan files (GitHub's Revert button on a merged plan, or a clean-up) is never
 * applied: apply refuses it with exit 2 and says how to undo a plan.
 */
export async function refuseDeletingPush(run: Run, repo: Repo, plansDir: string): Promise<void> {
  if (run.ctx.eventName !== "push" || run.inputs.planDir) return;
  const deleted = await deletedPlanFiles(run, repo, plansDir);
  if (!deleted.length) return;
  const shown =
    deleted.slice(0, 5).join(", ") + (deleted.length > 5 ? ` and ${deleted.length - 5} more` : "");
  core.warning(`this push deletes plan files (${shown}): apply does not run`);
  throw new InputError({
    file: `push ${run.ctx.payload.after?.slice(0, 7) ?? ""}`.trim(),
    message: `deletes plan files under ${plansDir}/ (${shown}), so apply does not run: deleting a plan (GitHub's Revert button on a merged plan pull request) undoes nothing in Alma or Infiniti. ${UNDO_HINT} To apply a plan from such a push anyway, run the apply workflow by hand with its plan-dir.`,
  });
}
