/**
 * Patron records stay out of git by default (#10 §3). A plan directory holds, besides the review
 * files (plan.md, plan.json, each system's plan.json: IDs, actions, fingerprints, identifiers
 * before/after), the full records: Alma's users as fetched and as they would be written, and the
 * Infiniti import with its initial passwords. The action commits those only with
 * `commit_records: true`; otherwise they go to the run's artifact (actions/upload-artifact, kept
 * `artifact_retention_days`) and stay on the runner for the rest of the run. The CLI always writes
 * everything locally: this is about what reaches git.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { System } from "../core/system.ts";

/** The files of a plan directory that hold whole patron records (and Infiniti passwords): each system's. */
export function recordFiles(systems: readonly Pick<System, "name" | "recordFiles">[]): string[] {
  return systems.flatMap((s) => s.recordFiles.map((f) => `${s.name}/${f}`));
}

/** Pathspecs that stage a plan directory, without its record files unless `commitRecords`. */
export function committedPaths(
  dir: string,
  commitRecords: boolean,
  systems: readonly Pick<System, "name" | "recordFiles">[],
): string[] {
  if (commitRecords) return [dir];
  return [
    dir,
    ...recordFiles(systems).map((f) => `:(exclude)${dir}/${f}`),
    // Unfinished temporary files of a killed plan run.
    `:(exclude,glob)${dir}/**/*.part`,
  ];
}

/** The record files a plan directory holds on the runner (relative to it). */
export function recordFilesIn(
  planDirAbs: string,
  systems: readonly Pick<System, "name" | "recordFiles">[],
): string[] {
  return recordFiles(systems).filter((f) => existsSync(join(planDirAbs, f)));
}

/** The note for the pull request and job summary when the records are not committed. */
export function recordsNote(files: string[], runUrl: string, days: number): string {
  if (!files.length) return "";
  const list = files.map((f) => `\`${f}\``).join(", ");
  return `> **Patron records are not committed.** The full records of this plan (${list}) are in [this run's](${runUrl}) artifact, kept ${days} day${days === 1 ? "" : "s"}: open the run, then **Artifacts**. Set \`commit_records: true\` in the config to commit them with the plan (see docs/setup.md).\n\n`;
}
