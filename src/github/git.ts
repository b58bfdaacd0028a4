/**
 * Git for the action (simple-git): the rolling plan branch and the audit-trail commit of results.
 *
 * Commits are made as github-actions[bot]. Pushes authenticate with the github-token input through
 * an `http.<server>/.extraheader` given on the command line for that push only (an empty value
 * first clears a header persisted by actions/checkout), as actions/checkout does; the token is
 * never put in a remote URL.
 */
import { simpleGit, type SimpleGit } from "simple-git";
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

export class Repo {
  readonly git: SimpleGit;
  private readonly pusher: SimpleGit;
  readonly remote: string;

  constructor(o: GitOptions) {
    const identity = [`user.name=${BOT_NAME}`, `user.email=${BOT_EMAIL}`];
    this.git = simpleGit({ baseDir: o.dir, config: identity });
    const auth: string[] = [];
    if (o.token) {
      const key = `http.${(o.serverUrl ?? "https://github.com").replace(/\/+$/, "")}/.extraheader`;
      auth.push(`${key}=`, `${key}=AUTHORIZATION: basic ${base64(`x-access-token:${o.token}`)}`);
    }
    this.pusher = simpleGit({ baseDir: o.dir, config: [...identity, ...auth] });
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
