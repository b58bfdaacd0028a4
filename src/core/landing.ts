/**
 * Where a plan came onto the default branch, and what came with it (issue #17).
 *
 * Anyone who can write to the repository can push to the plan branches (patron-sync/plan,
 * patron-sync/revert). What is written must follow only from reviewed files on the default branch,
 * so apply in the action works out, from git alone, how each plan arrived:
 *
 * - Its landing commit is the commit of the default branch's first-parent line that added its
 *   plan.json: the merge commit of its pull request, or the one commit of a squash merge (or of a
 *   rebase merge of the one-commit branch the plan job pushes). Its first parent is the default branch
 *   just before the plan came in: "as of the merge".
 * - What the landing commit changed compared with that parent (for a merge: all the plan branch
 *   brought in) must lie inside the plan's own directory. Data, the config, the workflows, another
 *   plan's files, a second plan directory, docs/: refused, exit 2, nothing sent.
 * - A push that lands a plan (the apply workflow's push) may change nothing but that one plan
 *   directory: this also covers a rebase merge of a branch of several commits, which lands as several
 *   commits of the default branch.
 * - A plan's plan.json changed on the default branch after it landed is refused: apply applies a plan
 *   only as it was reviewed.
 *
 * The one exception is the commit with which the action's auto-apply records a plan it applied
 * without review (plan directory, results and the systems' state files together): its state files are
 * allowed, when the plan is applied again by hand.
 */
import { InputError } from "./errors.ts";
import type { GitData } from "./gitdata.ts";

export interface Landing {
  /** The first-parent commit that brought the plan's plan.json onto the default branch. */
  commit: string;
  /** Its first parent: the default branch just before the plan came in. */
  base: string;
  /** Whether it is a merge commit (else a squash or rebase merge, or a direct commit). */
  merge: boolean;
}

const short = (c: string) => c.slice(0, 12);

/** At most five paths, quoted, then "and N more". */
export function listPaths(paths: readonly string[]): string {
  const shown = paths.slice(0, 5).map((p) => `'${p}'`);
  return paths.length > 5 ? `${shown.join(", ")} and ${paths.length - 5} more` : shown.join(", ");
}

/**
 * The commit that brought plan directory `dir` (a repository path) onto `head`'s first-parent line, or
 * undefined when `head` does not hold its plan.json. Refuses a plan.json changed after it came in.
 */
export async function findLanding(git: GitData, head: string, dir: string): Promise<Landing | undefined> {
  const manifest = `${dir}/plan.json`;
  if (!(await git.show(head, manifest))) return undefined;
  const [newest] = await git.firstParentChanges(head, [manifest]);
  if (!newest) return undefined;
  const parents = await git.parents(newest);
  const base = parents[0];
  if (!base)
    throw new InputError({
      file: manifest,
      message: `is in the repository's first commit (${short(newest)}): it did not come in through a pull request, so apply cannot check what came with it. Plan again.`,
    });
  if (await git.show(base, manifest))
    throw new InputError({
      file: manifest,
      message: `was changed on the default branch after the plan was merged (commit ${short(newest)}): apply applies a plan only as it was reviewed. Plan again.`,
    });
  return { commit: newest, base, merge: parents.length > 1 };
}

/** The first line of the message of the commit with which auto-apply records plan `dir` and its results. */
export const autoAppliedSubject = (dir: string) => `patron-sync: auto-applied plan and results of ${dir}:`;

/**
 * Refuses a landing commit that changed anything outside the plan's own directory `dir`.
 * `stateFiles`: the systems' state files (repository paths), allowed only in auto-apply's own commit.
 */
export async function checkLandingScope(
  git: GitData,
  landing: Landing,
  dir: string,
  stateFiles: readonly string[],
): Promise<void> {
  const inside = (f: string) => f.startsWith(`${dir}/`);
  let outside = (await git.changedFiles(landing.base, landing.commit)).filter((f) => !inside(f));
  if (outside.length && !landing.merge) {
    const subject = (await git.message(landing.commit)).split("\n")[0] ?? "";
    if (subject.startsWith(autoAppliedSubject(dir))) outside = outside.filter((f) => !stateFiles.includes(f));
  }
  if (!outside.length) return;
  const how = landing.merge ? "the merge commit" : "the commit";
  throw new InputError({
    file: `${dir}/plan.json`,
    message: `came onto the default branch with ${how} ${short(landing.commit)}, which also changed ${listPaths(outside)}: a plan's pull request may change only its own plan directory (${dir}/). Commit data and config changes to the default branch on their own, and let the plan workflow plan again.`,
  });
}

/**
 * A push that lands a plan (adds a plan.json under `plansDir`) may change only that plan's directory.
 * `before` and `after` are the push's commits; `plansDir` a repository path.
 */
export async function checkPushLanding(
  git: GitData,
  before: string,
  after: string,
  plansDir: string,
): Promise<void> {
  let changed: string[];
  try {
    changed = await git.changedFiles(before, after);
  } catch {
    throw new InputError({
      file: "the push",
      message: `cannot be checked: git cannot tell what changed between ${short(before)} and ${short(after)} (a shallow clone? check out with fetch-depth: 0).`,
    });
  }
  const prefix = `${plansDir.replace(/\/+$/, "")}/`;
  const manifests = changed.filter(
    (f) => f.startsWith(prefix) && /^[^/]+\/plan\.json$/.test(f.slice(prefix.length)),
  );
  const landed: string[] = [];
  for (const m of manifests) if (!(await git.show(before, m)) && (await git.show(after, m))) landed.push(m);
  if (!landed.length) return;
  const dirs = landed.map((m) => m.slice(0, -"/plan.json".length));
  const outside = changed.filter((f) => !f.startsWith(`${dirs[0]}/`));
  if (dirs.length === 1 && !outside.length) return;
  const what =
    dirs.length === 1
      ? `brought the plan ${dirs[0]} and also changed ${listPaths(outside)}`
      : `brought ${dirs.length} plans (${listPaths(dirs)})`;
  throw new InputError({
    file: "the push",
    message: `${short(before)}..${short(after)} ${what}: a push that merges a plan may change only that one plan's directory. Merge each plan pull request on its own (with a merge commit or a squash merge), and commit data and config changes to the default branch separately.`,
  });
}
