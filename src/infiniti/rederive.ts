/**
 * The Infiniti half of "apply writes only what the reviewed data say" (src/core/integrity.ts):
 * the rows to post are rebuilt from the roster and the applied state of the plan's data, with the
 * plan's rules (mode, disable_missing), exactly as the plan built them. They must be the rows the
 * plan recorded (infiniti/plan.json: its users and import.csv's SHA-256) and, when the plan holds
 * it, import.csv itself; apply then posts the rebuilt rows, never the plan's file.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { InputError, type InputProblem } from "../core/errors.ts";
import type { Holds } from "../core/holds.ts";
import type { PlanData } from "../core/integrity.ts";
import { diffRoster } from "./diff.ts";
import { systemPlanPath } from "../core/plandir.ts";
import { buildImportCsv, IMPORT_FILE, INFINITI_DIR, planDirOf, type InfinitiPlanFile } from "./planfile.ts";
import type { SentRow } from "./result.ts";
import { parseState, type AppliedState } from "./state.ts";
import { validateRoster } from "./validate.ts";
import { sha256 } from "./values.ts";
import { infinitiConfigOf } from "./config.ts";

export interface SentRecord extends SentRow {
  values: Record<string, string>;
}

export interface DerivedImport {
  /** The bytes to post. */
  csv: string;
  rows: SentRecord[];
}

async function stateAt(data: PlanData, file: string): Promise<AppliedState> {
  const bytes = await data.read(file);
  if (!bytes) return { file, path: file, exists: false, columns: [], users: new Map() };
  return { ...parseState(bytes.toString("utf8"), file), sha256: sha256(bytes) };
}

/** Rebuilds the import from the plan's data and checks it against the plan. Throws InputError (exit 2). */
export async function deriveInfinitiImport(
  data: PlanData,
  planDir: string,
  plan: InfinitiPlanFile,
  /** The revert holds in force at the plan's data (core/holds.ts): the plan skipped the same users. */
  holds?: Holds,
): Promise<DerivedImport> {
  const planPath = systemPlanPath(planDir, INFINITI_DIR);
  const cfg = infinitiConfigOf(data.loaded);
  if (!cfg)
    throw new InputError({
      file: planPath,
      message: `has an Infiniti part, but the config in ${data.label} has no 'infiniti' section. Plan again.`,
    });
  const rosterBytes = await data.read(cfg.users);
  if (!rosterBytes)
    throw new InputError({ file: cfg.users, message: `is missing from ${data.label}. Plan again.` });
  const roster = validateRoster(rosterBytes, cfg.users);
  const state = await stateAt(data, cfg.state);
  const { users } = diffRoster(roster, state, {
    mode: cfg.mode,
    disableMissing: cfg.disable_missing,
    holds,
  });
  const { csv, rows } = buildImportCsv(roster.header, users);

  const problems: InputProblem[] = [];
  const refuse = (file: string, why: string) =>
    problems.push({
      file,
      message: `${why}: the plan's writes do not follow from ${data.label}. Plan again.`,
    });
  if (plan.mode !== cfg.mode || plan.disable_missing !== cfg.disable_missing)
    refuse(
      planPath,
      `says mode ${plan.mode}, disable_missing ${plan.disable_missing}; the config says mode ${cfg.mode}, disable_missing ${cfg.disable_missing}`,
    );
  const derived = users.map((u) => `${u.username}|${u.action}|${u.sent}|${rows.get(u) ?? ""}`).join("\n");
  const recorded = plan.users
    .map((u) => `${u.username}|${u.action}|${u.sent}|${u.import_row ?? ""}`)
    .join("\n");
  if (derived !== recorded)
    refuse(planPath, "its users and actions are not the ones the roster and state give");
  if (sha256(csv) !== plan.import.sha256)
    refuse(planPath, "the SHA-256 it records for import.csv is not that of the rows the data give");
  const importPath = join(planDirOf(planDir), IMPORT_FILE);
  if (existsSync(importPath)) {
    // A checkout with CRLF line endings (core.autocrlf) changes only the line endings.
    const shown = readFileSync(importPath, "utf8").replace(/\r\n/g, "\n");
    if (shown !== csv)
      refuse(
        importPath,
        `${INFINITI_DIR}/${IMPORT_FILE} is not the file the plan showed: its rows are not the ones the data give`,
      );
  }
  if (problems.length) throw new InputError(problems);

  const iPassword = roster.header.indexOf("password");
  const sent: SentRecord[] = [];
  for (const u of users) {
    const row = rows.get(u);
    if (row === undefined || !u.values) continue;
    const password = iPassword >= 0 ? u.values.password : undefined;
    sent.push({
      row,
      username: u.username,
      action: u.action,
      ...(password ? { password } : {}),
      values: Object.fromEntries(roster.header.map((c) => [c, u.values?.[c] ?? ""])),
    });
  }
  return { csv, rows: sent };
}

/**
 * A revert plan's rows: its import.csv (re-derived from the reverted plan's results by
 * core/revert.ts before apply), checked against the plan: the bytes (SHA-256) and the row → username map.
 */
export function readRevertImport(planDir: string, plan: InfinitiPlanFile): DerivedImport {
  const path = join(planDirOf(planDir), IMPORT_FILE);
  const shown = `${INFINITI_DIR}/${IMPORT_FILE}`;
  if (!existsSync(path)) throw new InputError({ file: path, message: `the plan's ${shown} is missing` });
  let csv = readFileSync(path, "utf8");
  if (sha256(csv) !== plan.import.sha256) {
    // A checkout with CRLF line endings (core.autocrlf) changes only the line endings: undo that.
    const lf = csv.replace(/\r\n/g, "\n");
    if (sha256(lf) !== plan.import.sha256) {
      throw new InputError({
        file: path,
        message: `${shown} is not the file the plan showed (its SHA-256 differs from plan.json): nothing was sent. Run a new plan`,
      });
    }
    csv = lf;
  }
  const [header = [], ...data] = parse(csv, { skip_empty_lines: false });
  const byRow = new Map(plan.users.filter((u) => u.import_row !== undefined).map((u) => [u.import_row!, u]));
  const iUser = header.indexOf("username");
  const iPassword = header.indexOf("password");
  const rows: SentRecord[] = [];
  const mismatch = () =>
    new InputError({
      file: path,
      message: `${shown} does not match plan.json: nothing was sent. Run a new plan`,
    });
  if (data.length !== plan.sent || byRow.size !== plan.sent || iUser < 0) throw mismatch();
  data.forEach((fields, i) => {
    const planned = byRow.get(i + 1);
    const username = fields[iUser] ?? "";
    if (!planned || planned.username !== username) throw mismatch();
    const values: Record<string, string> = {};
    header.forEach((c, j) => (values[c] = fields[j] ?? ""));
    rows.push({
      row: i + 1,
      username,
      action: planned.action,
      ...(iPassword >= 0 && fields[iPassword] ? { password: fields[iPassword] } : {}),
      values,
    });
  });
  return { csv, rows };
}
