/**
 * The action's apply.
 *
 * Which plans: the `plan-dir` input; else, on a push, EVERY merged plan that has no results yet,
 * oldest first, as well as the plan the push changed. GitHub keeps at most one running and one
 * pending run per concurrency group and cancels an older pending run when a newer one queues
 * ("Control the concurrency of workflows and jobs", docs.github.com), so a run may be the only one
 * left for two merges. Else (workflow_dispatch) the newest plan without complete results.
 *
 * Each plan: runApply → commit its results to the branch as the audit trail ([skip ci]). The
 * `plan-dir`, `plan-dirs` and `artifact-paths` outputs are set before anything is pushed, so the
 * workflow's `if: always()` upload keeps the results as an artifact even when the push is refused
 * (a protected default branch refuses the built-in token). A refused push fails the job with the
 * way to recover, and no further plan is applied.
 */
import * as core from "@actions/core";
import { getOctokit } from "@actions/github";
import { resolve } from "node:path";
import { loadConfig, type LoadedConfig } from "../config.ts";
import { EXIT, InputError, InterruptedError } from "../core/errors.ts";
import { longLabels } from "../core/system.ts";
import { readManifest, runApply } from "../core/run.ts";
import type { ApplyOutcome } from "../core/types.ts";
import { branchOfRef, runUrl } from "./context.ts";
import { appliedResults, findPlanDir, isZeroSha, waitingPlanDirs } from "./event.ts";
import { openGit } from "../core/gitdata.ts";
import { checkPushLanding } from "../core/landing.ts";
import { configAtCommit } from "../core/mainline.ts";
import { steeringOfRun } from "./steering.ts";
import { Repo } from "./git.ts";
import { commentResults } from "./comment.ts";
import { writeOutputs } from "./outputs.ts";
import type { Octokit } from "./pulls.ts";
import { requireAutoApply, withNote } from "./auto-apply.ts";
import { refuseDeletingPush } from "./revert.ts";
import { committedPaths } from "./records.ts";
import { rel, visibility, type Run } from "./runtime.ts";
import { renderApplySummary, writeSummary } from "./summary.ts";

/** The default branch refused the results commit (or the push failed): the results are in the artifact. */
export class ResultsNotCommittedError extends Error {}

interface Applied {
  dir: string;
  updated: number;
  failed: number;
  pending: number;
}

export async function apply(run: Run): Promise<number> {
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
  const days = loaded.config.artifact_retention_days;
  const plansDir = rel(ctx.workspace, resolve(loaded.root, loaded.config.plans_dir));
  const repo = new Repo({ dir: ctx.workspace, token: inputs.githubToken, serverUrl: ctx.serverUrl });
  await refuseDeletingPush(run, repo, plansDir);
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
    writeOutputs({ artifactRetentionDays: days });
    await writeSummary(
      `# patron-sync apply\n\nNothing to apply: every plan under \`${plansDir}/\` has complete results.\n`,
    );
    return EXIT.ok;
  }
  log.info(`plan directory: ${choice.dir} (from ${choice.how})`);
  // Auto-apply (the plan workflow's auto-apply job): the named plan must still fit the policy.
  if (inputs.autoApply && !inputs.planDir)
    throw new InputError({
      file: "action input 'plan-dir'",
      message: "is required with auto-apply: name the plan directory the plan job decided on",
    });
  // A push that merges a plan brings nothing else (src/core/landing.ts).
  await checkPush(run, loaded);
  const autoRule = inputs.autoApply ? await autoApplyRule(run, loaded, choice.dir, vis.isPublic) : undefined;
  if (autoRule) log.info(`auto-apply: ${choice.dir} fits the auto_apply policy (${autoRule})`);
  const before = appliedResults(resolve(ctx.workspace, choice.dir), inputs.only);
  const onPush = ctx.eventName === "push" && !inputs.planDir;

  // Every merged plan with no results yet, oldest first: on a push, and in the auto-apply job. That job
  // shares the concurrency group patron-sync-apply with the apply workflow, and GitHub keeps one pending
  // run or job per group, so it may be the one that cancelled a pending apply run; its own commit,
  // pushed with GITHUB_TOKEN, starts no workflow.
  const catchUp = onPush || Boolean(autoRule);
  let dirs = [choice.dir];
  if (catchUp) {
    const waiting = waitingPlanDirs(ctx.workspace, plansDir);
    dirs = [...new Set([...waiting, ...(before.applied && !autoRule ? [] : [choice.dir])])].sort();
    const extra = dirs.filter((d) => d !== choice.dir);
    if (extra.length)
      log.info(
        `merged plans with no results yet, applied oldest first: ${dirs.join(", ")} (GitHub keeps only one pending run, so this run applies them all)`,
      );
  }
  if (onPush && !dirs.length) {
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
      changes: readManifest(resolve(ctx.workspace, choice.dir)).changes,
      artifactRetentionDays: days,
    });
    await writeSummary(
      `# patron-sync apply\n\n\`${choice.dir}\` was applied before (see its \`results.md\`): nothing was sent.${more}\n`,
    );
    return EXIT.ok;
  }

  const branch = (await repo.currentBranch()) ?? branchOfRef(ctx.ref) ?? defaultBranch;
  const done: Applied[] = [];
  const passedOver: string[] = [];
  for (const dir of dirs) {
    try {
      const rule = dir === choice.dir ? autoRule : undefined; // the others were merged, reviewed
      done.push(await applyOne(run, { loaded, repo, branch, dir, done, days, autoRule: rule, octokit }));
    } catch (e) {
      // An earlier merged plan that apply refuses (stale, or it came in with more than its own directory)
      // is passed over, nothing sent for it: it must not keep every later merge from being applied.
      if (onPush && dir !== choice.dir && e instanceof InputError) {
        core.warning(`${dir} was not applied, nothing was sent for it: ${e.message}`);
        passedOver.push(dir);
        continue;
      }
      if (!done.length || e instanceof ResultsNotCommittedError || e instanceof InterruptedError) throw e;
      // An earlier plan of this run was applied: say so, never "nothing was sent".
      throw new Error(
        `${dir} was not applied: ${(e as Error).message}. The plans before it in this run were applied: ${done.map((d) => d.dir).join(", ")} (see the job summary).`,
      );
    }
  }
  const failed = done.reduce((n, d) => n + d.failed, 0);
  const pending = done.reduce((n, d) => n + d.pending, 0);
  if (pending) core.warning(`${pending} records are pending: run apply again to carry on.`);
  if (passedOver.length) {
    core.setFailed(
      `${passedOver.join(", ")} ${passedOver.length === 1 ? "is a merged plan" : "are merged plans"} that apply refuses (see the warnings above): nothing was sent for ${passedOver.length === 1 ? "it" : "them"}. Remove ${passedOver.length === 1 ? "that directory" : "those directories"} from the default branch in a commit of its own, and plan again if the change is still wanted.`,
    );
  }
  if (failed) {
    core.setFailed(
      `${failed} record${failed === 1 ? "" : "s"} failed: see the job summary and ${done
        .filter((d) => d.failed)
        .map((d) => `${d.dir}/results.md`)
        .join(", ")}`,
    );
    return EXIT.failed;
  }
  return passedOver.length ? EXIT.failed : EXIT.ok;
}

async function applyOne(
  run: Run,
  o: {
    loaded: LoadedConfig;
    repo: Repo;
    branch: string;
    dir: string;
    done: Applied[];
    days: number;
    /** The auto_apply rule this plan was applied by, without a pull request. */
    autoRule?: string;
    /** To comment the results on the merged plan pull request. */
    octokit?: Octokit;
  },
): Promise<Applied> {
  const { inputs, ctx, log } = run;
  const { loaded, repo, branch, dir } = o;
  const planAbs = resolve(ctx.workspace, dir);
  const manifest = readManifest(planAbs);
  const before = appliedResults(planAbs, inputs.only);
  const stateFiles = (files: string[]) => files.map((f) => rel(ctx.workspace, resolve(loaded.root, f)));
  const outputs = (outcome?: ApplyOutcome) => {
    const dirs = [...o.done.map((d) => d.dir), dir];
    writeOutputs({
      planDir: dir,
      planDirs: dirs,
      artifactPaths: [...dirs, ...stateFiles(outcome?.stateFiles ?? [])],
      artifactRetentionDays: o.days,
      changes: manifest.changes,
      updated: o.done.reduce((n, d) => n + d.updated, outcome?.updated ?? 0),
      failed: o.done.reduce((n, d) => n + d.failed, outcome?.failed ?? 0),
    });
  };
  // Before anything is sent or pushed: the artifact step finds this plan whatever happens next.
  outputs();
  log.info(`applying ${dir}`);

  run.heartbeat.phase(`applying ${dir}`);
  const commitPaths = (files: string[]) => [
    ...committedPaths(dir, loaded.config.commit_records, run.systems),
    ...stateFiles(files),
  ];
  let outcome: ApplyOutcome;
  try {
    outcome = await runApply({
      systems: run.systems,
      configPath: inputs.config,
      cwd: ctx.workspace,
      only: inputs.only,
      log,
      signal: run.signal,
      planDir: planAbs,
      // The plan came in on its own, from the newest data on the default branch itself, with the config of
      // its commit (src/core/mainline.ts); an auto-applied plan is not committed yet.
      mainline: true,
      uncommitted: Boolean(o.autoRule),
    });
  } catch (e) {
    if (e instanceof InterruptedError) {
      // Keep what was done (the journals) so that the next run carries on from there.
      await repo
        .commitAndPush(
          commitPaths([]),
          `patron-sync: partial apply of ${dir} (interrupted) [skip ci]`,
          branch,
        )
        .catch(() => undefined);
    }
    throw e;
  }
  outputs(outcome);

  let committed: string;
  if (before.applied && outcome.updated === 0) {
    committed = "This plan was applied before and nothing new was written, so nothing was committed.";
    log.info(committed);
  } else {
    run.heartbeat.phase("committing the results");
    let sha: string | undefined;
    try {
      sha = await repo.commitAndPush(
        commitPaths(outcome.stateFiles),
        o.autoRule
          ? `patron-sync: auto-applied plan and results of ${dir}: ${outcome.updated} updated, ${outcome.failed} failed [skip ci]\n\nAuto-applied without a pull request by the auto_apply rule: ${o.autoRule}`
          : `patron-sync: results of ${dir}: ${outcome.updated} updated, ${outcome.failed} failed [skip ci]`,
        branch,
      );
    } catch (e) {
      await summarise(
        run,
        dir,
        manifest.title,
        outcome,
        "**The results could not be committed**: see below.",
      );
      throw new ResultsNotCommittedError(refusedMessage(run, { dir, branch, outcome, error: e as Error }));
    }
    committed = sha
      ? `Results committed to \`${branch}\` (${sha.slice(0, 7)}) as the audit trail.`
      : "The results were already committed: nothing new to commit.";
    log.info(committed);
  }
  await summarise(
    run,
    dir,
    manifest.title,
    outcome,
    committed,
    o.autoRule && `**Auto-applied** without a pull request, by the auto_apply rule: ${o.autoRule}.`,
  );
  if (o.octokit && !o.autoRule) {
    // The results back on the merged plan pull request; a failure here must not fail the apply.
    try {
      const pr = await commentResults(o.octokit, {
        owner: ctx.owner,
        repo: ctx.repo,
        dir,
        sha: ctx.sha,
        outcome,
        runLink: runUrl(ctx),
      });
      log.info(
        pr === undefined
          ? `no merged pull request carries ${dir}: the results are in the job summary only`
          : `commented the results on the merged plan pull request #${pr}`,
      );
    } catch (e) {
      core.warning(`could not comment the results on the plan pull request: ${(e as Error).message}`);
    }
  }
  log.info(`${dir}: updated ${outcome.updated}, failed ${outcome.failed}, pending ${outcome.pending}`);
  return { dir, updated: outcome.updated, failed: outcome.failed, pending: outcome.pending };
}

/** On a push: a push that lands a plan may change nothing but that plan's directory. */
async function checkPush(run: Run, loaded: LoadedConfig): Promise<void> {
  const { before, after } = run.ctx.payload;
  if (run.ctx.eventName !== "push" || isZeroSha(before) || isZeroSha(after)) return;
  const git = await openGit(run.ctx.workspace);
  const plans = git?.repoPath(resolve(loaded.root, loaded.config.plans_dir));
  if (git && plans) await checkPushLanding(git, before!, after!, plans);
}

/**
 * Auto-apply: the plan must fit the auto_apply policy of the config at the plan's commit (never the
 * working tree's), and come from a push that changed neither the config nor the workflows.
 */
async function autoApplyRule(
  run: Run,
  loaded: LoadedConfig,
  dir: string,
  isPublic: boolean,
): Promise<string> {
  const manifest = readManifest(resolve(run.ctx.workspace, dir));
  const refuse = (why: string) =>
    new InputError({
      file: `${dir}/plan.json`,
      message: `auto-apply refused: ${why}. Nothing was sent; review the plan in a pull request instead`,
    });
  const git = await openGit(loaded.root);
  const source = manifest.source;
  if (!git || source?.kind !== "git" || typeof source.commit !== "string")
    throw refuse(
      "the plan was not made from a commit, so the auto_apply policy it was made under cannot be read",
    );
  const steered = await steeringOfRun(run, loaded);
  if (steered) throw refuse(steered);
  const atSource = await configAtCommit(
    git,
    loaded,
    source.commit,
    run.systems.map((s) => s.config),
  );
  return requireAutoApply(atSource, manifest, dir, run.systems, isPublic);
}

async function summarise(
  run: Run,
  dir: string,
  _planTitle: string,
  outcome: ApplyOutcome,
  committed: string,
  note?: string,
) {
  await writeSummary(
    withNote(
      renderApplySummary({
        labels: longLabels(run.systems),
        title: outcome.title,
        planDir: dir,
        sections: outcome.sections,
        updated: outcome.updated,
        failed: outcome.failed,
        pending: outcome.pending,
        markdown: outcome.markdown,
        committed,
      }),
      note,
    ),
  );
}

/** What happened and how to recover, when the default branch refuses the results commit. */
function refusedMessage(
  run: Run,
  o: { dir: string; branch: string; outcome: ApplyOutcome; error: Error },
): string {
  const git = o.error.message
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /refused|declined|protected|denied|GH0\d\d|rejected|error/i.test(l))
    .slice(0, 3)
    .join(" / ");
  return [
    `The plan ${o.dir} WAS applied (${o.outcome.updated} updated, ${o.outcome.failed} failed), but its results could not be committed to '${o.branch}'${git ? ` (git: ${git})` : ""}.`,
    `The results are kept in this run's artifact patron-sync-results-${run.ctx.runId || "<run id>"}-${run.ctx.runAttempt || "<run attempt>"} (${runUrl(run.ctx)}).`,
    `To recover, before anything else is merged: download the artifact and commit its files (${o.dir}/ and the state files) to '${o.branch}' through a pull request; until then a later apply treats ${o.dir} as not applied.`,
    `A protected default branch refuses the built-in GITHUB_TOKEN: give the action a GitHub App token that may push to it (github-token input), as docs/setup.md explains.`,
  ].join("\n");
}
