/** Alma's section of results.md: the counts, then the failed and the changed-since records (rendered through core/markdown.ts). */
import { countsTable, md, num, ROW_LIMIT } from "../core/markdown.ts";
import { resultsHeadline } from "../core/results.ts";
import type { AlmaResult } from "./apply.ts";
import type { QuotaExhaustedError } from "./transport-errors.ts";

/** Alma's result statuses, in the order they are shown. */
export const STATUS_ORDER = ["updated", "unchanged", "skipped", "failed", "pending"];
const STATUS_MEANING: Record<string, string> = {
  updated: "barcode written to Alma",
  unchanged: "already as planned: nothing sent",
  skipped: "not sent (see the reason)",
  failed: "Alma refused or could not be reached",
  pending: "not sent yet: run apply again",
};

export function renderAlmaResults(
  results: AlmaResult[],
  counts: Record<string, number>,
  quota: QuotaExhaustedError | undefined,
): string {
  const pending = counts.pending ?? 0;
  const failures = results.filter((r) => r.status === "failed");
  // changed-since-plan, or changed-since-apply in a revert plan.
  const skipped = results.filter((r) => r.status === "skipped" && r.message.startsWith("changed-since-"));
  const out: string[] = [
    "### Alma barcode repair\n",
    `**${resultsHeadline(counts)}**\n`,
    countsTable(counts, STATUS_ORDER, STATUS_MEANING, "Status", "Patrons"),
  ];
  if (quota)
    out.push(
      `The daily API quota ran low (${md(quota.message)}); ${num(pending)} records are pending. Run apply again (tomorrow) to carry on.\n`,
    );
  for (const [title, rows] of [
    ["Failed", failures],
    ["Changed since the plan, or since the apply a revert undoes (not overwritten)", skipped],
  ] as const) {
    if (!rows.length) continue;
    out.push(`#### ${title} (${num(rows.length)})\n`, "| Primary ID | Message |", "|---|---|");
    for (const r of rows.slice(0, ROW_LIMIT)) out.push(`| ${md(r.primary_id)} | ${md(r.message)} |`);
    if (rows.length > ROW_LIMIT)
      out.push(`\n… and ${num(rows.length - ROW_LIMIT)} more: see \`alma/results.csv\`.`);
    out.push("");
  }
  return out.join("\n");
}
