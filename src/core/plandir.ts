/**
 * The plan directory's manifest (plan.json): its type, where it is, reading and writing it.
 *
 * plan.json is the contract between plan and apply. Besides what was planned per system, it records
 * where the plan's data came from (`source`), so that apply can re-derive every write from the data
 * rather than trust the plan files (see src/core/integrity.ts), and the endpoints the plan showed.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "./errors.ts";
import type { SectionPlan } from "./types.ts";

export const MANIFEST = "plan.json";

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
