/**
 * The plan directory: its shape, its manifest (plan.json), its results files, and what it says
 * about itself (unfinished, applied). Everything else asks here rather than join names itself.
 *
 *   plan.json            the manifest: what was planned, per system (MANIFEST)
 *   plan.md              its readable face, the pull request's description (PLAN_MD)
 *   results.md           what each apply did, newest first (RESULTS_MD)
 *   <system>/plan.json   each system's plan (SYSTEM_PLAN), with the system's own files beside it
 *   <system>/results.json, results.csv   what the last apply did, with the history of every apply
 *   <system>/plan-journal.ndjson         a resumable plan's journal: there while the plan is unfinished
 *   <system>/journal.ndjson              a resumable apply's journal
 *   .apply.lock          while an apply runs (src/core/lock.ts)
 *
 * plan.json is the contract between plan and apply. Besides what was planned per system, it records
 * where the plan's data came from (`source`), so that apply can re-derive every write from the data
 * rather than trust the plan files (see src/core/integrity.ts), and the endpoints the plan showed.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "./errors.ts";
import type { SectionPlan } from "./types.ts";

export const MANIFEST = "plan.json";
export const PLAN_MD = "plan.md";
export const RESULTS_MD = "results.md";
/** In each system's sub-directory. */
export const SYSTEM_PLAN = "plan.json";
export const RESULTS_JSON = "results.json";
export const RESULTS_CSV = "results.csv";
export const PLAN_JOURNAL = "plan-journal.ndjson";
export const APPLY_JOURNAL = "journal.ndjson";

/** A system's sub-directory, `<planDir>/<system>`. */
export function systemDir(planDir: string, system: string): string {
  return join(planDir, system);
}

/** A file of a system's sub-directory, `<planDir>/<system>/<name>`. */
export function systemPath(planDir: string, system: string, name: string): string {
  return join(planDir, system, name);
}

/** How people see a system's file: relative to the plan directory, forward slashes (`alma/plan.json`). */
export function shownPath(system: string, name: string): string {
  return `${system}/${name}`;
}

export function systemPlanPath(planDir: string, system: string): string {
  return systemPath(planDir, system, SYSTEM_PLAN);
}

export function resultsPath(planDir: string, system: string): string {
  return systemPath(planDir, system, RESULTS_JSON);
}

export function planMdPath(planDir: string): string {
  return join(planDir, PLAN_MD);
}

export function resultsMdPath(planDir: string): string {
  return join(planDir, RESULTS_MD);
}

/** One input file of a plan: its path as the config names it (relative to the config's folder). */
export interface SourceFile {
  /** What the file is: `config`, `alma.patrons`, `alma.barcodes`, `infiniti.users`, `infiniti.state`. */
  role: string;
  path: string;
  /** SHA-256 of the bytes, or null when the file did not exist (an Infiniti state before the first apply). */
  sha256: string | null;
}

/**
 * Where the plan's data came from.
 * - `git`: a commit of the repository; every input file was committed and clean when planned. Apply
 *   reads the files at that commit (and checks that the commit is an ancestor of the one applied).
 * - `files`: outside git, or with uncommitted data. Apply reads the files as they are and refuses
 *   when a digest differs.
 */
export type PlanSource =
  { kind: "git"; commit: string; files: SourceFile[] } | { kind: "files"; files: SourceFile[] };

export interface Manifest {
  version: 1;
  tool: "patron-sync";
  created: string;
  config: string;
  title: string;
  changes: number;
  sections: Omit<SectionPlan, "markdown">[];
  /** Where the data came from. Absent in plans made before patron-sync recorded it: apply refuses those. */
  source?: PlanSource;
  /** The addresses the plan showed and apply must use (e.g. `infiniti`: the import URL). */
  endpoints?: Partial<Record<string, string>>;
  /**
   * A revert plan (issue #13): it undoes the apply of the plan directory `reverts` (src/core/revert.ts).
   * Its writes follow from that plan's recorded results, not from data files: it records no `source`.
   */
  kind?: "revert";
  reverts?: string;
}

export function manifestPath(planDir: string): string {
  return join(planDir, MANIFEST);
}

export function writeManifest(planDir: string, manifest: Manifest): void {
  writeFileSync(manifestPath(planDir), JSON.stringify(manifest, null, 2) + "\n");
}

export function readManifest(planDir: string): Manifest {
  const path = manifestPath(planDir);
  if (!existsSync(path)) {
    throw new InputError({
      file: path,
      message: "no plan here: the plan directory must contain plan.json (run 'patron-sync plan' first)",
    });
  }
  try {
    const m = JSON.parse(readFileSync(path, "utf8")) as Manifest;
    if (m.tool !== "patron-sync" || !Array.isArray(m.sections)) throw new Error("not ours");
    return m;
  } catch {
    throw new InputError({ file: path, message: "is not a plan.json written by patron-sync" });
  }
}

export function hasManifest(planDir: string): boolean {
  return existsSync(manifestPath(planDir));
}

/** The names of the directories in `dir`, sorted (plan directories are named by UTC time stamp: oldest first). */
function subdirs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/**
 * The plans under plansDir (absolute) that a killed plan run left unfinished, oldest first: a system
 * journalled its plan (`<system>/plan-journal.ndjson`) but there is no manifest yet.
 */
export function unfinishedPlans(plansDir: string): string[] {
  return subdirs(plansDir)
    .map((name) => join(plansDir, name))
    .filter((d) => !hasManifest(d) && subdirs(d).some((s) => existsSync(systemPath(d, s, PLAN_JOURNAL))));
}

/** The newest unfinished plan under plansDir, to carry on after a kill. */
export function unfinishedPlan(plansDir: string): string | undefined {
  return unfinishedPlans(plansDir).at(-1);
}

/** One apply, as a results file's history keeps it. */
export interface HistoryEntry {
  applied_at: string;
  counts: Record<string, number>;
  complete?: boolean;
  /** Records that failed in that apply (id and message). */
  failures?: { id: string; message: string }[];
}

/**
 * `<system>/results.json`: what the last apply of a system did, one envelope for every system. A
 * system may add fields of its own (Infiniti: the import's SHA-256 and Infiniti's answer); the
 * file keeps the keys in the order the system gives them, with `history` last.
 */
export interface ResultsFile<R = unknown> {
  system: string;
  applied_at: string;
  /** Every record has its final result (nothing pending). */
  complete: boolean;
  counts: Record<string, number>;
  /** One per record, in the system's own shape. */
  results: R[];
  /** Every apply of this plan, oldest first (this one last). Absent in files written before it was kept. */
  history?: HistoryEntry[];
}

/** A system's results.json, or undefined when there is none or it is not JSON. */
export function readResults<F extends Partial<ResultsFile> = ResultsFile>(
  planDir: string,
  system: string,
): F | undefined {
  const path = resultsPath(planDir, system);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as F;
  } catch {
    return undefined;
  }
}

/** The applies so far, from a system's results.json (an older file without history counts as one). */
export function readHistory(planDir: string, system: string): HistoryEntry[] {
  const prev = readResults<ResultsFile & Partial<HistoryEntry>>(planDir, system);
  if (prev == null) return [];
  if (Array.isArray(prev.history)) return prev.history;
  if (prev.applied_at && prev.counts)
    return [{ applied_at: prev.applied_at, counts: prev.counts, complete: prev.complete }];
  return [];
}

/**
 * Writes a system's results.json: `file` as the system gives it, then `history`: the earlier
 * applies' entries and this apply's (`failures`: the records that failed in it). Returns what it wrote.
 */
export function writeResults<F extends ResultsFile>(
  planDir: string,
  file: Omit<F, "history">,
  failures: { id: string; message: string }[],
): F {
  const history: HistoryEntry[] = [
    ...readHistory(planDir, file.system),
    { applied_at: file.applied_at, complete: file.complete, counts: file.counts, failures },
  ];
  const out = { ...file, history } as F;
  writeFileSync(resultsPath(planDir, file.system), JSON.stringify(out, null, 1) + "\n");
  return out;
}

export interface AppliedResults {
  /** An apply finished writing results for every planned system (results.md and each results.json). */
  applied: boolean;
  failed: number;
  pending: number;
}

/** The systems a plan directory's manifest names (or just `only`); [] when the manifest cannot be read. */
function plannedSystems(planDir: string, only?: string): string[] {
  try {
    const manifest = JSON.parse(readFileSync(manifestPath(planDir), "utf8")) as {
      sections?: { system?: string }[];
    };
    return (manifest.sections ?? []).map((s) => s.system ?? "").filter((s) => !only || s === only);
  } catch {
    return [];
  }
}

/**
 * What an earlier apply left in the plan directory, for every system it planned (or the one in
 * `only`): applied when results.md and every planned system's results.json are there.
 */
export function appliedResults(planDir: string, only?: string): AppliedResults {
  const none: AppliedResults = { applied: false, failed: 0, pending: 0 };
  if (!existsSync(resultsMdPath(planDir))) return none;
  const systems = plannedSystems(planDir, only);
  if (!systems.length) return none;
  const out: AppliedResults = { applied: true, failed: 0, pending: 0 };
  for (const s of systems) {
    // `failed` and `pending` at the top: results files of early versions.
    const r = readResults<Partial<ResultsFile> & { failed?: number; pending?: number }>(planDir, s);
    if (r == null) return none;
    out.failed += r.counts?.failed ?? r.failed ?? 0;
    const pending = r.counts?.pending ?? r.pending ?? 0;
    out.pending += r.complete === false && !pending ? 1 : pending;
  }
  return out;
}

/** An apply finished writing results for every planned system (or `only`). */
export function isApplied(planDir: string, only?: string): boolean {
  return appliedResults(planDir, only).applied;
}

/** Applied, with nothing failed and nothing pending. */
export function hasCompleteResults(planDir: string, only?: string): boolean {
  const r = appliedResults(planDir, only);
  return r.applied && r.failed === 0 && r.pending === 0;
}

/** No apply has touched the plan: no results.md, and no system has results or an apply journal. */
export function isUntouched(planDir: string): boolean {
  if (existsSync(resultsMdPath(planDir))) return false;
  return !subdirs(planDir).some(
    (s) => existsSync(resultsPath(planDir, s)) || existsSync(systemPath(planDir, s, APPLY_JOURNAL)),
  );
}

/** A record of a system's plan as a redacted plan shows it: its ID and its action, nothing else. */
export interface PlanRecordId {
  id: string;
  action: string;
}
