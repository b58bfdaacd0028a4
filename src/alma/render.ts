/** The Alma section of plan.md: headline, counts, then the rows a reviewer should read first, within a budget. */
import { Budget, budgetTable, code, countsTable, md, num, plural } from "../core/markdown.ts";
import type { AlmaPlanEntry } from "./planfile.ts";
import type { ExternalWarnings } from "./render-external.ts";
import { identifiersBeforeAfter, isPrivileged } from "./who.ts";
import type { FieldTables } from "./render-fields.ts";

export const CHANGES_CSV = "alma/changes.csv";

const ACTION_ORDER = [
  "add",
  "deactivate",
  "replace",
  "update",
  "unchanged",
  "keep",
  "conflict",
  "no-barcode",
  "no-employee-id",
  "held-by-other",
  "held",
  "identity-mismatch",
  "not-found",
  "failed",
  "pending",
];
const ACTION_MEANING: Record<string, string> = {
  add: "barcode added (no ACTIVE barcode today)",
  update:
    "fields set from the updates file, barcode untouched (a user whose barcode changes too is counted under that action; the field updates below count every user)",
  deactivate: "old barcode set INACTIVE, new one added",
  replace: "old barcode removed, new one added",
  unchanged: "already has this barcode: nothing to do",
  keep: "has a different barcode, kept (existing_barcode: keep)",
  conflict: "barcode list conflict: not applied",
  "no-barcode": "employee ID not in the barcode list",
  "no-employee-id": "no employee ID on the record to look up",
  "held-by-other": "the new barcode is held by another Alma user (named): not written",
  held: "a revert undid this change and the data have not changed since: not planned again",
  "identity-mismatch": "Alma answered with another user's record: not written",
  "not-found": "not found in Alma",
  failed: "could not be read from Alma",
  pending: "not read yet (daily API quota): the next run carries on",
};
/** Actions that change nothing, in the order the headline lists them. */
const NOT_CHANGED = ACTION_ORDER.slice(4);

/**
 * Like Terraform's "to add, to change, to destroy": the three changing actions always, in this order, by
 * the names plan.json, changes.csv, `existing_barcode` and `auto_apply` use (one name per action), then
 * what is not changed, by status. E.g. "4,071 add · 1,025 deactivate · 0 replace, 12 unchanged, 3 conflict".
 */
export function almaHeadline(counts: Record<string, number>, fields?: FieldTables, barcodes = true): string {
  const c = (k: string) => counts[k] ?? 0;
  const head = `${num(c("add"))} add · ${num(c("deactivate"))} deactivate · ${num(c("replace"))} replace`;
  const others = [
    ...NOT_CHANGED,
    ...Object.keys(counts).filter((k) => !ACTION_ORDER.includes(k) && k !== "update"),
  ]
    .filter((k) => c(k))
    .map((k) => `${num(c(k))} ${k}`);
  // Field updates (alma.updates): by field, after the barcode counts when barcodes are repaired too.
  const lead = !fields ? head : barcodes ? `${head} · ${fields.headline()}` : fields.headline();
  return [lead, ...others].join(", ");
}

/**
 * How many rows of each section are kept while the plan streams: more never fit a description (plan.md's
 * whole budget, 58,000 characters, holds fewer than 1,000 of the shortest rows). Each section shows its
 * first rows in patron-list order, so the first KEEP are the only ones it can show.
 */
const KEEP = 2000;

/** A change to look at first: an old barcode deactivated or removed, or a staff user / a user with roles. */
export function isRisky(e: AlmaPlanEntry): boolean {
  return e.action === "deactivate" || e.action === "replace" || isPrivileged(e);
}

/**
 * Collects plan.md's tables while the plan streams, in patron-list order: the count of each section and
 * its first KEEP rows, already rendered (a row is a short string; the record it came from is not kept).
 */
export class AlmaPlanTables {
  risky: string[] = [];
  changes: string[] = [];
  problems: string[] = [];
  /** Patron IDs per employee ID in conflict (the conflicts table lists them once). */
  conflictPatrons = new Map<string, string[]>();
  counts = { risky: 0, changes: 0, problems: 0 };
  add(e: AlmaPlanEntry): void {
    if (e.action === "update") return; // the field updates' own tables (render-fields.ts)
    if (e.action === "add" || e.action === "deactivate" || e.action === "replace") {
      const risky = isRisky(e);
      const list = risky ? this.risky : this.changes;
      this.counts[risky ? "risky" : "changes"]++;
      if (list.length < KEEP) list.push(changeRow(e));
    } else if (e.action === "conflict" && e.employee_id !== undefined) {
      const key = e.employee_id.toLowerCase();
      const ids = this.conflictPatrons.get(key) ?? [];
      ids.push(e.primary_id);
      this.conflictPatrons.set(key, ids);
    } else if (e.action !== "unchanged") {
      this.counts.problems++;
      if (this.problems.length < KEEP) this.problems.push(problemRow(e));
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
  /** Planned changes (rows of alma/changes.csv). */
  changes: number;
  /** Changes that set INACTIVE or remove an External barcode (shown before the other rows). */
  external?: ExternalWarnings;
  /** alma.updates: the field updates, shown first; the updates file; codes not checked, if any. */
  fields?: FieldTables;
  updatesFile?: string;
  codesNote?: string;
}

function marks(e: AlmaPlanEntry): string {
  const m: string[] = [];
  if (e.staff) m.push("**staff**");
  if (e.roles) m.push(`**${plural(e.roles, "role")}**`);
  return m.join(", ");
}

function changeRow(e: AlmaPlanEntry): string {
  const { before, after } = identifiersBeforeAfter(e);
  return `| ${md(e.primary_id)} | ${md(e.name) || "—"} | ${md(e.user_group) || "—"} | \`${e.action}\` | ${md(before)} → ${md(after)} | ${marks(e)} |`;
}

function problemRow(e: AlmaPlanEntry): string {
  return `| ${md(e.primary_id)} | ${md(e.name) || "—"} | \`${e.action}\` | ${e.line} | ${md(e.message)} |`;
}

const CHANGE_HEADER = ["Primary ID", "Name", "User group", "Action", "Barcodes before → after", "Marks"];

/**
 * The section, within `budget` characters: the counts always; then risky changes, other changes,
 * records not changed and the barcode-list conflicts, as far as the budget allows; closing with where
 * the full list is.
 */
export function renderAlmaPlan(x: AlmaPlanRenderInput, budget = Infinity): string {
  const b = new Budget(budget);
  const out: string[] = [];
  const put = (...lines: string[]) => lines.forEach((l) => (b.force(l), out.push(l)));
  const barcodes = x.patronsFile !== "";
  put(
    x.fields
      ? barcodes
        ? "## Alma user updates and barcode repair\n"
        : "## Alma user updates\n"
      : "## Alma barcode repair\n",
  );
  put(`**${almaHeadline(x.counts, x.fields, barcodes)}**\n`);
  if (barcodes)
    put(
      `Patrons from ${code(x.patronsFile)}, barcodes from ${code(x.barcodesFile)}. ` +
        `Barcode type ${code(x.config.barcode_type)}, employee ID from ${code(x.config.match_on)}, a different ACTIVE barcode: \`${x.config.existing_barcode}\`.\n`,
    );
  put(countsTable(x.counts, ACTION_ORDER, ACTION_MEANING, "Action", "Patrons"));
  put(
    "Each change re-reads the user before writing. A user whose barcodes changed since this plan is skipped (`changed-since-plan`), never overwritten. Roles, PIN and every other field are sent back exactly as Alma has them.\n",
  );
  const closing = x.changes
    ? `All ${plural(x.changes, "planned change")} ${x.changes === 1 ? "is" : "are"} in \`${CHANGES_CSV}\`, one row each (GitHub shows it as a table under "Files changed").`
    : "";
  const reserve = closing.length + 200;
  const section = (
    title: string,
    header: string[],
    rows: string[],
    total: number,
    where: string,
    intro?: string,
    countInTitle = true,
  ) => {
    if (!total) return;
    const t = budgetTable(header, rows, b, reserve + title.length + (intro?.length ?? 0));
    const more = total - t.shown;
    put(`### ${title}${countInTitle ? ` (${num(total)})` : ""}\n`);
    if (intro) put(intro);
    if (t.lines.length) out.push(...t.lines);
    if (more)
      put(
        `\n${t.shown ? `… and ${num(more)} more` : `${plural(more, "row")}, not shown here`}: see \`${where}\`.`,
      );
    put("");
  };
  if (x.fields) out.push(...x.fields.render(b, reserve, x.updatesFile, x.codesNote));
  if (x.external) out.push(...x.external.render(b, reserve));
  section(
    "Look at these first: barcodes deactivated or removed, staff, users with roles",
    CHANGE_HEADER,
    x.tables.risky,
    x.tables.counts.risky,
    CHANGES_CSV,
  );
  section("Other changes", CHANGE_HEADER, x.tables.changes, x.tables.counts.changes, CHANGES_CSV);
  section(
    "Not changed, and why",
    ["Primary ID", "Name", "Status", "Line", "Reason"],
    x.tables.problems,
    x.tables.counts.problems,
    "alma/plan.json",
  );
  // The headline counts patrons (`conflict`); the file's conflicts are counted by employee ID, and one
  // may match no listed patron, or several: the title names both, so the two numbers never disagree.
  section(
    `Conflicts in ${code(x.barcodesFile)} (${plural(x.conflicts.length, "employee ID")}; ${plural(x.counts.conflict ?? 0, "listed patron")})`,
    ["Employee ID", "Barcodes", "Lines", "Patrons", "Problem"],
    x.conflicts.map(
      (c) =>
        `| ${md(c.employeeId)} | ${md(c.barcodes.join(", "))} | ${c.lines.join(", ")} | ${md((x.tables.conflictPatrons.get(c.employeeId.toLowerCase()) ?? []).join(", ")) || "—"} | ${md(c.reason)} |`,
    ),
    x.conflicts.length,
    x.barcodesFile,
    "Neither entry of a conflict is applied: the patrons listed are `conflict` in the counts. Fix the file and commit it again.\n",
    false,
  );
  if (x.duplicates.length) {
    const list: string[] = [];
    for (const d of x.duplicates) {
      const item = `${md(d.id)} (lines ${d.lines.join(", ")})`;
      if (!b.take(item + "; ") || list.length >= 50) break;
      list.push(item);
    }
    const n = x.duplicates.length;
    put(
      list.length
        ? `Listed more than once in ${code(x.patronsFile)} (planned once): ${list.join("; ")}${n > list.length ? `; … (${num(n)} in all)` : ""}.\n`
        : `${plural(n, "patron is", "patrons are")} listed more than once in ${code(x.patronsFile)} (each planned once).\n`,
    );
  }
  if (closing) put(closing, "");
  return out.join("\n");
}
