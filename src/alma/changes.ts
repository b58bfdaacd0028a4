/** alma/changes.csv: one row per planned change, the review view for big plans (GitHub shows it as a table). */
import { csvForPeople } from "../core/csv.ts";
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

export function almaChangesCsv(entries: Iterable<AlmaPlanEntry>): { csv: string; rows: number } {
  const rows: string[][] = [];
  for (const e of entries) {
    if (!CHANGING_ACTIONS.has(e.action)) continue;
    const { before, after } = identifiersBeforeAfter(e);
    const marks = [e.staff ? "staff" : "", e.roles ? `${e.roles} role${e.roles === 1 ? "" : "s"}` : ""];
    rows.push([
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
    ]);
  }
  return { csv: csvForPeople(CHANGES_COLUMNS, rows), rows: rows.length };
}
