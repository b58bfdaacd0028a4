/**
 * Results back where the review happened: after apply, a comment on the merged plan pull request
 * with the counts (updated, unchanged, skipped, failed, pending), the failures with their messages
 * (within GitHub's comment size), and a link to the run.
 */
import type { ApplyOutcome } from "../core/types.ts";
import { Budget, budgetTable, code, md, num, PLAN_MD_BUDGET, plural } from "../core/markdown.ts";
import { RESULT_STATUSES, resultCounts } from "../core/results.ts";
import type { Octokit, PullTarget } from "./pulls.ts";

const SYSTEM_NAMES: Record<string, string> = { alma: "Alma", infiniti: "Concord Infiniti" };

export function renderResultsComment(dir: string, outcome: ApplyOutcome, runLink: string): string {
  const b = new Budget(PLAN_MD_BUDGET);
  const out: string[] = [];
  const put = (...lines: string[]) => lines.forEach((l) => (b.force(l), out.push(l)));
  put(
    `### patron-sync applied ${code(dir)}`,
    "",
    `**${md(outcome.title.replace(/^Patron sync results: /, ""))}**`,
    "",
    `| System | ${RESULT_STATUSES.join(" | ")} |`,
    `|---|${RESULT_STATUSES.map(() => "--:").join("|")}|`,
    ...outcome.sections.map((s) => {
      const c = resultCounts(s.counts);
      return `| ${SYSTEM_NAMES[s.system] ?? md(s.system)} | ${RESULT_STATUSES.map((k) => num(c[k])).join(" | ")} |`;
    }),
    "",
  );
  const failures = outcome.sections.flatMap((s) => s.failures.map((f) => ({ system: s.system, ...f })));
  const link = `[The run](${runLink}) · the full results: ${code(`${dir}/results.md`)} and each system's \`results.csv\`.`;
  if (failures.length) {
    put(`#### Failed (${num(failures.length)})`, "");
    const t = budgetTable(
      ["System", "Record", "Message"],
      failures.map((f) => `| ${SYSTEM_NAMES[f.system] ?? md(f.system)} | ${md(f.id)} | ${md(f.message)} |`),
      b,
      link.length + 200,
    );
    out.push(...t.lines);
    if (t.omitted) put("", `… and ${plural(t.omitted, "more failure")}: see the results.csv files.`);
    put("");
  }
  if (outcome.pending) put(`${plural(outcome.pending, "record")} pending: run apply again to carry on.`, "");
  put(link, "");
  return out.join("\n");
}

/**
 * The merged pull request that carried the plan directory `dir`: its body names the plan directory
 * (plan.md says "Plan directory: `dir`"), or it is the merge commit being applied.
 */
export async function findMergedPlanPull(
  octokit: Octokit,
  t: PullTarget & { dir: string; sha?: string },
): Promise<number | undefined> {
  const { data } = await octokit.rest.pulls.list({
    owner: t.owner,
    repo: t.repo,
    state: "closed",
    sort: "updated",
    direction: "desc",
    per_page: 50,
  });
  const merged = data.filter((p) => p.merged_at);
  const hit =
    merged.find((p) => (p.body ?? "").includes(`\`${t.dir}\``)) ??
    (t.sha ? merged.find((p) => p.merge_commit_sha === t.sha) : undefined);
  return hit?.number;
}

/** Comments the results on the merged plan pull request; returns its number, or undefined when there is none. */
export async function commentResults(
  octokit: Octokit,
  t: PullTarget & { dir: string; sha?: string; outcome: ApplyOutcome; runLink: string },
): Promise<number | undefined> {
  const number = await findMergedPlanPull(octokit, t);
  if (number === undefined) return undefined;
  await octokit.rest.issues.createComment({
    owner: t.owner,
    repo: t.repo,
    issue_number: number,
    body: renderResultsComment(t.dir, t.outcome, t.runLink),
  });
  return number;
}
