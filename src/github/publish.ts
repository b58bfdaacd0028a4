/**
 * Publishing a plan for review: the plan directory committed to its branch (patron-sync/plan, or
 * patron-sync/revert for a revert plan) and one pull request from that branch, opened or updated, whose
 * description is the plan's Markdown (cut to GitHub's limit, with a link to the whole plan.md).
 */
import { blobUrl } from "./context.ts";
import { Repo } from "./git.ts";
import type { PullResult } from "./outputs.ts";
import { pullTitle, truncateBody, upsertPlanPull, type Octokit } from "./pulls.ts";
import type { Run } from "./runtime.ts";

export interface Publication {
  /** `plan` or `revert plan`: the words of the logs, the commit and the cut description. */
  noun: "plan" | "revert plan";
  /** The branch the plan directory is pushed to. */
  branch: string;
  /** The plan directory, relative to the workspace, forward slashes. */
  dir: string;
  /** The pathspecs to commit (src/github/records.ts). */
  paths: string[];
  /** The plan's title and Markdown (the pull request's title and description). */
  title: string;
  markdown: string;
  /** The pull request's base: the default branch. */
  base: string;
}

export async function publishPlan(run: Run, octokit: Octokit, p: Publication): Promise<PullResult> {
  const { ctx, inputs, log } = run;
  const word = p.noun === "plan" ? "plan" : "revert";
  run.heartbeat.phase(`pushing the ${word} branch`);
  const repo = new Repo({ dir: ctx.workspace, token: inputs.githubToken, serverUrl: ctx.serverUrl });
  const label = p.noun === "plan" ? "Plan directory" : "Revert plan directory";
  const sha = await repo.pushPlanBranch(p.paths, `${p.title}\n\n${label}: ${p.dir}`, p.branch);
  log.info(`pushed ${p.dir} to ${p.branch} (${sha.slice(0, 7)})`);
  const body = truncateBody(
    p.markdown,
    `This ${p.noun} is too long for a pull request description. The whole plan is [\`${p.dir}/plan.md\`](${blobUrl(ctx, p.branch, `${p.dir}/plan.md`)}) on the \`${p.branch}\` branch.`,
  );
  run.heartbeat.phase(`opening the ${word} pull request`);
  const pull = await upsertPlanPull(octokit, {
    owner: ctx.owner,
    repo: ctx.repo,
    base: p.base,
    title: pullTitle(p.title),
    body,
    head: p.branch,
  });
  log.info(`${pull.operation} the ${word} pull request #${pull.number}: ${pull.url}`);
  return pull;
}
