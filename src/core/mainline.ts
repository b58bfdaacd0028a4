/**
 * Apply on the default branch (the action): before anything is read from a plan, where it came from.
 * The rule (README, "Apply writes only what the reviewed data say"): what is written follows only
 * from reviewed files on the default branch.
 *
 * - The plan came in on its own (src/core/landing.ts): its landing commit changed nothing but its own
 *   plan directory. A plan not committed at all is accepted only from auto-apply, whose plan job made
 *   it in the same workflow run from the commit being applied.
 * - "As of the merge": the default branch just before the plan came in (the landing commit's first
 *   parent), or for auto-apply the commit being applied. A plan's data must be the newest of the
 *   default branch as of then (src/core/integrity.ts), and everything that steers a write (the config,
 *   with its addresses, rules and auto_apply policy) is read at the plan's source commit.
 * - A revert re-derives its writes from the reverted plan's results and journal as committed on the
 *   default branch as of the merge: that plan directory is copied out of git (`git show`) into a
 *   temporary folder, never read from the working tree; the reverted plan must be a plan under
 *   plans_dir whose results are on the default branch. The config is the default branch's as of then.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { parseConfigWith, type ConfigSection, type LoadedConfig } from "./config.ts";
import { InputError } from "./errors.ts";
import { openGit, type GitData } from "./gitdata.ts";
import { inputFiles } from "./integrity.ts";
import { checkLandingScope, findLanding, type Landing } from "./landing.ts";
import { isUntouched, MANIFEST, readManifest, type Manifest } from "./plandir.ts";
import type { System } from "./system.ts";

export interface Mainline {
  git: GitData;
  head: string;
  /** As of which commit the plan's data must be the newest: the landing commit's first parent, or HEAD. */
  asOf: string;
  /** Where the plan came in; undefined for an auto-applied plan that is not committed. */
  landing?: Landing;
}

export interface MainlineOptions {
  /** Auto-apply: the plan comes from the plan job of the same run and is not committed yet. */
  uncommitted?: boolean;
}

const short = (c: string) => c.slice(0, 12);

/** Where the plan in `planDir` came onto the default branch; refuses what it may not have brought. */
export async function checkMainline(
  loaded: LoadedConfig,
  planDir: string,
  systems: readonly System[],
  opts: MainlineOptions,
): Promise<Mainline> {
  const file = join(planDir, MANIFEST);
  const git = await openGit(loaded.root);
  const head = await git?.head();
  if (!git || !head)
    throw new InputError({
      file,
      message: "the action applies only plans of a git repository (actions/checkout with fetch-depth: 0).",
    });
  const dir = git.repoPath(resolve(planDir));
  if (!dir) throw new InputError({ file, message: "is outside the git repository." });
  const landing = await findLanding(git, head, dir);
  if (!landing) {
    if (opts.uncommitted) return { git, head, asOf: head };
    throw new InputError({
      file,
      message: `is not committed on the default branch (${short(head)}): the action applies only plans merged into it. Merge the plan's pull request, or plan again.`,
    });
  }
  // The systems' state files, as the config before the plan came in names them (auto-apply's commit).
  const before = await configAtCommit(
    git,
    loaded,
    landing.base,
    systems.map((s) => s.config),
  ).catch(() => undefined);
  const stateFiles = before
    ? inputFiles(before, systems)
        .filter((f) => f.role.endsWith(".state"))
        .flatMap((f) => git.repoPath(resolve(loaded.root, f.path)) ?? [])
    : [];
  await checkLandingScope(git, landing, dir, stateFiles);
  return { git, head, asOf: landing.base, landing };
}

/** The config as committed at `commit` (paths and roots as `loaded`'s). */
export async function configAtCommit(
  git: GitData,
  loaded: LoadedConfig,
  commit: string,
  sections: readonly ConfigSection[],
): Promise<LoadedConfig> {
  const name = git.repoPath(loaded.path);
  const bytes = name ? await git.show(commit, name) : undefined;
  if (!bytes)
    throw new InputError({
      file: basename(loaded.path),
      message: `is missing from the default branch at commit ${short(commit)}.`,
    });
  const label = `${basename(loaded.path)} (at commit ${short(commit)})`;
  return { ...loaded, config: parseConfigWith(bytes.toString("utf8"), label, sections) };
}

/** The reverted plan directory, as committed on the default branch, copied out of git. */
export interface CommittedPlan {
  /** A temporary folder holding a copy of the plan directory's committed files. */
  dir: string;
  /** The commit of the default branch that last changed it (the one that recorded its results). */
  commit: string;
  manifest: Manifest;
  remove(): void;
}

/**
 * Copies the plan directory a revert names (`reverts`, relative to the config's folder) out of git,
 * as the default branch had it at `asOf`. Refuses a directory that is not a plan under plans_dir with
 * results there, and a plan that is itself a revert.
 */
export async function committedReverted(
  m: Mainline,
  loaded: LoadedConfig,
  revertPlanDir: string,
  reverts: string | undefined,
): Promise<CommittedPlan> {
  const file = join(revertPlanDir, MANIFEST);
  const refuse = (message: string) => new InputError({ file, message });
  if (!reverts) throw refuse("is a revert plan that does not name the plan it reverts.");
  const abs = resolve(loaded.root, reverts);
  const dir = m.git.repoPath(abs);
  const plans = m.git.repoPath(resolve(loaded.root, loaded.config.plans_dir));
  if (!dir || !plans || dirname(dir) !== plans)
    throw refuse(
      `reverts ${reverts}, which is not a plan directory under plans_dir (${loaded.config.plans_dir}/): a revert may name only a plan whose results are on the default branch.`,
    );
  const [commit] = await m.git.firstParentChanges(m.asOf, [dir]);
  const files = commit ? await m.git.filesAt(m.asOf, dir) : [];
  if (!commit || !files.includes(`${dir}/${MANIFEST}`))
    throw refuse(
      `reverts ${reverts}, which is not on the default branch (at ${short(m.asOf)}): a revert may name only a plan whose results are on the default branch.`,
    );
  const copy = mkdtempSync(join(tmpdir(), "patron-sync-reverted-"));
  const remove = () => rmSync(copy, { recursive: true, force: true });
  try {
    for (const f of files) {
      const bytes = await m.git.show(m.asOf, f);
      if (!bytes) continue;
      const to = join(copy, f.slice(dir.length + 1));
      mkdirSync(dirname(to), { recursive: true });
      writeFileSync(to, bytes);
    }
    if (isUntouched(copy))
      throw refuse(
        `reverts ${reverts}, which has no results on the default branch (at ${short(m.asOf)}): only an applied plan, whose results are committed, can be reverted.`,
      );
    const manifest = readManifest(copy);
    if (manifest.kind === "revert")
      throw refuse(`reverts ${reverts}, which is itself a revert: plan again from the data instead.`);
    return { dir: copy, commit, manifest, remove };
  } catch (e) {
    remove();
    throw e;
  }
}
