/**
 * The GitHub Action: `command: plan | apply | validate` over the same core as the CLI
 * (src/core/run.ts), with the same exit codes and interrupt handling (src/core/entry.ts): 0 ok, 1 some
 * records failed, 2 bad input or config (nothing sent), 75 another apply of the plan is running, 130 interrupted.
 *
 *   plan      runPlan → commit the plan directory on the rolling branch patron-sync/plan → open or
 *             update the one plan pull request (or close it when nothing is left to change).
 *   apply     src/github/apply.ts: every merged plan without results, oldest first → runApply →
 *             commit the results to the branch as the audit trail ([skip ci]) → fail the job when
 *             any record failed.
 *   revert    src/github/revert.ts: a revert plan of the applied plan in plan-dir, on its own
 *             branch patron-sync/revert, in its own pull request; merging it applies it.
 *   validate  runValidate: every input file checked, nothing sent.
 */
import * as core from "@actions/core";
import { loadConfig } from "../config.ts";
import { endingFor, handleInterrupts } from "../core/entry.ts";
import { EXIT, InputError, InterruptedError, NotStartedError } from "../core/errors.ts";
import { longLabels } from "../core/system.ts";
import { runPlan, runValidate } from "../core/run.ts";
import { builtInSystems } from "../systems.ts";
import { apply } from "./apply.ts";
import { closeForAutoApply, planDecision, planNote, withNote } from "./auto-apply.ts";
import { revert } from "./revert.ts";
import { actionContext, runUrl } from "./context.ts";
import { PLAN_BRANCH } from "./git.ts";
import { actionSettings, maskSecrets, readInputs } from "./inputs.ts";
import { writeOutputs, type PullResult } from "./outputs.ts";
import { actionLogger, startHeartbeat } from "./progress.ts";
import { publishPlan } from "./publish.ts";
import { steeringOfRun } from "./steering.ts";
import { closePlanPull, closeStalePlanPull, type Octokit } from "./pulls.ts";
import { committedPaths, recordFilesIn, recordsNote } from "./records.ts";
import { PUBLIC_FILES, PUBLIC_NOTE, redactPlanDir, type Visibility } from "./redact.ts";
import { octokitFor, rel, visibility, type Run } from "./runtime.ts";
import { notConfigured, notConfiguredNotice } from "./setup.ts";
import { renderPlanSummary, renderProblemsSummary, writeSummary } from "./summary.ts";

async function validate(run: Run): Promise<number> {
  await runValidate({
    systems: run.systems,
    configPath: run.inputs.config,
    cwd: run.ctx.workspace,
    only: run.inputs.only,
    log: run.log,
  });
  run.log.info("All input files are valid.");
  writeOutputs({});
  await writeSummary("# patron-sync validate\n\nAll input files are valid. Nothing was sent.\n");
  return EXIT.ok;
}

/**
 * plan. When it fails (bad input, a fatal Alma error such as a wrong key, anything thrown), the open
 * plan pull request is never rewritten or closed as "nothing left to change": it is marked stale
 * (a comment linking the failed run) and closed, so that an outdated plan is never merged.
 */
async function plan(run: Run): Promise<number> {
  const octokit = octokitFor(run.inputs, "plan (it opens a pull request)");
  const { vis, defaultBranch } = await visibility(run, octokit);
  try {
    return await planWith(run, octokit, vis, defaultBranch);
  } catch (e) {
    if (!(e instanceof InterruptedError)) await markPullStale(run, octokit, e);
    throw e;
  }
}

async function markPullStale(run: Run, octokit: Octokit, e: unknown): Promise<void> {
  const why =
    e instanceof InputError
      ? `the input or the configuration has ${e.problems.length === 1 ? "a problem" : `${e.problems.length} problems`} (listed in the run's summary)`
      : "the plan could not be finished (the run's log says why)";
  try {
    const pull = await closeStalePlanPull(octokit, {
      owner: run.ctx.owner,
      repo: run.ctx.repo,
      runUrl: runUrl(run.ctx),
      why,
    });
    if (pull.operation === "closed")
      run.log.warn(`the plan failed: the open plan pull request #${pull.number} is marked stale and closed`);
  } catch (err) {
    run.log.warn(
      `the plan failed, and the open plan pull request could not be marked stale: ${(err as Error).message}`,
    );
  }
}

async function planWith(run: Run, octokit: Octokit, vis: Visibility, defaultBranch: string): Promise<number> {
  const { inputs, ctx, log } = run;
  if (vis.isPublic) core.warning(PUBLIC_NOTE);

  const loaded = await loadConfig(inputs.config, ctx.workspace);
  const missing = notConfigured(loaded, run.settings, inputs.only);
  if (missing) {
    const notice = notConfiguredNotice(missing);
    core.notice(notice);
    writeOutputs({});
    await writeSummary(`# patron-sync plan\n\n${notice}\n`);
    return EXIT.ok;
  }
  run.heartbeat.phase("planning");
  let outcome;
  try {
    outcome = await runPlan({
      systems: run.systems,
      configPath: inputs.config,
      cwd: ctx.workspace,
      only: inputs.only,
      log,
      signal: run.signal,
      scheduled: ctx.eventName === "schedule",
    });
  } catch (e) {
    if (!(e instanceof NotStartedError)) throw e;
    // Not a failure: nothing was sent, the pull request is left as it is, the next run tries again.
    core.notice(e.message);
    writeOutputs({});
    await writeSummary(`# patron-sync plan\n\n**Not started.** ${e.message}\n`);
    return EXIT.ok;
  }
  const dir = rel(ctx.workspace, outcome.planDir);
  log.info(`${outcome.title}\nplan directory: ${dir}`);
  // Before anything is pushed: the artifact step finds the plan whatever happens next.
  writeOutputs({
    planDir: dir,
    changes: outcome.changes,
    artifactRetentionDays: loaded.config.artifact_retention_days,
  });

  let markdown = outcome.markdown;
  let files = committedPaths(dir, loaded.config.commit_records, run.systems);
  if (!vis.isPublic && !loaded.config.commit_records) {
    const kept = recordFilesIn(outcome.planDir, run.systems);
    markdown = recordsNote(kept, runUrl(ctx), loaded.config.artifact_retention_days) + markdown;
    if (kept.length)
      log.info(
        `not committed (commit_records is off): ${kept.map((f) => `${dir}/${f}`).join(", ")}; they are in the run's artifact`,
      );
  }
  if (vis.isPublic) {
    const r = await redactPlanDir(outcome.planDir, run.systems, dir);
    markdown = r.markdown;
    files = PUBLIC_FILES.map((f) => `${dir}/${f}`);
    log.info(
      `public repository: ${r.removed.length} files with patron records were removed from ${dir}; only plan.md and plan.json (redacted to IDs and actions) are committed`,
    );
  }

  let auto = planDecision(loaded, outcome.sections, run.systems, vis.isPublic);
  if (auto.apply) {
    // Never auto-applied from a push that changed the policy (the config) or the workflows.
    const steered = await steeringOfRun(run, loaded);
    if (steered) auto = { apply: false, reason: steered };
  }
  let pull: PullResult;
  let closedForAuto: PullResult | undefined;
  if (auto.apply) {
    run.heartbeat.phase("closing the stale plan pull request");
    log.info(`auto-apply: the plan fits the policy (${auto.rule}): no pull request; the next job applies it`);
    closedForAuto = await closeForAutoApply(octokit, {
      owner: ctx.owner,
      repo: ctx.repo,
      dir,
      rule: auto.rule!,
    });
    pull = { operation: "none" };
  } else if (outcome.changes === 0) {
    run.heartbeat.phase("closing the stale plan pull request");
    log.info("nothing to change: no plan branch is pushed");
    pull = await closePlanPull(octokit, {
      owner: ctx.owner,
      repo: ctx.repo,
      comment: `Nothing is left to change: the latest plan (\`${dir}\`, ${outcome.title.replace(/^Patron sync plan: /, "")}) has no records to send, so this plan is closed. A new plan opens a new pull request.`,
    });
    if (pull.operation === "closed") log.info(`closed the stale plan pull request #${pull.number}`);
  } else {
    if (loaded.config.auto_apply) log.info(`not auto-applied: ${auto.reason}`);
    pull = await publishPlan(run, octokit, {
      noun: "plan",
      branch: PLAN_BRANCH,
      dir,
      paths: files,
      title: outcome.title,
      markdown,
      base: defaultBranch,
    });
  }

  writeOutputs({
    planDir: dir,
    pull,
    changes: outcome.changes,
    artifactRetentionDays: loaded.config.artifact_retention_days,
    autoApply: auto,
  });
  await writeSummary(
    withNote(
      renderPlanSummary({
        labels: longLabels(run.systems),
        title: outcome.title,
        planDir: dir,
        changes: outcome.changes,
        sections: outcome.sections,
        pull,
        markdown,
        publicNote: vis.isPublic ? PUBLIC_NOTE : undefined,
      }),
      planNote(auto, loaded.config.auto_apply !== undefined, closedForAuto),
    ),
  );
  return EXIT.ok;
}

/** Runs the action; returns the exit code. */
export async function runAction(): Promise<number> {
  const heartbeat = startHeartbeat();
  const log = actionLogger();
  const interrupts = handleInterrupts(log);
  let command = "run";
  try {
    const inputs = readInputs();
    command = inputs.command;
    maskSecrets(inputs);
    const settings = actionSettings(inputs);
    const run: Run = {
      systems: builtInSystems(settings),
      inputs,
      ctx: actionContext(),
      settings,
      log,
      heartbeat,
      signal: interrupts.signal,
    };
    switch (inputs.command) {
      case "validate":
        return await validate(run);
      case "plan":
        return await plan(run);
      case "apply":
        return await apply(run);
      case "revert":
        return await revert(run);
    }
  } catch (e) {
    const ending = endingFor(e);
    core.setFailed(ending.message);
    if (e instanceof InputError) {
      await writeSummary(renderProblemsSummary(command, e.problems));
      writeOutputs({});
    }
    return ending.code;
  } finally {
    heartbeat.stop();
    interrupts.dispose();
  }
}
