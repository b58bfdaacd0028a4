/**
 * The Alma half of "apply writes only what the reviewed data say" (src/core/integrity.ts).
 *
 * Before any call, every change in alma/plan.json is checked against the plan's data: the patron is
 * in the patron list, the new barcode is the one the barcode list gives the planned employee ID,
 * and the action is one the decision rules (the config when planned) allow. Then, per record, apply
 * re-runs the pure decision on the fresh record with the same barcode list and rules, and writes the
 * change it derives only when it is the planned one (see applyAlma).
 */
import type { AlmaConfig } from "./config.ts";
import { InputError, type InputProblem } from "../core/errors.ts";
import type { PlanData } from "../core/integrity.ts";
import { decodeInputBytes } from "../core/textfile.ts";
import { CHANGING_ACTIONS, type BarcodeLookup, type Decision } from "./decide.ts";
import { lookupBarcode, parseBarcodeList, parsePatronList, type PatronList } from "./inputs.ts";
import { shownPath, SYSTEM_PLAN, systemPlanPath } from "../core/plandir.ts";
import { ALMA_DIR, readPlanEntries, type AlmaPlanEntry, type AlmaPlanHeader } from "./planfile.ts";
import { same } from "./identifiers.ts";
import { lookupUpdate, parseUpdates, type UpdateList } from "./updates.ts";
import { writes } from "./field-plan.ts";
import { sameValue } from "./update-fields.ts";
import { analyticsSource, patronsFromTable, patronsLabel, readPatronsCsv } from "./report-patrons.ts";
import { almaConfigOf } from "./config.ts";

/** What apply needs to re-derive each write: the barcode list and the rules of the plan's data. */
export interface AlmaDerivation {
  config: AlmaConfig;
  lookup: (employeeId: string) => BarcodeLookup;
  /** "the data at commit …", for messages. */
  label: string;
  /** The updates CSV at the plan's commit (alma.updates), to re-derive each field written. */
  updates?: UpdateList;
}

/** At most this many refused changes are listed one by one. */
const MAX_LISTED = 20;

const RULE_KEYS = ["barcode_type", "match_on", "existing_barcode", "user_id_type"] as const;

async function readList(data: PlanData, path: string): Promise<string> {
  const bytes = await data.read(path);
  if (!bytes) throw new InputError({ file: path, message: `is missing from ${data.label}. Plan again.` });
  return decodeInputBytes(bytes);
}

/**
 * The patron list of the plan's data. An Analytics report is not data the plan can be re-derived
 * from (its answer changes as patrons are fixed): its rows as planned are the plan's alma/patrons.csv,
 * a record file that is not committed unless commit_records is on. Without it, only the barcode and
 * rule checks hold for such a plan (undefined: no membership check).
 */
async function patronListOf(
  data: PlanData,
  cfg: AlmaConfig,
  planDir: string,
): Promise<PatronList | undefined> {
  const source = analyticsSource(cfg);
  if (!source) {
    const file = cfg.patrons as string;
    return parsePatronList(await readList(data, file), file);
  }
  const table = readPatronsCsv(planDir);
  return table ? patronsFromTable(table, source).list : undefined;
}

/**
 * Checks every planned change against the plan's data, before any call. Throws InputError (exit 2)
 * listing the changes that do not follow from the data.
 */
export async function checkAlmaPlan(
  data: PlanData,
  planDir: string,
  header: AlmaPlanHeader,
): Promise<AlmaDerivation> {
  const planPath = systemPlanPath(planDir, ALMA_DIR);
  const cfg = almaConfigOf(data.loaded);
  const shown = shownPath(ALMA_DIR, SYSTEM_PLAN);
  if (!cfg)
    throw new InputError({
      file: planPath,
      message: `has an Alma part, but the config in ${data.label} has no 'alma' section. Plan again.`,
    });
  const problems: InputProblem[] = [];
  const refuse = (message: string) => problems.push({ file: planPath, message });
  for (const k of RULE_KEYS) {
    if (header.config?.[k] !== cfg[k])
      refuse(
        `says ${k} '${String(header.config?.[k])}', but the config in ${data.label} says '${cfg[k]}': the plan's writes do not follow from the data`,
      );
  }
  const patrons = cfg.patrons ? await patronListOf(data, cfg, planDir) : undefined;
  const barcodes = cfg.barcodes
    ? parseBarcodeList(await readList(data, cfg.barcodes), cfg.barcodes, {
        barcodePattern: cfg.barcode_pattern,
      })
    : undefined;
  const updates = cfg.updates
    ? parseUpdates(await readList(data, cfg.updates), cfg.updates, cfg.match_on)
    : undefined;
  const listed = patrons && new Set(patrons.entries.map((p) => p.id.toLowerCase()));
  const lookup = (id: string): BarcodeLookup =>
    barcodes ? lookupBarcode(barcodes, id) : { kind: "missing" };

  const seen = new Set<string>();
  let changing = 0;
  let refused = 0;
  const add = (e: AlmaPlanEntry, why: string) => {
    refused++;
    if (refused <= MAX_LISTED)
      refuse(`patron ${e.primary_id}: ${why}: the plan's writes do not follow from ${data.label}`);
  };
  for await (const e of readPlanEntries(planPath)) {
    const id = String(e.primary_id ?? "");
    if (seen.has(id.toLowerCase())) add(e, `is in ${shown} more than once`);
    seen.add(id.toLowerCase());
    if (!CHANGING_ACTIONS.has(e.action)) continue;
    changing++;
    const fieldWhy = fieldsMismatch(e, updates);
    if (fieldWhy) {
      add(e, fieldWhy);
      continue;
    }
    if (e.action === "update" || e.action === "restore") continue;
    if (listed && !listed.has(id.toLowerCase())) {
      add(e, `is not in the patron list ${patronsLabel(cfg)}`);
      continue;
    }
    if (e.action !== "add" && e.action !== cfg.existing_barcode) {
      add(e, `the plan says '${e.action}', which existing_barcode: ${cfg.existing_barcode} never plans`);
      continue;
    }
    const found = e.employee_id === undefined ? undefined : lookup(e.employee_id);
    if (found?.kind !== "found") {
      add(e, `employee ID ${e.employee_id ?? "(none)"} has no usable barcode in ${cfg.barcodes}`);
      continue;
    }
    if (found.entry.barcode !== e.new_barcode)
      add(
        e,
        `the plan writes barcode ${e.new_barcode ?? "(none)"}, but ${cfg.barcodes} gives employee ID ${e.employee_id} the barcode ${found.entry.barcode}`,
      );
  }
  if (changing !== header.changes)
    refuse(`its header says ${header.changes} changes, but it lists ${changing}: the plan was edited`);
  if (refused > MAX_LISTED) refuse(`… and ${refused - MAX_LISTED} more changes refused for the same reason`);
  if (problems.length) throw new InputError(problems);
  return { config: cfg, lookup, label: data.label, ...(updates && { updates }) };
}

/**
 * Why an entry's field changes do not follow from the updates CSV at the plan's commit, or undefined:
 * every field written must be the row's value, and an `update` must write at least one.
 */
export function fieldsMismatch(e: AlmaPlanEntry, updates: UpdateList | undefined): string | undefined {
  const written = (e.fields ?? []).filter(writes);
  if (!written.length) return e.action === "update" ? "the plan says 'update' but sets no field" : undefined;
  const row = lookupUpdate(updates, e.update_id ?? e.primary_id);
  if (!row) return `sets ${written.map((f) => f.field).join(", ")}, but the user is not in the updates file`;
  for (const f of written) {
    const asked = row.values[f.field];
    if (asked === undefined || !sameValue(f.field, asked, f.after))
      return `sets ${f.field} to '${f.after}', but the updates file (line ${row.line}) asks ${asked === undefined ? "nothing" : `'${asked}'`}`;
  }
  return undefined;
}

/**
 * Why the decision re-run on the fresh record is not the planned change, or undefined when it is.
 * The fresh record's barcodes are as planned (the fingerprint matched), so any difference means the
 * plan's change does not follow from the data (or the employee ID changed since the plan).
 */
export function mismatch(e: AlmaPlanEntry, d: Decision): string | undefined {
  if (!d.change) return `the data give '${d.action}' (${d.message})`;
  if (d.action !== e.action) return `the data give '${d.action}', not '${e.action}'`;
  if (d.change.barcode !== e.new_barcode)
    return `the data give barcode ${d.change.barcode}, not ${e.new_barcode ?? "(none)"}`;
  if (e.employee_id !== undefined && d.employeeId !== undefined && !same(d.employeeId, e.employee_id))
    return `the user's employee ID is ${d.employeeId}, not ${e.employee_id}`;
  return undefined;
}
