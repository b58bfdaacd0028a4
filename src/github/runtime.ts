/** What every command of the action shares: the run, paths, the GitHub client, the repository's visibility. */
import { getOctokit } from "@actions/github";
import { relative, sep } from "node:path";
import { InputError } from "../core/errors.ts";
import type { Logger } from "../core/log.ts";
import type { System } from "../core/system.ts";
import { branchOfRef, type ActionContext } from "./context.ts";
import type { Settings } from "../systems.ts";
import type { ActionInputs } from "./inputs.ts";
import type { Heartbeat } from "./progress.ts";
import { repoInfo, type Octokit } from "./pulls.ts";
import { decideVisibility } from "./redact.ts";

export interface Run {
  inputs: ActionInputs;
  /** The systems the action knows (src/systems.ts), passed to core. */
  systems: readonly System[];
  ctx: ActionContext;
  /** The systems' settings, resolved once from the inputs over the environment (inputs.ts). */
  settings: Settings;
  log: Logger;
  heartbeat: Heartbeat;
  signal: AbortSignal;
}

/** A path relative to the workspace, with forward slashes. */
export function rel(workspace: string, abs: string): string {
  return relative(workspace, abs).split(sep).join("/") || ".";
}

export function octokitFor(inputs: ActionInputs, what: string): Octokit {
  if (!inputs.githubToken) {
    throw new InputError({
      file: "action input 'github-token'",
      message: `is empty: ${what} needs a token (the default, \${{ github.token }}, is enough)`,
    });
  }
  return getOctokit(inputs.githubToken);
}

export async function visibility(run: Run, octokit: Octokit | undefined) {
  const info = octokit ? await repoInfo(octokit, run.ctx) : undefined;
  const vis = decideVisibility(info, run.ctx.payload.repository?.private);
  run.log.info(`repository ${run.ctx.owner}/${run.ctx.repo}: ${vis.why}`);
  const defaultBranch =
    info?.defaultBranch ?? run.ctx.payload.repository?.default_branch ?? branchOfRef(run.ctx.ref) ?? "main";
  return { vis, defaultBranch };
}
