/**
 * The auto-apply policy, decided as a pure function of the config's `auto_apply` and a plan's sections.
 *
 * A plan is applied without review only when every system it would change has a policy, every change is
 * one of that system's listed actions, no system sends more than its max_changes, the plan is complete
 * (nothing pending, no record that could not be read), and the repository is private (apply is refused in a
 * public one). Anything else: the pull request, as without a policy. deactivate, replace and disable are
 * covered only when listed; full-mode Infiniti imports that re-send unchanged users are never covered.
 */
import type { CoreConfig } from "./config.ts";
import { systemNamed, type System } from "./system.ts";
import type { SectionPlan } from "./types.ts";

export interface AutoApplyDecision {
  apply: boolean;
  /** Why it applies: the rule per system, e.g. "alma: 12 add (allowed: add; at most 50)". */
  rule?: string;
  /** Why not, in one sentence. */
  reason?: string;
}

/** Counts that mean the plan is not complete. */
const INCOMPLETE = ["pending", "failed"];

export function decideAutoApply(
  policy: CoreConfig["auto_apply"],
  sections: Pick<SectionPlan, "system" | "counts" | "changes" | "policyCounts">[],
  systems: readonly Pick<System, "name" | "label" | "changing" | "listedOnly">[],
  opts: { publicRepo?: boolean } = {},
): AutoApplyDecision {
  if (!policy || !Object.values(policy).some(Boolean))
    return { apply: false, reason: "there is no auto_apply policy in the config" };
  if (opts.publicRepo) return { apply: false, reason: "the repository is public, where apply is refused" };
  const changing = sections.filter((s) => s.changes > 0);
  if (!changing.length) return { apply: false, reason: "the plan has nothing to change" };
  const rules: string[] = [];
  for (const s of sections) {
    const system = systemNamed(systems, s.system);
    const name = system?.label ?? s.system;
    const incomplete = INCOMPLETE.filter((k) => (s.counts[k] ?? 0) > 0);
    if (incomplete.length)
      return {
        apply: false,
        reason: `the ${name} plan is not complete (${incomplete.map((k) => `${s.counts[k]} ${k}`).join(", ")})`,
      };
    if (s.changes === 0) continue;
    const p = policy[s.system];
    if (!p)
      return { apply: false, reason: `${name} changes are planned and auto_apply has no '${s.system}' rule` };
    if (s.policyCounts) {
      const fine = decideByParts(s.policyCounts, p, s.system, name, system?.listedOnly ?? []);
      if (typeof fine !== "string") return fine;
      if (s.changes > p.max_changes)
        return {
          apply: false,
          reason: `the ${name} plan sends ${s.changes} records, more than auto_apply.${s.system}.max_changes (${p.max_changes})`,
        };
      rules.push(fine);
      continue;
    }
    const known = system?.changing ?? [];
    const planned = known.filter((a) => (s.counts[a] ?? 0) > 0);
    const notAllowed = planned.filter((a) => !p.actions.includes(a));
    if (notAllowed.length)
      return {
        apply: false,
        reason: `the ${name} plan has ${notAllowed.map((a) => `${s.counts[a]} ${a}`).join(", ")}, which auto_apply.${s.system}.actions does not list`,
      };
    const listed = planned.reduce((n, a) => n + (s.counts[a] ?? 0), 0);
    if (s.changes !== listed)
      return {
        apply: false,
        reason: `the ${name} plan sends ${s.changes} records but only ${listed} are ${p.actions.join("/")} (the others are not covered by the policy)`,
      };
    if (s.changes > p.max_changes)
      return {
        apply: false,
        reason: `the ${name} plan sends ${s.changes} records, more than auto_apply.${s.system}.max_changes (${p.max_changes})`,
      };
    rules.push(
      `${s.system}: ${planned.map((a) => `${s.counts[a]} ${a}`).join(", ")} (allowed: ${p.actions.join(", ")}; at most ${p.max_changes})`,
    );
  }
  return { apply: true, rule: rules.join("; ") };
}

/**
 * A section with finer counts (`policyCounts`): every (sub-)action planned must be listed, or covered by
 * its action (`update` covers `update:expiry_date`) unless the system keeps it `listedOnly`. Each changing
 * record carries at least one of them, so all are covered when every one is. The rule's words, or why not.
 */
function decideByParts(
  counts: Record<string, number>,
  p: { actions: string[]; max_changes: number },
  system: string,
  name: string,
  listedOnly: readonly string[],
): string | AutoApplyDecision {
  const planned = Object.keys(counts).filter((k) => (counts[k] ?? 0) > 0);
  const covered = (k: string) => {
    if (p.actions.includes(k)) return true;
    const at = k.indexOf(":");
    return at > 0 && p.actions.includes(k.slice(0, at)) && !listedOnly.includes(k);
  };
  const notAllowed = planned.filter((k) => !covered(k));
  if (notAllowed.length) {
    const only = notAllowed.filter((k) => listedOnly.includes(k));
    return {
      apply: false,
      reason:
        `the ${name} plan has ${notAllowed.map((k) => `${counts[k]} ${k}`).join(", ")}, which auto_apply.${system}.actions does not list` +
        (only.length ? ` (${only.join(", ")} must be listed by name)` : ""),
    };
  }
  return `${system}: ${planned.map((k) => `${counts[k]} ${k}`).join(", ")} (allowed: ${p.actions.join(", ")}; at most ${p.max_changes})`;
}
