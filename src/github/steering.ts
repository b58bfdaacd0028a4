/**
 * auto_apply never applies a plan from a push that changed what steers it (issue #17 §3): the config
 * (the auto_apply policy itself, the rules, the addresses) or the workflows (.github/, which decide
 * which job gets which secret). Such a plan always gets a pull request, so a policy raised in the same
 * push as the data it would let through is reviewed first. The plan job asks (src/github/run.ts) and the
 * auto-apply job asks again (src/github/apply.ts), from the same push event.
 */
import { resolve } from "node:path";
import type { LoadedConfig } from "../config.ts";
import { openGit } from "../core/gitdata.ts";
import type { EventPayload } from "./context.ts";
import { isZeroSha } from "./event.ts";
import type { Run } from "./runtime.ts";

export interface SteeringQuestion {
  eventName: string;
  payload: EventPayload;
  /** The config file as git names it (a repository path). */
  configPath: string;
  /** Files changed between two commits, from git (undefined when git cannot tell). */
  changedFiles: (before: string, after: string) => Promise<string[] | undefined>;
}

/**
 * Why the push behind this run may not auto-apply, in one clause; undefined when it may (or when the
 * run is not a push: a schedule or a run by hand plans from the default branch as it is).
 */
export async function steeringChange(q: SteeringQuestion): Promise<string | undefined> {
  if (q.eventName !== "push") return undefined;
  const { before, after } = q.payload;
  const files = !isZeroSha(before) && !isZeroSha(after) ? await q.changedFiles(before!, after!) : undefined;
  if (!files)
    return "git cannot tell what the push that made this plan changed, so it may have changed the config or the workflows";
  const config = files.filter((f) => f === q.configPath);
  const workflows = files.filter((f) => f.startsWith(".github/"));
  const what = [
    ...(config.length
      ? [`the config (${q.configPath}: the auto_apply policy, the rules and the addresses)`]
      : []),
    ...(workflows.length
      ? [`the workflows (${workflows.slice(0, 3).join(", ")}${workflows.length > 3 ? ", …" : ""})`]
      : []),
  ];
  if (!what.length) return undefined;
  return `the push that made this plan changed ${what.join(" and ")}: a plan from such a push is always reviewed in a pull request`;
}

/** The question for this run: its event, and git in its workspace. */
export async function steeringOfRun(run: Run, loaded: LoadedConfig): Promise<string | undefined> {
  const git = await openGit(run.ctx.workspace);
  return steeringChange({
    eventName: run.ctx.eventName,
    payload: run.ctx.payload,
    configPath: git?.repoPath(resolve(loaded.path)) ?? loaded.path,
    changedFiles: async (a, b) => (git ? await git.changedFiles(a, b).catch(() => undefined) : undefined),
  });
}
