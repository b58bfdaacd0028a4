/** The action's outputs (a public contract: workflows read them by name). */
import * as core from "@actions/core";

export type PullOperation = "created" | "updated" | "closed" | "none";

export interface PullResult {
  operation: PullOperation;
  number?: number;
  url?: string;
}

export interface ActionResult {
  /** The plan directory, relative to the workspace (forward slashes). */
  planDir?: string;
  /** apply: every plan directory applied, oldest first (default: planDir). */
  planDirs?: string[];
  /** apply: what the results artifact keeps: the plan directories and the state files written. */
  artifactPaths?: string[];
  /** artifact_retention_days from the config. */
  artifactRetentionDays?: number;
  pull?: PullResult;
  /** Records that apply would send (plan), or that the applied plan planned (apply). */
  changes?: number;
  updated?: number;
  failed?: number;
  /** plan: whether the plan fits the auto_apply policy (the workflow then applies it in a later job). */
  autoApply?: { apply: boolean; rule?: string };
}

export const OUTPUT_NAMES = [
  "plan-dir",
  "plan-dirs",
  "artifact-paths",
  "artifact-retention-days",
  "pull-request-number",
  "pull-request-url",
  "pull-request-operation",
  "changes",
  "updated",
  "failed",
  "auto-apply",
  "auto-apply-rule",
] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

/** Every output, always set: empty when not applicable, counts default to 0, the operation to none. */
export function outputValues(r: ActionResult): Record<OutputName, string> {
  return {
    "plan-dir": r.planDir ?? "",
    "plan-dirs": (r.planDirs ?? (r.planDir ? [r.planDir] : [])).join("\n"),
    "artifact-paths": (r.artifactPaths ?? []).join("\n"),
    "artifact-retention-days": r.artifactRetentionDays !== undefined ? String(r.artifactRetentionDays) : "",
    "pull-request-number": r.pull?.number !== undefined ? String(r.pull.number) : "",
    "pull-request-url": r.pull?.url ?? "",
    "pull-request-operation": r.pull?.operation ?? "none",
    changes: String(r.changes ?? 0),
    updated: String(r.updated ?? 0),
    failed: String(r.failed ?? 0),
    "auto-apply": r.autoApply?.apply ? "true" : "false",
    "auto-apply-rule": r.autoApply?.apply ? (r.autoApply.rule ?? "") : "",
  };
}

export function writeOutputs(r: ActionResult): void {
  const values = outputValues(r);
  for (const name of OUTPUT_NAMES) core.setOutput(name, values[name]);
}
