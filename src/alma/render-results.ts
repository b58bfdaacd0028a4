/** Alma's section of results.md: the counts, then the failed and the changed-since records (rendered through core/markdown.ts). */
import { countsTable, md, num, ROW_LIMIT } from "../core/markdown.ts";
import { resultsHeadline } from "../core/results.ts";
import type { AlmaResult } from "./apply.ts";
import type { QuotaExhaustedError } from "./transport-errors.ts";

/** Alma's result statuses, in the order they are shown. */
export const STATUS_ORDER = ["updated", "unchanged", "skipped", "failed", "pending"];
const STATUS_MEANING: Record<string, string> = {
  updated: "written to Alma as planned (barcodes, fields)",
  unchanged: "already as planned: nothing sent",
  skipped:
    "not sent: nothing to change (conflict, no-barcode, not-found …) or changed since (below); each reason is in alma/results.csv",
  failed: "Alma refused or could not be reached",
  pending: "not sent yet: run apply again",
};

/**
 * What results.md shows of an apply, collected as the results come: the first ROW_LIMIT failed records
 * and the first ROW_LIMIT changed since the plan, with how many there are (no result is kept beyond them).
 */
export class AlmaResultRows {
  failed: AlmaResult[] = [];
  changed: AlmaResult[] = [];
  counts = { failed: 0, changed: 0 };
  add(r: AlmaResult): void {
    // changed-since-plan, or changed-since-apply in a revert plan.
    const kind =
      r.status === "failed"
        ? "failed"
        : r.status === "skipped" && r.message.startsWith("changed-since-")
          ? "changed"
          : undefined;
    if (!kind) return;
    this.counts[kind]++;
    if (this[kind].length < ROW_LIMIT)
      this[kind].push({ primary_id: r.primary_id, status: r.status, message: r.message });
  }
}

export function renderAlmaResults(
  rows: AlmaResultRows,
  counts: Record<string, number>,
  quota: QuotaExhaustedError | undefined,
): string {
  const pending = counts.pending ?? 0;
  const out: string[] = [
    "### Alma barcode repair\n",
    `**${resultsHeadline(counts)}**\n`,
    countsTable(counts, STATUS_ORDER, STATUS_MEANING, "Status", "Patrons"),
  ];
  if (quota)
    out.push(
      `The daily API quota ran low (${md(quota.message)}); ${num(pending)} records are pending. Run apply again (tomorrow) to carry on.\n`,
    );
  for (const [title, shown, total] of [
    ["Failed", rows.failed, rows.counts.failed],
    [
      "Changed since the plan, or since the apply a revert undoes (not overwritten)",
      rows.changed,
      rows.counts.changed,
    ],
  ] as const) {
    if (!total) continue;
    out.push(`#### ${title} (${num(total)})\n`, "| Primary ID | Message |", "|---|---|");
    for (const r of shown) out.push(`| ${md(r.primary_id)} | ${md(r.message)} |`);
    if (total > shown.length)
      out.push(`\n… and ${num(total - shown.length)} more: see \`alma/results.csv\`.`);
    out.push("");
  }
  return out.join("\n");
}
