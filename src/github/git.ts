/**
 * Git for the action (simple-git): the rolling plan branch and the audit-trail commit of results.
 *
 * Commits are made as github-actions[bot]. Pushes (and the pull of a retried push) authenticate with the
 * github-token input through an `http.<server>/.extraheader` given to that git process in its environment,
 * never on its command line (issue #17: the token's base64 was in the logged `-c http…extraheader=` argument
 * and in the process list): git reads GIT_CONFIG_COUNT, GIT_CONFIG_KEY_<n> and GIT_CONFIG_VALUE_<n> as
 * configuration given on the command line (git-config(1), ENVIRONMENT; git 2.31 or later). The first entry,
 * empty, clears a header persisted by actions/checkout ("an empty value will reset the extra headers to the
 * empty list", git-config(1) http.extraHeader), as actions/checkout's own extraheader does. The token is never
 * put in a remote URL.
 */
import { simpleGit, type SimpleGit, type SimpleGitOptions } from "simple-git";
import { base64 } from "./inputs.ts";

export const PLAN_BRANCH = "patron-sync/plan";
/** The branch of the revert pull request (issue #13). */
export const REVERT_BRANCH = "patron-sync/revert";
export const BOT_NAME = "github-actions[bot]";
export const BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com";

export interface GitOptions {
  dir: string;
  /** Token for pushes over HTTPS; empty: rely on credentials persisted by actions/checkout. */
  token?: string;
  /** e.g. https://github.com */
  serverUrl?: string;
  remote?: string;
}

/**
 * The environment of a git process that pushes with `token`: the job's environment, and the extraheader as
 * configuration in GIT_CONFIG_COUNT/KEY/VALUE (any such entries the job set are kept, numbered first).
 */
export function authEnv(
  token: string,
  serverUrl = "https://github.com",
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  const key = `http.${serverUrl.replace(/\/+$/, "")}/.extraheader`;
  const had = Number.parseInt(env.GIT_CONFIG_COUNT ?? "", 10);
  let n = Number.isInteger(had) && had > 0 ? had : 0;
  for (const value of ["", `AUTHORIZATION: basic ${base64(`x-access-token:${token}`)}`]) {
    out[`GIT_CONFIG_KEY_${n}`] = key;
    out[`GIT_CONFIG_VALUE_${n}`] = value;
    n++;
  }
  out.GIT_CONFIG_COUNT = String(n);
  return out;
}

/**
 * simple-git refuses an environment that sets these variables unless told it may (its argv-parser's list,
 * @simple-git/argv-parser vulnerabilityCheck). The environment given is the job's own plus the extraheader,
 * never user data, so what the job set is passed on as git would have inherited it.
 */
const ENV_FLAGS: Record<string, keyof NonNullable<SimpleGitOptions["unsafe"]>> = {
  editor: "allowUnsafeEditor",
  git_askpass: "allowUnsafeAskPass",
  git_config_global: "allowUnsafeConfigPaths",
  git_config_system: "allowUnsafeConfigPaths",
  git_config_count: "allowUnsafeConfigEnvCount",
  git_config: "allowUnsafeConfigPaths",
  git_editor: "allowUnsafeEditor",
  git_exec_path: "allowUnsafeConfigPaths",
  git_external_diff: "allowUnsafeDiffExternal",
  git_pager: "allowUnsafePager",
  git_proxy_command: "allowUnsafeGitProxy",
  git_template_dir: "allowUnsafeTemplateDir",
  git_sequence_editor: "allowUnsafeEditor",
  git_ssh: "allowUnsafeSshCommand",
  git_ssh_command: "allowUnsafeSshCommand",
  pager: "allowUnsafePager",
  prefix: "allowUnsafeConfigPaths",
  ssh_askpass: "allowUnsafeAskPass",
};

function unsafeFlagsFor(env: Record<string, string>): SimpleGitOptions["unsafe"] {
  const flags: NonNullable<SimpleGitOptions["unsafe"]> = {};
  for (const k of Object.keys(env)) {
    const flag = ENV_FLAGS[k.toLowerCase().trim()];
    if (flag) flags[flag] = true;
  }
  return flags;
}

export class Repo {
  readonly git: SimpleGit;
  private readonly pusher: SimpleGit;
  readonly remote: string;

  constructor(o: GitOptions) {
    const identity = [`user.name=${BOT_NAME}`, `user.email=${BOT_EMAIL}`];
    this.git = simpleGit({ baseDir: o.dir, config: identity });
    if (o.token) {
      const env = authEnv(o.token, o.serverUrl);
      this.pusher = simpleGit({ baseDir: o.dir, config: identity, unsafe: unsafeFlagsFor(env) }).env(env);
    } else this.pusher = simpleGit({ baseDir: o.dir, config: identity });
    this.remote = o.remote ?? "origin";
  }

  async head(): Promise<string> {
    return (await this.git.revparse(["HEAD"])).trim();
  }

  /** The checked-out branch, or undefined when HEAD is detached. */
  async currentBranch(): Promise<string | undefined> {
    try {
      const b = (await this.git.raw(["symbolic-ref", "--short", "-q", "HEAD"])).trim();
      return b || undefined;
    } catch {
      return undefined;
    }
  }

  /** Files changed between two commits, or undefined if git cannot tell (e.g. a shallow clone). */
  async changedFiles(before: string, after: string): Promise<string[] | undefined> {
    try {
      const out = await this.git.raw(["diff", "--name-only", "--no-renames", before, after, "--"]);
      return out.split("\n").filter(Boolean);
    } catch {
      return undefined;
    }
  }

  private async stage(paths: string[]): Promise<boolean> {
    await this.git.raw(["add", "--all", "--force", "--", ...paths]);
    const staged = await this.git.raw(["diff", "--cached", "--name-only"]);
    return staged.trim().length > 0;
  }

  /**
   * Commits `paths` on the rolling plan branch, made afresh from the current HEAD, and force-pushes
   * it. The working tree and the checked-out branch are left as they were (the files stay on disk).
   * Returns the new commit.
   */
  async pushPlanBranch(paths: string[], message: string, planBranch = PLAN_BRANCH): Promise<string> {
    const original = await this.head();
    const branch = await this.currentBranch();
    await this.git.raw(["checkout", "-q", "-B", planBranch]);
    try {
      await this.stage(paths);
      await this.git.raw(["commit", "-q", "--no-verify", "-m", message]);
      const sha = await this.head();
      await this.pusher.raw(["push", "--force", this.remote, `HEAD:refs/heads/${planBranch}`]);
      return sha;
    } finally {
      await this.git.raw(["reset", "-q", "--mixed", original]);
      if (branch && branch !== planBranch) await this.git.raw(["checkout", "-q", branch]);
      else await this.git.raw(["checkout", "-q", "--detach", original]);
    }
  }

  /**
   * Commits `paths` on the current HEAD and pushes it to `branch`; when the branch moved meanwhile,
   * rebases onto it and tries again. Returns the commit, or undefined when there was nothing to commit.
   */
  async commitAndPush(paths: string[], message: string, branch: string): Promise<string | undefined> {
    if (!(await this.stage(paths))) return undefined;
    await this.git.raw(["commit", "-q", "--no-verify", "-m", message]);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.pusher.raw(["push", this.remote, `HEAD:refs/heads/${branch}`]);
        return await this.head();
      } catch (e) {
        if (attempt >= 3) throw e;
        await this.pusher.raw(["pull", "--rebase", "-q", this.remote, branch]);
      }
    }
  }
}
