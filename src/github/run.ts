/**
 * The GitHub Action: `command: plan | apply | validate` over the same core as the CLI
 * (src/core/run.ts), with the same exit codes: 0 ok, 1 some records failed, 2 bad input or config
 * (nothing sent), 130 interrupted.
 *
 *   plan      runPlan → commit the plan directory on the rolling branch patron-sync/plan → open or
 *             update the one plan pull request (or close it when nothing is left to change).
 *   apply     find the merged plan directory → runApply → commit the results to the branch as the
 *             audit trail ([skip ci]) → fail the job when any record failed.
 *   validate  runValidate: every input file checked, nothing sent.
 */
import * as core from "@actions/core";
import { getOctokit } from "@actions/github";
import { relative, resolve, sep } from "node:path";
import { loadConfig } from "../config.ts";
import { EXIT, EXIT_INTERRUPTED, InputError, InterruptedError } from "../core/errors.ts";
import type { Logger } from "../core/log.ts";
import { readManifest, runApply, runPlan, runValidate } from "../core/run.ts";
import { actionContext, blobUrl, branchOfRef, type ActionContext } from "./context.ts";
import { appliedResults, findPlanDir } from "./event.ts";
import { PLAN_BRANCH, Repo } from "./git.ts";
import { coreEnv, maskSecrets, readInputs, type ActionInputs } from "./inputs.ts";
import { writeOutputs, type PullResult } from "./outputs.ts";
import { actionLogger, startHeartbeat, type Heartbeat } from "./progress.ts";
import { closePlanPull, pullTitle, repoInfo, truncateBody, upsertPlanPull, type Octokit } from "./pulls.ts";
import { decideVisibility, PUBLIC_FILES, PUBLIC_NOTE, redactPlanDir } from "./redact.ts";
import { renderApplySummary, renderPlanSummary, renderProblemsSummary, writeSummary } from "./summary.ts";

interface Run {
  inputs: ActionInputs;
  ctx: ActionContext;
  env: NodeJS.ProcessEnv;
  log: Logger;
  heartbeat: Heartbeat;
  signal: AbortSignal;
}

/** A path relative to the workspace, with forward slashes. */
function rel(workspace: string, abs: string): string {
  return relative(workspace, abs).split(sep).join("/") || ".";
}

function octokitFor(inputs: ActionInputs, what: string): Octokit {
  if (!inputs.githubToken) {
    throw new InputError({
      file: "action input 'github-token'",
      message: `is empty: ${what} needs a token (the default, \${{ github.token }}, is enough)`,
    });
  }
  return getOctokit(inputs.githubToken);
}

async function visibility(run: Run, octokit: Octokit | undefined) {
  const info = octokit ? await repoInfo(octokit, run.ctx) : undefined;
  const vis = decideVisibility(info, run.ctx.payload.repository?.private);
  run.log.info(`repository ${run.ctx.owner}/${run.ctx.repo}: ${vis.why}`);
  const defaultBranch =
    info?.defaultBranch ?? run.ctx.payload.repository?.default_branch ?? branchOfRef(run.ctx.ref) ?? "main";
  return { vis, defaultBranch };
}

async function validate(run: Run): Promise<number> {
  await runValidate({
    configPath: run.inputs.config,
    cwd: run.ctx.workspace,
    only: run.inputs.only,
    env: run.env,
    log: run.log,
  });
  run.log.info("All input files are valid.");
  writeOutputs({});
  await writeSummary("# patron-sync validate\n\nAll input files are valid. Nothing was sent.\n");
  return EXIT.ok;
}

async function plan(run: Run): Promise<number> {
  const { inputs, ctx, log } = run;
  const octokit = octokitFor(inputs, "plan (it opens a pull request)");
  const { vis, defaultBranch } = await visibility(run, octokit);
  if (vis.isPublic) core.warning(PUBLIC_NOTE);

  const loaded = await loadConfig(inputs.config, ctx.workspace);
  run.heartbeat.phase("planning");
  const outcome = await runPlan({
    configPath: inputs.config,
    cwd: ctx.workspace,
    only: inputs.only,
    env: run.env,
    log,
    signal: run.signal,
  });
  const dir = rel(ctx.workspace, outcome.planDir);
  log.info(`${outcome.title}\nplan directory: ${dir}`);

  let markdown = outcome.markdown;
  let files = [dir];
  if (vis.isPublic) {
    const r = redactPlanDir(outcome.planDir, dir);
    markdown = r.markdown;
    files = PUBLIC_FILES.map((f) => `${dir}/${f}`);
    log.info(
      `public repository: ${r.removed.length} files with patron records were removed from ${dir}; only plan.md and plan.json (redacted to IDs and actions) are committed`,
    );
  }

  let pull: PullResult;
  if (outcome.changes === 0) {
    run.heartbeat.phase("closing the stale plan pull request");
    log.info("nothing to change: no plan branch is pushed");
    pull = await closePlanPull(octokit, {
      owner: ctx.owner,
      repo: ctx.repo,
      comment: `Nothing is left to change: the latest plan (\`${dir}\`, ${outcome.title.replace(/^Patron sync plan: /, "")}) has no records to send, so this plan is closed. A new plan opens a new pull request.`,
    });
    if (pull.operation === "closed") log.info(`closed the stale plan pull request #${pull.number}`);
  } else {
    run.heartbeat.phase("pushing the plan branch");
    const repo = new Repo({ dir: ctx.workspace, token: inputs.githubToken, serverUrl: ctx.serverUrl });
    const sha = await repo.pushPlanBranch(files, `${outcome.title}\n\nPlan directory: ${dir}`);
    log.info(`pushed ${dir} to ${PLAN_BRANCH} (${sha.slice(0, 7)})`);
    const body = truncateBody(
      markdown,
      `This plan is too long for a pull request description. The whole plan is [\`${dir}/plan.md\`](${blobUrl(ctx, PLAN_BRANCH, `${dir}/plan.md`)}) on the \`${PLAN_BRANCH}\` branch.`,
    );
    run.heartbeat.phase("opening the plan pull request");
    pull = await upsertPlanPull(octokit, {
      owner: ctx.owner,
      repo: ctx.repo,
      base: defaultBranch,
      title: pullTitle(outcome.title),
      body,
    });
    log.info(`${pull.operation} the plan pull request #${pull.number}: ${pull.url}`);
  }

  writeOutputs({
    planDir: dir,
    pull,
    changes: outcome.changes,
    artifactRetentionDays: loaded.config.artifact_retention_days,
  });
  await writeSummary(
    renderPlanSummary({
      title: outcome.title,
      planDir: dir,
      changes: outcome.changes,
      sections: outcome.sections,
      pull,
      markdown,
      publicNote: vis.isPublic ? PUBLIC_NOTE : undefined,
    }),
  );
  return EXIT.ok;
}

async function apply(run: Run): Promise<number> {
  const { inputs, ctx, log } = run;
  const octokit = inputs.githubToken ? getOctokit(inputs.githubToken) : undefined;
  const { vis, defaultBranch } = await visibility(run, octokit);
  if (vis.isPublic) {
    throw new InputError({
      file: "repository",
      message:
        "is public: apply is refused. Patron records are personal data, so a public repository holds only redacted plans (IDs and actions) and apply has nothing to apply from. Keep patron-sync's data in a private repository.",
    });
  }
  const loaded = await loadConfig(inputs.config, ctx.workspace);
  const plansDir = rel(ctx.workspace, resolve(loaded.root, loaded.config.plans_dir));
  const repo = new Repo({ dir: ctx.workspace, token: inputs.githubToken, serverUrl: ctx.serverUrl });
  const choice = await findPlanDir({
    input: inputs.planDir,
    workspace: ctx.workspace,
    plansDir,
    eventName: ctx.eventName,
    payload: ctx.payload,
    gitChangedFiles: (a, b) => repo.changedFiles(a, b),
    only: inputs.only,
  });
  if (!choice) {
    log.info(`no plan to apply: no plan directory under ${plansDir}/ is waiting to be applied`);
    writeOutputs({});
    await writeSummary(
      `# patron-sync apply\n\nNothing to apply: every plan under \`${plansDir}/\` has complete results.\n`,
    );
    return EXIT.ok;
  }
  log.info(`plan directory: ${choice.dir} (from ${choice.how})`);
  if (choice.others.length)
    core.warning(
      `this push changed more than one plan directory; applying the newest, ${choice.dir}. Apply ${choice.others.join(", ")} by hand (run the apply workflow with plan-dir).`,
    );
  const planAbs = resolve(ctx.workspace, choice.dir);
  const manifest = readManifest(planAbs);
  const before = appliedResults(planAbs, inputs.only);
  if (before.applied && ctx.eventName === "push" && !inputs.planDir) {
    // A push never applies a plan twice (the results commit itself touches plans/).
    const left = [before.failed && `${before.failed} failed`, before.pending && `${before.pending} pending`]
      .filter(Boolean)
      .join(", ");
    const more = left
      ? ` It has ${left}: to retry or carry on, run the apply workflow by hand with plan-dir ${choice.dir}.`
      : "";
    log.info(`${choice.dir} was applied before: nothing to do on a push.${more}`);
    writeOutputs({
      planDir: choice.dir,
      changes: manifest.changes,
      artifactRetentionDays: loaded.config.artifact_retention_days,
    });
    await writeSummary(
      `# patron-sync apply\n\n\`${choice.dir}\` was applied before (see its \`results.md\`): nothing was sent.${more}\n`,
    );
    return EXIT.ok;
  }

  run.heartbeat.phase("applying");
  const branch = (await repo.currentBranch()) ?? branchOfRef(ctx.ref) ?? defaultBranch;
  const commitPaths = (stateFiles: string[]) => [
    choice.dir,
    ...stateFiles.map((f) => rel(ctx.workspace, resolve(loaded.root, f))),
  ];
  let outcome;
  try {
    outcome = await runApply({
      configPath: inputs.config,
      cwd: ctx.workspace,
      only: inputs.only,
      env: run.env,
      log,
      signal: run.signal,
      planDir: planAbs,
    });
  } catch (e) {
    if (e instanceof InterruptedError) {
      // Keep what was done (the journals) so that the next run carries on from there.
      await repo
        .commitAndPush(
          commitPaths([]),
          `patron-sync: partial apply of ${choice.dir} (interrupted) [skip ci]`,
          branch,
        )
        .catch(() => undefined);
    }
    throw e;
  }

  let committed: string;
  if (before.applied && outcome.updated === 0) {
    committed = "This plan was applied before and nothing new was written, so nothing was committed.";
    log.info(committed);
  } else {
    run.heartbeat.phase("committing the results");
    const sha = await repo.commitAndPush(
      commitPaths(outcome.stateFiles),
      `patron-sync: results of ${choice.dir}: ${outcome.updated} updated, ${outcome.failed} failed [skip ci]`,
      branch,
    );
    committed = sha
      ? `Results committed to \`${branch}\` (${sha.slice(0, 7)}) as the audit trail.`
      : "The results were already committed: nothing new to commit.";
    log.info(committed);
  }

  writeOutputs({
    planDir: choice.dir,
    changes: manifest.changes,
    artifactRetentionDays: loaded.config.artifact_retention_days,
    updated: outcome.updated,
    failed: outcome.failed,
  });
  await writeSummary(
    renderApplySummary({
      title: `Patron sync results: ${manifest.title.replace(/^Patron sync plan: /, "")}`,
      planDir: choice.dir,
      sections: outcome.sections,
      updated: outcome.updated,
      failed: outcome.failed,
      pending: outcome.pending,
      markdown: outcome.markdown,
      committed,
    }),
  );
  log.info(`updated ${outcome.updated}, failed ${outcome.failed}, pending ${outcome.pending}`);
  if (outcome.pending) core.warning(`${outcome.pending} records are pending: run apply again to carry on.`);
  if (outcome.failed) {
    core.setFailed(
      `${outcome.failed} record${outcome.failed === 1 ? "" : "s"} failed: see the job summary and ${choice.dir}/results.md`,
    );
    return EXIT.failed;
  }
  return EXIT.ok;
}

/** Runs the action; returns the exit code. */
export async function runAction(): Promise<number> {
  const heartbeat = startHeartbeat();
  const log = actionLogger();
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: string) => {
    signals++;
    if (signals > 1) process.exit(EXIT_INTERRUPTED);
    log.warn(`${sig}: finishing the calls in flight, then stopping`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let command = "run";
  try {
    const inputs = readInputs();
    command = inputs.command;
    maskSecrets(inputs);
    const run: Run = {
      inputs,
      ctx: actionContext(),
      env: coreEnv(inputs),
      log,
      heartbeat,
      signal: controller.signal,
    };
    switch (inputs.command) {
      case "validate":
        return await validate(run);
      case "plan":
        return await plan(run);
      case "apply":
        return await apply(run);
    }
  } catch (e) {
    if (e instanceof InputError) {
      core.setFailed(`${e.message}\nNothing was sent.`);
      await writeSummary(renderProblemsSummary(command, e.problems));
      writeOutputs({});
      return EXIT.input;
    }
    if (e instanceof InterruptedError) {
      core.setFailed(e.message);
      return EXIT_INTERRUPTED;
    }
    core.setFailed(`error: ${(e as Error).message}`);
    return EXIT.failed;
  } finally {
    heartbeat.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
