/** The Alma section of plan.md and of the apply summary: counts first, then tables a reviewer can read. */
import type { AlmaPlanEntry } from "./planfile.ts";

const ACTION_ORDER = [
  "add",
  "deactivate",
  "replace",
  "unchanged",
  "keep",
  "conflict",
  "no-barcode",
  "no-employee-id",
  "not-found",
  "failed",
  "pending",
];
const ACTION_MEANING: Record<string, string> = {
  add: "barcode added (no ACTIVE barcode today)",
  deactivate: "old barcode set INACTIVE, new one added",
  replace: "old barcode removed, new one added",
  unchanged: "already has this barcode: nothing to do",
  keep: "has a different barcode, kept (existing_barcode: keep)",
  conflict: "barcode list conflict: not applied",
  "no-barcode": "employee ID not in the barcode list",
  "no-employee-id": "no employee ID on the record to look up",
  "not-found": "not found in Alma",
  failed: "could not be read from Alma",
  pending: "not read yet (daily API quota): the next run carries on",
};
export const ROW_LIMIT = 300;

export function md(text: string | undefined): string {
  return (text ?? "")
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/</g, "&lt;")
    .replace(/\r?\n/g, " ");
}

export function countsTable(
  counts: Record<string, number>,
  order: string[],
  meaning: Record<string, string>,
  head = "Action",
): string {
  const keys = [
    ...order.filter((k) => counts[k]),
    ...Object.keys(counts).filter((k) => !order.includes(k) && counts[k]),
  ];
  if (!keys.length) return "_Nothing to report._\n";
  const rows = keys.map((k) => `| \`${k}\` | ${counts[k]} | ${meaning[k] ?? ""} |`);
  return [`| ${head} | Patrons | Meaning |`, "|---|--:|---|", ...rows].join("\n") + "\n";
}

export function almaHeadline(counts: Record<string, number>): string {
  const c = (k: string) => counts[k] ?? 0;
  const toAdd = c("add") + c("deactivate") + c("replace");
  const parts: string[] = [];
  if (toAdd) parts.push(`${toAdd} barcode${toAdd === 1 ? "" : "s"} to add`);
  if (c("conflict")) parts.push(`${c("conflict")} conflict${c("conflict") === 1 ? "" : "s"}`);
  if (c("not-found")) parts.push(`${c("not-found")} not found`);
  if (c("failed")) parts.push(`${c("failed")} unreadable`);
  if (c("pending")) parts.push(`${c("pending")} pending`);
  return parts.length ? parts.join(", ") : "no Alma changes";
}

/** Collects rows while streaming the plan, keeping at most ROW_LIMIT per table. */
export class AlmaPlanTables {
  changes: AlmaPlanEntry[] = [];
  problems: AlmaPlanEntry[] = [];
  moreChanges = 0;
  moreProblems = 0;
  add(e: AlmaPlanEntry): void {
    if (e.action === "add" || e.action === "deactivate" || e.action === "replace") {
      if (this.changes.length < ROW_LIMIT) this.changes.push(e);
      else this.moreChanges++;
    } else if (e.action !== "unchanged") {
      if (this.problems.length < ROW_LIMIT) this.problems.push(e);
      else this.moreProblems++;
    }
  }
}

export interface AlmaPlanRenderInput {
  counts: Record<string, number>;
  tables: AlmaPlanTables;
  patronsFile: string;
  barcodesFile: string;
  duplicates: { id: string; lines: number[] }[];
  conflicts: { employeeId: string; barcodes: string[]; lines: number[]; reason: string }[];
  config: { barcode_type: string; existing_barcode: string; match_on: string };
}

export function renderAlmaPlan(x: AlmaPlanRenderInput): string {
  const out: string[] = [];
  out.push("## Alma barcode repair\n");
  out.push(
    `Patrons from \`${md(x.patronsFile)}\`, barcodes from \`${md(x.barcodesFile)}\`. ` +
      `Barcode type \`${md(x.config.barcode_type)}\`, employee ID from \`${md(x.config.match_on)}\`, a different ACTIVE barcode: \`${x.config.existing_barcode}\`.\n`,
  );
  out.push(countsTable(x.counts, ACTION_ORDER, ACTION_MEANING));
  out.push(
    "Each change re-reads the user before writing. A user whose barcodes changed since this plan is skipped (`changed-since-plan`), never overwritten. Roles, PIN and every other field are sent back exactly as Alma has them.\n",
  );
  if (x.tables.changes.length) {
    out.push("### Changes\n");
    out.push("| Primary ID | Action | Old barcode(s) | New barcode |", "|---|---|---|---|");
    for (const e of x.tables.changes) {
      out.push(
        `| ${md(e.primary_id)} | \`${e.action}\` | ${md(e.old_barcodes.join(", ")) || "—"} | ${md(e.new_barcode)} |`,
      );
    }
    if (x.tables.moreChanges)
      out.push(`\n… and ${x.tables.moreChanges} more changes: see \`alma/plan.json\`.`);
    out.push("");
  }
  if (x.tables.problems.length) {
    out.push("### Not changed, and why\n");
    out.push("| Primary ID | Status | Line | Reason |", "|---|---|--:|---|");
    for (const e of x.tables.problems)
      out.push(`| ${md(e.primary_id)} | \`${e.action}\` | ${e.line} | ${md(e.message)} |`);
    if (x.tables.moreProblems) out.push(`\n… and ${x.tables.moreProblems} more: see \`alma/plan.json\`.`);
    out.push("");
  }
  if (x.conflicts.length) {
    out.push(`### Conflicts in \`${md(x.barcodesFile)}\`\n`);
    out.push("Neither entry of a conflict is applied. Fix the file and commit it again.\n");
    out.push("| Employee ID | Barcodes | Lines | Problem |", "|---|---|---|---|");
    for (const c of x.conflicts.slice(0, ROW_LIMIT)) {
      out.push(
        `| ${md(c.employeeId)} | ${md(c.barcodes.join(", "))} | ${c.lines.join(", ")} | ${md(c.reason)} |`,
      );
    }
    if (x.conflicts.length > ROW_LIMIT) out.push(`\n… and ${x.conflicts.length - ROW_LIMIT} more.`);
    out.push("");
  }
  if (x.duplicates.length) {
    const list = x.duplicates.slice(0, 50).map((d) => `${md(d.id)} (lines ${d.lines.join(", ")})`);
    out.push(
      `Listed more than once in \`${md(x.patronsFile)}\` (planned once): ${list.join("; ")}${x.duplicates.length > 50 ? "; …" : ""}.\n`,
    );
  }
  return out.join("\n");
}
