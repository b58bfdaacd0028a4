/**
 * Auto-apply in the action. `plan` decides with the pure policy (src/core/auto-apply.ts): a plan that fits is
 * not pushed for review; any stale plan pull request is closed (this plan supersedes it), and the outputs
 * `auto-apply: true` and `auto-apply-rule` tell the workflow to run `apply` in a later job, the one that holds
 * the write secrets. `apply` with the input `auto-apply: true` decides again from the plan directory and the
 * config, and refuses (exit 2, nothing sent) a plan that does not fit: the workflow cannot be talked into
 * applying more than the policy allows.
 */
import type { LoadedConfig } from "../config.ts";
import { decideAutoApply, type AutoApplyDecision } from "../core/auto-apply.ts";
import { InputError } from "../core/errors.ts";
import type { Manifest } from "../core/run.ts";
import type { System } from "../core/system.ts";
import type { SectionPlan } from "../core/types.ts";
import type { PullResult } from "./outputs.ts";
import { closePlanPull, type Octokit } from "./pulls.ts";

export function planDecision(
  loaded: LoadedConfig,
  sections: Pick<SectionPlan, "system" | "counts" | "changes" | "policyCounts">[],
  systems: readonly System[],
  publicRepo: boolean,
): AutoApplyDecision {
  return decideAutoApply(loaded.config.auto_apply, sections, systems, { publicRepo });
}

/** Closes a stale plan pull request: the auto-applied plan replaces what it showed. */
export async function closeForAutoApply(
  octokit: Octokit,
  t: { owner: string; repo: string; dir: string; rule: string },
): Promise<PullResult> {
  return closePlanPull(octokit, {
    owner: t.owner,
    repo: t.repo,
    comment: `Superseded: the latest plan (\`${t.dir}\`) fits the auto_apply policy (${t.rule}) and is applied without review. Its plan and results are committed to the default branch. A plan that does not fit opens a new pull request.`,
  });
}

/** The line the plan's job summary starts with when a policy exists. */
export function planNote(d: AutoApplyDecision, hasPolicy: boolean, closed?: PullResult): string | undefined {
  if (d.apply) {
    const stale =
      closed?.operation === "closed" ? ` The stale plan pull request #${closed.number} was closed.` : "";
    return `**Auto-apply:** this plan fits the auto_apply policy (${d.rule}), so it opens no pull request and is applied by the next job.${stale}`;
  }
  if (!hasPolicy || d.reason === "the plan has nothing to change") return undefined;
  return `**Not auto-applied:** ${d.reason}. The plan waits for review in its pull request; nothing was sent.`;
}

/** Inserts a note under the summary's title. */
export function withNote(markdown: string, note: string | undefined): string {
  if (!note) return markdown;
  const nl = markdown.indexOf("\n");
  return nl < 0 ? `${markdown}\n\n${note}\n` : `${markdown.slice(0, nl)}\n\n${note}\n${markdown.slice(nl)}`;
}

/** apply with auto-apply: the plan must still fit the policy, or nothing is sent. Returns the rule. */
export function requireAutoApply(
  loaded: LoadedConfig,
  manifest: Manifest,
  planDir: string,
  systems: readonly System[],
  publicRepo: boolean,
): string {
  const d = decideAutoApply(loaded.config.auto_apply, manifest.sections, systems, { publicRepo });
  if (!d.apply || !d.rule) {
    throw new InputError({
      file: `${planDir}/plan.json`,
      message: `auto-apply refused: ${d.reason}. Nothing was sent; review the plan in a pull request instead`,
    });
  }
  return d.rule;
}
