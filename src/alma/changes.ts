/**
 * alma/changes.csv: one row per planned change, the review view for big plans (GitHub shows it as a table).
 * The plan writes it row by row (core/csv.ts CsvForPeopleWriter), in patron-list order.
 */
import { CHANGING_ACTIONS } from "./decide.ts";
import type { AlmaPlanEntry } from "./planfile.ts";
import { identifiersBeforeAfter } from "./who.ts";

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

/** The changes.csv row of a planned change, or undefined for a record not changed. */
export function almaChangesRow(e: AlmaPlanEntry): string[] | undefined {
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
  ];
}
