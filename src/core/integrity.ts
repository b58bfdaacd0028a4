/**
 * Apply writes only what the reviewed data say.
 *
 * The plan files (alma/plan.json, infiniti/import.csv …) are a record of the review, not the source
 * of the writes: anyone who can commit to plans/ could edit them. So the plan records where its
 * data came from (`source` in plan.json), and apply re-derives every write from those data and the
 * configuration of that moment, refusing (exit 2, nothing sent) a plan whose writes do not follow.
 *
 * - In a git work tree whose input files are committed and clean, the plan records the commit.
 *   Apply reads the files at that commit (`git show`), after checking that the commit is an ancestor
 *   of the commit being applied (HEAD) and, when asked (the action, on the default branch), that it
 *   is on HEAD's first-parent line, i.e. on the default branch itself and not only on a merged side
 *   branch such as the plan branch.
 * - Otherwise (outside git, or data not committed) the plan records each file's SHA-256; apply reads
 *   the files as they are and refuses when a digest differs: the data changed since the plan. The
 *   config is the exception: its tuning (rate, concurrency, quota reserve) may change after a plan,
 *   and its rules are checked against those each system's plan file records (barcode_type, match_on,
 *   existing_barcode, user_id_type; mode, disable_missing), so a changed rule is refused too.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { parseConfigWith, type ConfigSection, type LoadedConfig } from "./config.ts";
import { InputError } from "./errors.ts";
import { openGit, type GitData } from "./gitdata.ts";
import { fsTree, type TreeReader } from "./holds.ts";
import { manifestPath, type Manifest, type PlanSource, type SourceFile } from "./plandir.ts";
import type { InputFile, System } from "./system.ts";

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

/** The input files of the chosen systems, by role, as the config names them (relative to its folder). */
export function inputFiles(loaded: LoadedConfig, systems: readonly System[]): InputFile[] {
  return [{ role: "config", path: basename(loaded.path) }, ...systems.flatMap((s) => s.inputFiles(loaded))];
}

async function readOrNull(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/**
 * What a plan records about its data: the commit when every input file is committed and clean in
 * a git work tree, else each file's SHA-256.
 */
export async function recordSource(loaded: LoadedConfig, systems: readonly System[]): Promise<PlanSource> {
  const files: SourceFile[] = [];
  const disk = new Map<string, Buffer | undefined>();
  for (const f of inputFiles(loaded, systems)) {
    const bytes = await readOrNull(resolve(loaded.root, f.path));
    disk.set(f.role, bytes);
    files.push({ ...f, sha256: bytes ? sha256(bytes) : null });
  }
  const git = await openGit(loaded.root);
  const head = await git?.head();
  if (!git || !head) return { kind: "files", files };
  for (const f of files) {
    const at = git.repoPath(resolve(loaded.root, f.path));
    if (!at) return { kind: "files", files };
    const committed = await git.show(head, at);
    if ((committed ? sha256(committed) : null) !== f.sha256) return { kind: "files", files };
  }
  return { kind: "git", commit: head, files };
}

/** A one-line description of a plan's source, for plan.md and messages. */
export function describeSource(source: PlanSource): string {
  return source.kind === "git"
    ? `commit ${source.commit.slice(0, 12)}`
    : "the input files as they were when planned (not committed to git: each file's SHA-256 is recorded)";
}

/** The plan's data, as apply re-derives from them. */
export interface PlanData {
  source: PlanSource;
  /** "the data at commit 1a2b3c4d5e6f" or "the data files", for messages. */
  label: string;
  /** The configuration as it was when planned (paths and roots as the current one). */
  loaded: LoadedConfig;
  /** The bytes of an input file (path as the config names it), or undefined when it did not exist. */
  read(path: string): Promise<Buffer | undefined>;
  /**
   * The repository as it was when planned, for the revert holds (core/holds.ts): at the plan's commit;
   * the working tree for a plan whose data were not committed.
   */
  tree: TreeReader;
}

export interface OpenPlanDataOptions {
  /** Every known system's config section: the config as planned is parsed with them. */
  sections: readonly ConfigSection[];
  /** Refuse a plan not made from a commit (the action: its plans must come from the repository). */
  requireCommit?: boolean;
  /** Also require the commit on HEAD's first-parent line (the action, applying on the default branch). */
  mainline?: boolean;
  /**
   * The action: the plan's commit must be the newest commit of the default branch's first-parent
   * line, up to this one ("as of the merge": src/core/mainline.ts), that changed its input files.
   */
  asOf?: string;
  /** The systems of the plan: their input files, as the config at the plan's commit names them, for `asOf`. */
  systems?: readonly System[];
}

const PLAN_AGAIN = "Plan again.";

/**
 * Opens the data a plan was made from, after checking that they can be trusted: the commit is an
 * ancestor of HEAD, or (files) the config's digest is unchanged. Each other file's digest is checked
 * when it is read. Throws InputError (exit 2) otherwise.
 */
export async function openPlanData(
  loaded: LoadedConfig,
  planDir: string,
  manifest: Manifest,
  opts: OpenPlanDataOptions,
): Promise<PlanData> {
  const file = manifestPath(planDir);
  const refuse = (message: string) => new InputError({ file, message });
  const source = manifest.source;
  if (!source || !Array.isArray(source.files)) {
    throw refuse(
      `does not record the data the plan was made from (a plan made by an older patron-sync, or edited): apply re-derives every write from those data, so it cannot apply this plan. ${PLAN_AGAIN}`,
    );
  }
  const configName = basename(loaded.path);
  if (source.kind === "git") {
    if (typeof source.commit !== "string" || !/^[0-9a-f]{40,64}$/.test(source.commit))
      throw refuse(`records no valid commit for its data. ${PLAN_AGAIN}`);
    const git = await openGit(loaded.root);
    const head = await git?.head();
    if (!git || !head)
      throw refuse(
        `was made from commit ${source.commit.slice(0, 12)}: apply it inside that git repository, where the commit's data can be read`,
      );
    await checkCommit(git, source.commit, head, opts, refuse);
    const read = async (path: string) => {
      const at = git.repoPath(resolve(loaded.root, path));
      if (!at) throw new InputError({ file: path, message: "is outside the git repository" });
      return git.show(source.commit, at);
    };
    const label = `the data at commit ${source.commit.slice(0, 12)}`;
    const commit = source.commit;
    const tree: TreeReader = {
      async files(dir) {
        const at =
          git.repoPath(resolve(loaded.root, dir)) ?? (resolve(loaded.root, dir) === git.top ? "" : undefined);
        return at === undefined ? [] : git.files(commit, at);
      },
      async read(path) {
        const at = git.repoPath(resolve(loaded.root, path));
        return at ? git.show(commit, at) : undefined;
      },
    };
    const atSource = await configAt(loaded, configName, read, label, opts.sections);
    if (opts.asOf) {
      const paths = inputFiles(atSource, opts.systems ?? []).flatMap(
        (f) => git.repoPath(resolve(loaded.root, f.path)) ?? [],
      );
      await checkNewest(git, source.commit, opts.asOf, paths, refuse);
    }
    return { source, label, loaded: atSource, read, tree };
  }
  if (opts.requireCommit) {
    throw refuse(
      "was not made from a commit (its data were not committed when planned): the action applies only plans whose data are committed. Plan again from the repository.",
    );
  }
  const read = async (path: string) => {
    const recorded = source.files.find((f) => f.path === path);
    if (!recorded)
      throw new InputError({
        file: path,
        message: `is not among the files the plan was made from (${manifestPath(planDir)}). ${PLAN_AGAIN}`,
      });
    const bytes = await readOrNull(resolve(loaded.root, path));
    if ((bytes ? sha256(bytes) : null) !== recorded.sha256) {
      throw new InputError({
        file: path,
        message: `${bytes ? (recorded.sha256 ? "changed" : "was created") : "was deleted"} since the plan (its SHA-256 is not the one plan.json records): the data changed since the plan: plan again`,
      });
    }
    return bytes;
  };
  // The config is read as it is: its tuning (rate, concurrency, quota reserve) may change after a plan;
  // its rules may not, and each system checks them against the ones its plan file records.
  const label = "the data files";
  return {
    source,
    label,
    loaded: await configAt(
      loaded,
      configName,
      (p) => readOrNull(resolve(loaded.root, p)),
      label,
      opts.sections,
    ),
    read,
    tree: fsTree(loaded.root),
  };
}

async function checkCommit(
  git: GitData,
  commit: string,
  head: string,
  opts: OpenPlanDataOptions,
  refuse: (message: string) => InputError,
): Promise<void> {
  const short = commit.slice(0, 12);
  if (!(await git.hasCommit(commit)))
    throw refuse(
      `was made from commit ${short}, which this repository does not have (a shallow clone? check out with fetch-depth: 0). ${PLAN_AGAIN}`,
    );
  if (!(await git.isAncestor(commit, head)))
    throw refuse(
      `was made from commit ${short}, which is not an ancestor of the commit being applied (${head.slice(0, 12)}): the plan does not come from this branch's data. ${PLAN_AGAIN}`,
    );
  if (opts.mainline && !(await git.onFirstParentLine(commit, head)))
    throw refuse(
      `was made from commit ${short}, which is not on the default branch itself (it came in with a merged branch): the plan's data were not the default branch's. ${PLAN_AGAIN}`,
    );
}

/**
 * A plan made from older data is stale: no commit of the first-parent line after the plan's commit,
 * up to `asOf`, may have changed one of its input files (`paths`, repository paths).
 */
async function checkNewest(
  git: GitData,
  commit: string,
  asOf: string,
  paths: readonly string[],
  refuse: (message: string) => InputError,
): Promise<void> {
  const short = commit.slice(0, 12);
  if (!(await git.isAncestor(commit, asOf)))
    throw refuse(
      `was made from commit ${short}, which is not on the default branch as it was when the plan was merged (${asOf.slice(0, 12)}). ${PLAN_AGAIN}`,
    );
  const newer = await git.firstParentChanges(asOf, paths, commit);
  if (!newer.length) return;
  const latest = newer[0]!;
  const changed = (await git.changedFiles(commit, latest)).filter((f) => paths.includes(f));
  throw refuse(
    `was made from commit ${short}, but commit ${latest.slice(0, 12)} of the default branch changed its data (${changed.map((f) => `'${f}'`).join(", ") || "its input files"}) before the plan was merged${newer.length > 1 ? ` (${newer.length} commits did)` : ""}: the plan is stale, superseded by ${latest.slice(0, 12)}. Plan again from the default branch.`,
  );
}

async function configAt(
  loaded: LoadedConfig,
  name: string,
  read: (path: string) => Promise<Buffer | undefined>,
  label: string,
  sections: readonly ConfigSection[],
): Promise<LoadedConfig> {
  const bytes = await read(name);
  if (!bytes) throw new InputError({ file: name, message: `is missing from ${label}. ${PLAN_AGAIN}` });
  return { ...loaded, config: parseConfigWith(bytes.toString("utf8"), `${name} (${label})`, sections) };
}
