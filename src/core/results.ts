/**
 * Results kept across applies: results.md gets one dated section per apply (newest first, earlier
 * ones kept), results.json keeps a history entry per apply (written by core/plandir.ts),
 * results.csv holds each record's last status.
 */
import { md, num } from "./markdown.ts";

/** The statuses every results headline and comment lists, in this order. */
export const RESULT_STATUSES = ["updated", "unchanged", "skipped", "failed", "pending"] as const;

/** Infiniti's `created` counts as updated here (a record written). */
export function resultCounts(
  counts: Record<string, number>,
): Record<(typeof RESULT_STATUSES)[number], number> {
  const c = (k: string) => counts[k] ?? 0;
  return {
    updated: c("updated") + c("created"),
    unchanged: c("unchanged"),
    skipped: c("skipped"),
    failed: c("failed"),
    pending: c("pending"),
  };
}

/** What apply did, in the results table's own words, e.g. "4,071 updated · 2 failed · 12 unchanged". */
export function resultsHeadline(counts: Record<string, number>): string {
  const order = ["created", ...RESULT_STATUSES];
  const keys = [...order, ...Object.keys(counts).filter((k) => !order.includes(k))];
  const parts = keys.filter((k) => counts[k]).map((k) => `${num(counts[k]!)} ${k}`);
  return parts.length ? parts.join(" · ") : "nothing to do";
}

const DATED = /^## Apply of /m;

/**
 * The new results.md: a title saying what this apply did, this apply's dated section, then the
 * earlier applies' sections from `previous` (the old results.md), kept as they were.
 */
export function resultsMarkdown(title: string, appliedAt: Date, section: string, previous?: string): string {
  const when = appliedAt
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");
  let earlier = "";
  if (previous) {
    const at = previous.search(DATED);
    // A results.md from before dated sections: keep it whole under its own heading.
    earlier =
      at >= 0 ? previous.slice(at) : `## Apply of an earlier run\n\n${previous.replace(/^# .*\n/, "")}`;
  }
  return [`# ${md(title)}`, "", `## Apply of ${when}`, "", section.trimEnd(), "", earlier.trimEnd(), ""]
    .join("\n")
    .replace(/\n{3,}/g, "\n\n");
}
