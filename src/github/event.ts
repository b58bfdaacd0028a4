/**
 * Which plan directory an apply run carries out:
 *   1. the `plan-dir` input, when given;
 *   2. else the plan directory that the push changed (files under plans_dir between event.before
 *      and event.after, from git, or from the event's commit lists);
 *   3. else the newest plan directory under plans_dir that has no complete results yet.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { hasCompleteResults, hasManifest, isUntouched } from "../core/plandir.ts";
import type { EventPayload } from "./context.ts";

export function isZeroSha(sha: string | undefined): boolean {
  return !sha || /^0+$/.test(sha);
}

/** Files named by a push event's commits (added, modified or removed). */
export function changedFilesFromPayload(payload: EventPayload): string[] {
  const files = new Set<string>();
  const commits = [...(payload.commits ?? []), ...(payload.head_commit ? [payload.head_commit] : [])];
  for (const c of commits) {
    for (const f of [...(c.added ?? []), ...(c.modified ?? []), ...(c.removed ?? [])]) files.add(f);
  }
  return [...files];
}

function trimSlashes(p: string): string {
  return p
    .replace(/\\/g, "/")
    .replace(/^\.\//, "")
    .replace(/^\/+|\/+$/g, "");
}

/**
 * The plan directories (`plans/<name>`) that changed files lie in, sorted oldest first
 * (plan directories are named by UTC time stamp, so name order is time order).
 */
export function planDirsFromChangedFiles(files: string[], plansDir: string): string[] {
  const prefix = trimSlashes(plansDir) + "/";
  const dirs = new Set<string>();
  for (const raw of files) {
    const f = trimSlashes(raw);
    if (!f.startsWith(prefix)) continue;
    const rest = f.slice(prefix.length);
    const slash = rest.indexOf("/");
    if (slash <= 0) continue;
    dirs.add(prefix + rest.slice(0, slash));
  }
  return [...dirs].sort();
}

export { appliedResults, hasCompleteResults, type AppliedResults } from "../core/plandir.ts";

/** The newest plan directory under plansDir (absolute) with a plan.json and no complete results. */
export function newestUnappliedPlanDir(plansDirAbs: string, only?: string): string | undefined {
  if (!existsSync(plansDirAbs)) return undefined;
  const dirs = readdirSync(plansDirAbs, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .reverse();
  for (const name of dirs) {
    const dir = join(plansDirAbs, name);
    if (hasManifest(dir) && !hasCompleteResults(dir, only)) return name;
  }
  return undefined;
}

/**
 * Merged plans that no apply has touched yet (no results.md, no results.json, no journal), oldest
 * first, relative to the workspace. Plans with results, even partial ones, are left to a run by hand.
 */
export function waitingPlanDirs(workspace: string, plansDir: string): string[] {
  const root = join(workspace, plansDir);
  if (!existsSync(root)) return [];
  const untouched = (dir: string) => hasManifest(dir) && isUntouched(dir);
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && untouched(join(root, d.name)))
    .map((d) => `${trimSlashes(plansDir)}/${d.name}`)
    .sort();
}

export interface PlanDirChoice {
  /** Relative to the workspace, forward slashes. */
  dir: string;
  /** How it was found, for the log. */
  how: string;
  /** Other changed plan directories that were not chosen. */
  others: string[];
}

export interface FindPlanDirOptions {
  input: string;
  workspace: string;
  /** plans_dir relative to the workspace. */
  plansDir: string;
  eventName: string;
  payload: EventPayload;
  /** Files changed between two commits, from git (undefined when git cannot tell). */
  gitChangedFiles?: (before: string, after: string) => Promise<string[] | undefined>;
  only?: string;
}

export async function findPlanDir(o: FindPlanDirOptions): Promise<PlanDirChoice | undefined> {
  if (o.input) return { dir: trimSlashes(o.input), how: "the plan-dir input", others: [] };
  const withManifest = (dirs: string[]) => dirs.filter((d) => hasManifest(join(o.workspace, d)));
  if (o.eventName === "push") {
    let files: string[] | undefined;
    let how = "";
    const { before, after } = o.payload;
    if (!isZeroSha(before) && !isZeroSha(after) && o.gitChangedFiles) {
      files = await o.gitChangedFiles(before!, after!);
      how = `the files this push changed (${before!.slice(0, 7)}..${after!.slice(0, 7)})`;
    }
    if (!files) {
      files = changedFilesFromPayload(o.payload);
      how = "the files named in the push event's commits";
    }
    const dirs = withManifest(planDirsFromChangedFiles(files, o.plansDir));
    const dir = dirs.at(-1);
    if (dir) return { dir, how, others: dirs.slice(0, -1) };
  }
  const newest = newestUnappliedPlanDir(join(o.workspace, o.plansDir), o.only);
  if (newest) {
    return {
      dir: `${trimSlashes(o.plansDir)}/${newest}`,
      how: `the newest plan directory under ${trimSlashes(o.plansDir)}/ without complete results`,
      others: [],
    };
  }
  return undefined;
}
