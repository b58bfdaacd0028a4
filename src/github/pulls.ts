/** The one plan pull request: created, updated in place, or closed when nothing is left to change. */
import type { getOctokit } from "@actions/github";
import { PLAN_BRANCH } from "./git.ts";
import type { PullResult } from "./outputs.ts";

export type Octokit = ReturnType<typeof getOctokit>;

/** GitHub refuses bodies over 65,536 characters; stay well below. */
export const BODY_LIMIT = 60_000;
/** GitHub's limit on a pull request title. */
export const TITLE_LIMIT = 256;

/**
 * Cuts a Markdown body at a line boundary so that it, plus the pointer, stays under `limit`
 * characters. A code block left open by the cut is closed. Bodies that fit are returned as they are.
 */
export function truncateBody(body: string, pointer: string, limit = BODY_LIMIT): string {
  if (body.length <= limit) return body;
  const note = `\n\n---\n${pointer}\n`;
  const budget = Math.max(0, limit - note.length - 8);
  let cut = body.lastIndexOf("\n", budget);
  if (cut <= 0) cut = budget;
  let head = body.slice(0, cut).trimEnd();
  const fences = head.match(/^```/gm)?.length ?? 0;
  if (fences % 2 === 1) head += "\n```";
  return head + note;
}

/** The pull request title: the plan's title with its counts, cut to GitHub's limit. */
export function pullTitle(title: string): string {
  const t = title.replace(/\s+/g, " ").trim();
  return t.length <= TITLE_LIMIT ? t : t.slice(0, TITLE_LIMIT - 1).trimEnd() + "…";
}

export interface PullTarget {
  owner: string;
  repo: string;
}

async function openPlanPulls(octokit: Octokit, t: PullTarget & { head?: string }) {
  const head = t.head ?? PLAN_BRANCH;
  const { data } = await octokit.rest.pulls.list({
    owner: t.owner,
    repo: t.repo,
    state: "open",
    head: `${t.owner}:${head}`,
    per_page: 10,
  });
  return data.filter((p) => p.head.ref === head);
}

function explain(e: unknown, what: string): Error {
  const status = (e as { status?: number }).status;
  const message = (e as Error).message ?? String(e);
  if (status === 403 && /not permitted to create or approve pull requests/i.test(message)) {
    return new Error(
      `${what}: GitHub Actions may not create pull requests in this repository. Turn on Settings → Actions → General → "Allow GitHub Actions to create and approve pull requests", or give the action a token that may (github-token input).`,
    );
  }
  return new Error(`${what}: ${message}`);
}

/** Updates the open plan pull request, or opens one (`head`: its branch, default patron-sync/plan). */
export async function upsertPlanPull(
  octokit: Octokit,
  t: PullTarget & { base: string; title: string; body: string; head?: string },
): Promise<PullResult> {
  try {
    const [open] = await openPlanPulls(octokit, t);
    if (open) {
      const { data } = await octokit.rest.pulls.update({
        owner: t.owner,
        repo: t.repo,
        pull_number: open.number,
        title: t.title,
        body: t.body,
      });
      return { operation: "updated", number: data.number, url: data.html_url };
    }
    const { data } = await octokit.rest.pulls.create({
      owner: t.owner,
      repo: t.repo,
      head: t.head ?? PLAN_BRANCH,
      base: t.base,
      title: t.title,
      body: t.body,
      maintainer_can_modify: false,
    });
    return { operation: "created", number: data.number, url: data.html_url };
  } catch (e) {
    throw explain(e, "could not open or update the plan pull request");
  }
}

/** Closes the open plan pull request, with a comment saying why. */
export async function closePlanPull(
  octokit: Octokit,
  t: PullTarget & { comment: string },
): Promise<PullResult> {
  try {
    const [open] = await openPlanPulls(octokit, t);
    if (!open) return { operation: "none" };
    await octokit.rest.issues.createComment({
      owner: t.owner,
      repo: t.repo,
      issue_number: open.number,
      body: t.comment,
    });
    const { data } = await octokit.rest.pulls.update({
      owner: t.owner,
      repo: t.repo,
      pull_number: open.number,
      state: "closed",
    });
    return { operation: "closed", number: data.number, url: data.html_url };
  } catch (e) {
    throw explain(e, "could not close the stale plan pull request");
  }
}

/**
 * A plan run failed while a plan pull request is open: that pull request no longer shows what the
 * newest data would do. Comment on it that it is stale (with the failed run's link) and close it,
 * so that an outdated plan cannot be merged as current. Its branch is left as it was.
 */
export async function closeStalePlanPull(
  octokit: Octokit,
  t: PullTarget & { runUrl: string; why: string },
): Promise<PullResult> {
  return closePlanPull(octokit, {
    ...t,
    comment: [
      `**This plan is stale.** The newest plan run failed ([the run](${t.runUrl})): ${t.why}.`,
      "",
      "So this pull request no longer shows what the newest data would do, and it is closed so that an outdated plan cannot be merged as current. Nothing was sent to Alma or Infiniti by that run.",
      "",
      "Fix what the run reports and push again (or run the plan workflow by hand): the next plan opens a new pull request.",
    ].join("\n"),
  });
}

/** What GitHub says about the repository: visibility and default branch (undefined if it cannot be read). */
export async function repoInfo(
  octokit: Octokit,
  t: PullTarget,
): Promise<{ private: boolean; defaultBranch: string } | undefined> {
  try {
    const { data } = await octokit.rest.repos.get({ owner: t.owner, repo: t.repo });
    return { private: data.private, defaultBranch: data.default_branch };
  } catch {
    return undefined;
  }
}
