/**
 * What an updates row (alma.updates) changes in one user: pure, the same at plan and at apply.
 *
 * For each field with a value: its value in the record before, the value asked, and whether it is
 * already so (`unchanged`). Apply re-reads the user and compares each field with the plan's `before`:
 * a field that changed since the plan is skipped (`changed-since-plan`), never overwritten.
 */
import type { UpdateRow } from "./updates.ts";
import {
  canWrite,
  FIELD_SPECS,
  normalizeValue,
  readField,
  sameValue,
  UPDATE_FIELDS,
  type UpdateField,
} from "./update-fields.ts";
import { childText, type XNode } from "./xml.ts";

/** One field of one user in alma/plan.json. */
export interface FieldChange {
  field: UpdateField;
  /** The value in the record when planned ("" when absent), normalized (dates without the Z). */
  before: string;
  after: string;
  /** The code table's description of `after`, when the plan read the code table (written as `desc`). */
  desc?: string;
  /** Already at the asked value: not written. */
  unchanged?: true;
  /** Cannot be written to this user (e.g. no preferred e-mail address): not written, and why. */
  refused?: string;
  /** Undone by a revert and the updates file still asks the same value (core/holds.ts): not written. */
  held?: string;
}

/** Whether a field change is one apply writes. */
export const writes = (f: FieldChange): boolean => !f.unchanged && !f.refused && !f.held;

/** The fields a row sets, against a record, in the order of UPDATE_FIELDS. */
export function decideFields(
  user: XNode,
  row: UpdateRow,
  describe: (field: UpdateField, code: string) => string | undefined = () => undefined,
): FieldChange[] {
  const out: FieldChange[] = [];
  for (const field of UPDATE_FIELDS) {
    const asked = row.values[field];
    if (asked === undefined) continue;
    const before = normalizeValue(field, readField(user, field));
    const after = asked.trim();
    const c: FieldChange = { field, before, after: field === "email" ? after : normalizeValue(field, after) };
    if (sameValue(field, before, after)) c.unchanged = true;
    else if (!canWrite(user, field))
      c.refused = "the user has no preferred e-mail address to replace; set one in Alma first";
    else {
      const desc = FIELD_SPECS[field].kind === "code" ? describe(field, c.after) : undefined;
      if (desc !== undefined) c.desc = desc;
    }
    out.push(c);
  }
  return out;
}

/** Today as YYYY-MM-DD (UTC), for "moved earlier" checks. */
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Why a field change needs a reviewer's eye first ("Look at these first"), or undefined: status to
 * INACTIVE, any user_group change, an expiry or purge date moved earlier.
 */
export function riskOf(f: FieldChange, today: Date = new Date()): string | undefined {
  if (!writes(f)) return undefined;
  if (f.field === "status" && f.after === "INACTIVE") return "deactivated (status INACTIVE)";
  if (f.field === "user_group") return `user group ${f.before || "(none)"} → ${f.after}`;
  if ((f.field === "expiry_date" || f.field === "purge_date") && f.before && f.after < f.before)
    return `${f.field} moved earlier, ${f.before} → ${f.after}${f.after < isoDay(today) ? " (in the past)" : ""}`;
  return undefined;
}

/** The fields an EXTERNAL user's PUT must name in `override`, or Alma keeps their old values. */
export function overrideFor(user: XNode, fields: readonly FieldChange[]): UpdateField[] {
  const external = (childText(user, "account_type") ?? "").trim().toUpperCase() === "EXTERNAL";
  if (!external) return [];
  return fields.filter((f) => writes(f) && FIELD_SPECS[f.field].override).map((f) => f.field);
}

/** "expiry_date 2026-06-30 → 2027-06-30; user_group UG → GRAD": the written fields, for messages. */
export function describeFields(fields: readonly FieldChange[]): string {
  return fields
    .filter(writes)
    .map((f) => `${f.field} ${f.before || "(empty)"} → ${f.after}`)
    .join("; ");
}
