/**
 * The few git questions the plan's integrity needs (simple-git): which commit the data are at,
 * the bytes of a file at a commit, and whether one commit descends from another.
 * A thin adapter: every answer is a plain value, and "not a git work tree" is `undefined`.
 */
import { relative, sep } from "node:path";
import { simpleGit, type SimpleGit } from "simple-git";

export interface GitData {
  /** The work tree's top folder. */
  top: string;
  /** HEAD's commit, or undefined in a repository without commits. */
  head(): Promise<string | undefined>;
  /** A path (absolute) as git names it inside the work tree, or undefined when it is outside. */
  repoPath(abs: string): string | undefined;
  /** The bytes of `path` (from repoPath) at `commit`, or undefined when the commit has no such file. */
  show(commit: string, path: string): Promise<Buffer | undefined>;
  /** Every file under `path` (from repoPath; "" the top) at `commit`, relative to it: none when it has no such folder. */
  files(commit: string, path: string): Promise<string[]>;
  /** Whether `commit` names a commit this repository has. */
  hasCommit(commit: string): Promise<boolean>;
  /** Whether `ancestor` is `descendant` or one of its ancestors. */
  isAncestor(ancestor: string, descendant: string): Promise<boolean>;
  /** Whether `commit` is on the first-parent line of `head` (the branch's own history, not a merged side). */
  onFirstParentLine(commit: string, head: string): Promise<boolean>;
  /** A commit's parents (none for a root commit, two or more for a merge). */
  parents(commit: string): Promise<string[]>;
  /** The files (repository paths) that differ between two commits, renames as a delete and an add. */
  changedFiles(from: string, to: string): Promise<string[]>;
  /**
   * The commits of `head`'s first-parent line, newest first, that changed any of `paths` compared
   * with their first parent (a merge counts with what it brought in); only those after `since` when given.
   */
  firstParentChanges(head: string, paths: readonly string[], since?: string): Promise<string[]>;
  /** A commit's message. */
  message(commit: string): Promise<string>;
  /** The files under `dir` (a repository path) at `commit`. */
  filesAt(commit: string, dir: string): Promise<string[]>;
}

/** The git work tree holding `dir`, or undefined when `dir` is not in one (or git is missing). */
export async function openGit(dir: string): Promise<GitData | undefined> {
  let git: SimpleGit;
  let top: string;
  try {
    git = simpleGit({ baseDir: dir });
    top = (await git.revparse(["--show-toplevel"])).trim();
  } catch {
    return undefined;
  }
  if (!top) return undefined;
  // simple-git resolves a command that exits non-zero without writing to stderr (`merge-base
  // --is-ancestor` answers "no" that way): its errors plugin makes every non-zero exit an error.
  const at = simpleGit({
    baseDir: top,
    errors: (error, result) =>
      error ?? (result.exitCode === 0 ? undefined : new Error(`git exited with ${result.exitCode}`)),
  });
  const ok = async (args: string[]) => {
    try {
      await at.raw(args);
      return true;
    } catch {
      return false;
    }
  };
  return {
    top,
    async head() {
      try {
        return (await at.revparse(["--verify", "-q", "HEAD"])).trim() || undefined;
      } catch {
        return undefined;
      }
    },
    repoPath(abs) {
      const r = relative(top, abs);
      if (!r || r.startsWith("..") || r.split(sep)[0] === "..") return undefined;
      return r.split(sep).join("/");
    },
    async show(commit, path) {
      const listed = await at.raw(["ls-tree", "--name-only", commit, "--", path]).catch(() => "");
      if (!listed.trim()) return undefined;
      return at.showBuffer([`${commit}:${path}`]);
    },
    async files(commit, path) {
      const tree = path ? `${commit}:${path}` : `${commit}:`;
      const out = await at.raw(["ls-tree", "-r", "--name-only", "-z", tree]).catch(() => "");
      return out.split("\0").filter(Boolean);
    },
    hasCommit: (commit) => ok(["cat-file", "-e", `${commit}^{commit}`]),
    isAncestor: (a, d) => ok(["merge-base", "--is-ancestor", a, d]),
    async onFirstParentLine(commit, head) {
      const line = await at.raw(["rev-list", "--first-parent", head]).catch(() => "");
      return line.split("\n").some((c) => c.trim() === commit);
    },
    async parents(commit) {
      const line = (await at.raw(["rev-list", "--parents", "-n", "1", commit])).trim();
      return line.split(/\s+/).slice(1);
    },
    async changedFiles(from, to) {
      const out = await at.raw(["diff", "--name-only", "--no-renames", "-z", from, to, "--"]);
      return out.split("\0").filter(Boolean);
    },
    async firstParentChanges(head, paths, since) {
      if (!paths.length) return [];
      const range = since ? `${since}..${head}` : head;
      const out = await at.raw(["rev-list", "--first-parent", range, "--", ...paths]);
      return out
        .split("\n")
        .map((c) => c.trim())
        .filter(Boolean);
    },
    message: async (commit) => await at.raw(["log", "-1", "--format=%B", commit]),
    async filesAt(commit, dir) {
      const out = await at.raw(["ls-tree", "-r", "-z", "--name-only", commit, "--", dir]);
      return out.split("\0").filter(Boolean);
    },
  };
}
