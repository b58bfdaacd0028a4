/**
 * Infiniti apply posts `infiniti/import.csv`, which is not committed by default (it holds initial
 * passwords: see records.ts). On GitHub the apply job therefore rebuilds it exactly as the plan
 * made it: from the roster and the applied state as they were at the commit the plan was made
 * from (the first parent of the commit that added the plan's plan.json), else as they are in the
 * checkout, with the plan's own mode and disable_missing. The rebuilt bytes must have the SHA-256
 * that the plan recorded (infiniti/plan.json), or nothing is sent: apply then refuses as it does
 * for a changed import.csv, and asks for a new plan. (A revert plan is left alone: its import is
 * re-made by src/core/revert.ts from the reverted plan's recorded results.)
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import type { LoadedConfig } from "../config.ts";
import { InputError } from "../core/errors.ts";
import type { Logger } from "../core/log.ts";
import { diffRoster } from "../infiniti/diff.ts";
import { buildImportCsv, IMPORT_FILE, planDirOf, PLAN_FILE, readPlanFile } from "../infiniti/planfile.ts";
import { parseState } from "../infiniti/state.ts";
import { validateRoster } from "../infiniti/validate.ts";
import { sha256 } from "../infiniti/values.ts";
import type { Repo } from "./git.ts";

interface Source {
  /** For the log. */
  label: string;
  /** A file's bytes by its path relative to the repository root, or undefined if absent. */
  read: (path: string) => Promise<string | undefined>;
}

function csvFor(
  roster: string,
  rosterFile: string,
  state: string | undefined,
  stateFile: string,
  plan: ReturnType<typeof readPlanFile>,
): string {
  const parsedRoster = validateRoster(roster, rosterFile);
  const parsedState =
    state === undefined
      ? {
          file: stateFile,
          path: "",
          exists: false,
          columns: [],
          users: new Map<string, Record<string, string>>(),
        }
      : { ...parseState(state, stateFile), path: "" };
  const { users } = diffRoster(parsedRoster, parsedState, {
    mode: plan.mode,
    disableMissing: plan.disable_missing,
  });
  return buildImportCsv(parsedRoster.header, users).csv;
}

/**
 * Writes `<planDir>/infiniti/import.csv` when the plan has an Infiniti part and the file is absent.
 * Returns where it was rebuilt from, or undefined when nothing had to be done.
 */
export async function rebuildInfinitiImport(o: {
  repo: Repo;
  loaded: LoadedConfig;
  workspace: string;
  /** Absolute. */
  planDir: string;
  log: Logger;
}): Promise<string | undefined> {
  const target = join(planDirOf(o.planDir), IMPORT_FILE);
  if (existsSync(target) || !existsSync(join(planDirOf(o.planDir), PLAN_FILE))) return undefined;
  const plan = readPlanFile(o.planDir);
  // A revert's import follows from the reverted plan's recorded results: the core re-makes it
  // (checkRevertPlan in src/core/revert.ts), not from the roster.
  if (plan.kind === "revert") return undefined;
  const fromRoot = (file: string) => relative(o.workspace, resolve(o.loaded.root, file)).split(sep).join("/");
  const rosterPath = fromRoot(plan.roster.file);
  const statePath = fromRoot(plan.state.file);
  const planJson = relative(o.workspace, join(o.planDir, "plan.json")).split(sep).join("/");

  const sources: Source[] = [];
  const base = await o.repo.planBase(planJson);
  if (base)
    sources.push({ label: `the plan's commit ${base.slice(0, 7)}`, read: (p) => o.repo.showFile(base, p) });
  sources.push({
    label: "the checkout",
    read: (p) => {
      const abs = join(o.workspace, p);
      return Promise.resolve(existsSync(abs) ? readFileSync(abs, "utf8") : undefined);
    },
  });

  for (const s of sources) {
    const roster = await s.read(rosterPath);
    if (roster === undefined) continue;
    let csv: string;
    try {
      csv = csvFor(
        roster,
        plan.roster.file,
        plan.state.existed ? await s.read(statePath) : undefined,
        plan.state.file,
        plan,
      );
    } catch {
      continue; // that version of the roster does not validate: it is not the one planned
    }
    if (sha256(csv) !== plan.import.sha256) continue;
    writeFileSync(target, csv);
    o.log.info(
      `infiniti: rebuilt ${relative(o.workspace, target)} (not committed) from ${s.label}; its SHA-256 is the plan's`,
    );
    return s.label;
  }
  throw new InputError({
    file: relative(o.workspace, target).split(sep).join("/"),
    message:
      "is not committed (commit_records is off), and rebuilding it from the roster and the applied state at the plan's commit does not give the file the plan showed (its SHA-256 differs from infiniti/plan.json): nothing was sent. Run a new plan, or set commit_records: true to keep the import in git",
  });
}
