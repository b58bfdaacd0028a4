/**
 * The Infiniti part of a plan directory: `infiniti/import.csv` (the exact bytes apply posts) and
 * `infiniti/plan.json` (per user: action, changed fields old → new, passwords masked; the row each
 * sent user has in import.csv; the import's SHA-256, so apply sends nothing the plan did not show).
 *
 * import.csv: UTF-8 without BOM, LF line endings (git-friendly: a plan committed to a pull request
 * comes back byte for byte), header first with canonical lower-case names in the roster's order, one
 * row per sent user: roster users in roster order, then users to disable by username.
 * Row numbering (as Infiniti's `details` use it): row 1 is the first data row after the header.
 */
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { stringify } from "csv-stringify/sync";
import { InputError } from "../core/errors.ts";
import { SYSTEM_PLAN, systemDir, systemPlanPath, type PlanRecordId } from "../core/plandir.ts";
import type { FieldChange, InfinitiAction, PlannedUser } from "./diff.ts";

export const INFINITI_DIR = "infiniti";
export const IMPORT_FILE = "import.csv";
export const PLAN_FILE = SYSTEM_PLAN;

export interface PlanUserEntry {
  username: string;
  action: InfinitiAction;
  sent: boolean;
  /** Row in import.csv (1 = first data row after the header), for sent users. */
  import_row?: number;
  /** Line in the roster (absent for `disable`). */
  line?: number;
  changes: FieldChange[];
  /** `held`: the revert plan directory that holds this user (core/holds.ts). */
  held_by?: string;
}

export interface InfinitiPlanFile {
  system: "infiniti";
  version: 1;
  /** A revert plan (issue #13): it undoes the apply of `reverts` (relative to the config's folder). */
  kind?: "revert";
  reverts?: string;
  created: string;
  mode: "incremental" | "full";
  disable_missing: boolean;
  roster: { file: string; sha256: string; users: number };
  state: { file: string; existed: boolean; sha256: string | null; users: number; missing: number };
  import: {
    file: string;
    sha256: string;
    rows: number;
    columns: string[];
    line_endings: "LF";
    row_numbering: string;
  };
  counts: Record<string, number>;
  /**
   * Users apply posts (rows in import.csv): what the code calls the plan's `changes` (as Alma's plan.json
   * does). The key stays `sent`: plan.json is the contract with apply and with older plans.
   */
  sent: number;
  users: PlanUserEntry[];
}

export const ROW_NUMBERING = "row 1 is the first data row after the header";

/** The bytes to post: header, then one row per sent user. Returns the row number of each sent user. */
export function buildImportCsv(
  columns: string[],
  users: PlannedUser[],
): { csv: string; rows: Map<PlannedUser, number> } {
  const records: string[][] = [columns];
  const rows = new Map<PlannedUser, number>();
  for (const u of users) {
    if (!u.sent || !u.values) continue;
    const values = u.values;
    records.push(columns.map((c) => values[c] ?? ""));
    rows.set(u, records.length - 1);
  }
  return { csv: stringify(records, { record_delimiter: "\n" }), rows };
}

/** Infiniti's sub-directory of a plan directory. */
export function planDirOf(planDir: string): string {
  return systemDir(planDir, INFINITI_DIR);
}

export function readPlanFile(planDir: string): InfinitiPlanFile {
  const path = systemPlanPath(planDir, INFINITI_DIR);
  const file = `${INFINITI_DIR}/${PLAN_FILE}`;
  if (!existsSync(path)) {
    throw new InputError({
      file: path,
      message: "the plan has no Infiniti plan (infiniti/plan.json is missing)",
    });
  }
  let plan: InfinitiPlanFile;
  try {
    plan = JSON.parse(readFileSync(path, "utf8")) as InfinitiPlanFile;
  } catch {
    throw new InputError({ file: path, message: `${file} is not valid JSON` });
  }
  if (plan.system !== "infiniti" || !Array.isArray(plan.users) || typeof plan.import?.sha256 !== "string") {
    throw new InputError({ file: path, message: `${file} is not an Infiniti plan written by patron-sync` });
  }
  return plan;
}

/**
 * The username and action of every user of a plan directory's infiniti/plan.json (its `users`),
 * without the checks apply needs (readPlanFile): a redacted plan lists what the file holds.
 */
export async function* planRecordIds(planDir: string): AsyncGenerator<PlanRecordId> {
  const text = await readFile(systemPlanPath(planDir, INFINITI_DIR), "utf8");
  const plan = JSON.parse(text) as Partial<InfinitiPlanFile>;
  for (const u of plan.users ?? []) yield { id: u.username, action: u.action };
}
