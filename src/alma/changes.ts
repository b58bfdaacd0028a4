/**
 * alma/changes.csv: one row per planned change, the review view for big plans (GitHub shows it as a table).
 * The plan writes it row by row (core/csv.ts CsvForPeopleWriter), in patron-list order.
 */
import { CHANGING_ACTIONS } from "./decide.ts";
import type { AlmaPlanEntry } from "./planfile.ts";
import { identifiersBeforeAfter } from "./who.ts";
import { writes } from "./field-plan.ts";
import type { UpdateField } from "./update-fields.ts";

export const CHANGES_COLUMNS = [
  "primary_id",
  "name",
  "user_group",
  "staff_or_roles",
  "action",
  "old_barcodes",
  "new_barcode",
  "barcodes_before",
  "barcodes_after",
  "segment",
  "holder",
  "warning",
];

/** The extra columns of field updates (alma.updates): each field's old and new value. */
export function fieldColumns(fields: readonly UpdateField[]): string[] {
  return fields.flatMap((f) => [`${f}_old`, `${f}_new`]);
}

/**
 * The changes.csv row of a planned change, or undefined for a record not changed. With `fields` (the
 * updates CSV's columns) each field has an old and a new cell, filled where the field changes.
 */
export function almaChangesRow(e: AlmaPlanEntry, fields: readonly UpdateField[] = []): string[] | undefined {
  if (!CHANGING_ACTIONS.has(e.action)) return undefined;
  const { before, after } = identifiersBeforeAfter(e);
  const marks = [e.staff ? "staff" : "", e.roles ? `${e.roles} role${e.roles === 1 ? "" : "s"}` : ""];
  return [
    e.primary_id,
    e.name ?? "",
    e.user_group ?? "",
    marks.filter(Boolean).join(", "),
    e.action,
    e.old_barcodes.join("; "),
    e.new_barcode ?? "",
    before,
    after,
    e.segment ?? "",
    e.holder ?? "",
    e.warning ?? "",
    ...fields.flatMap((name) => {
      const f = e.fields?.find((x) => x.field === name && writes(x));
      return f ? [f.before, f.after] : ["", ""];
    }),
  ];
}
