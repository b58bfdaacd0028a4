/** The Infiniti sections of plan.md and of the results: headline, counts, then tables a reviewer can read. */
import { Budget, budgetTable, code, countsTable, md, num, plural, ROW_LIMIT } from "../core/markdown.ts";
import { resultsHeadline } from "../core/results.ts";
import { heldMessage } from "../core/holds.ts";
import type { FieldChange, PlannedUser } from "./diff.ts";
import type { InfinitiResult } from "./result.ts";
import { MASK } from "./values.ts";

export const HEADING = "## Concord Infiniti patron import";
export const CHANGES_CSV = "infiniti/changes.csv";

/**
 * Like Terraform's "to add, to change, to destroy": create, update, disable always, in this order, then
 * what is not sent (or, in full mode, sent again unchanged). E.g. "12 create · 3 update · 2 disable, 1,180 unchanged".
 */
export function infinitiHeadline(counts: Record<string, number>, _changes: number, mode: string): string {
  const c = (k: string) => counts[k] ?? 0;
  const head = `${num(c("create"))} create · ${num(c("update"))} update · ${num(c("disable"))} disable`;
  const rest = [
    c("unchanged") && `${num(c("unchanged"))} unchanged${mode === "full" ? " (sent again, full mode)" : ""}`,
    c("held") && `${num(c("held"))} held`,
  ].filter(Boolean);
  return [head, ...rest].join(", ");
}

/** givenname surname (or preferredname), from the values sent. */
export function nameOf(u: PlannedUser): string {
  const v = u.values ?? {};
  const given = v.preferredname || v.givenname || "";
  return [given, v.surname ?? ""].filter(Boolean).join(" ");
}

export function isStaff(u: PlannedUser): boolean {
  return (u.values?.staffmember ?? "") === "y";
}

function value(field: string, v: string): string {
  if (field === "password") return v ? MASK : "";
  return v === "" ? "(blank)" : md(v);
}

function changeList(changes: FieldChange[]): string {
  return (
    changes.map((c) => `${md(c.field)}: ${value(c.field, c.old)} → ${value(c.field, c.new)}`).join("<br>") ||
    "—"
  );
}

export interface PlanRenderInput {
  rosterFile: string;
  rosterUsers: number;
  stateFile: string;
  stateExists: boolean;
  stateUsers: number;
  missing: number;
  mode: "incremental" | "full";
  disableMissing: boolean;
  counts: Record<string, number>;
  /** Users apply posts (rows in import.csv): the plan's changes (plan.json calls them `sent`). */
  changes: number;
  importSha256: string;
  users: PlannedUser[];
  importRows: Map<PlannedUser, number>;
  /** The roster's columns, in import.csv's order. */
  columns: string[];
}

const staffFirst = (a: PlannedUser, b: PlannedUser) => Number(isStaff(b)) - Number(isStaff(a));
const mark = (u: PlannedUser) => (isStaff(u) ? "**staff**" : "");

/**
 * The section, within `budget` characters: the counts always; then users to disable, changed users and
 * new users (staff first in each), as far as the budget allows; closing with where the full list is.
 */
export function renderInfinitiPlan(x: PlanRenderInput, budget = Infinity): string {
  const b = new Budget(budget);
  const out: string[] = [];
  const put = (...lines: string[]) => lines.forEach((l) => (b.force(l), out.push(l)));
  put(`${HEADING}\n`, `**${infinitiHeadline(x.counts, x.changes, x.mode)}**\n`);
  const state = x.stateExists
    ? `${code(x.stateFile)} (${plural(x.stateUsers, "user")} applied before)`
    : `${code(x.stateFile)}, which does not exist yet: nothing has been applied, so every user is new`;
  put(
    `Roster ${code(x.rosterFile)}: ${plural(x.rosterUsers, "user")}, all valid. Mode \`${x.mode}\`, compared with ${state}. ` +
      (x.disableMissing
        ? "Users gone from the roster are sent with enabled=n (`disable_missing: true`)."
        : "Users gone from the roster are left as they are (`disable_missing: false`).") +
      "\n",
  );
  const meaning: Record<string, string> = {
    create: "new: not in the applied state; sent",
    update: "changed since the last apply; sent",
    disable: "gone from the roster: sent with enabled=n and their last-applied values",
    unchanged: x.mode === "full" ? "as last applied: sent again (`mode: full`)" : "as last applied: not sent",
    held: "a revert undid this user's change and the roster has not changed since: not sent",
  };
  put(
    countsTable(x.counts, ["disable", "update", "create", "unchanged", "held"], meaning, "Action", "Users"),
  );
  if (x.missing)
    put(
      `${plural(x.missing, "user")} in the applied state ${x.missing === 1 ? "is" : "are"} no longer in the roster and ${x.disableMissing ? "already disabled" : "left as they are"}.\n`,
    );
  put(
    x.changes
      ? `Apply posts \`infiniti/import.csv\` exactly: ${plural(x.changes, "row")}, SHA-256 \`${x.importSha256.slice(0, 16)}…\`. Passwords are shown as ${MASK}. _Row_ is the row in import.csv (1 = the first row after the header); _Line_ the line in the roster.\n`
      : "Nothing to send: apply will post nothing.\n",
  );

  const changed = x.users.filter((u) => u.sent && u.action !== "unchanged");
  const closing = changed.length
    ? `All ${plural(changed.length, "change")} ${changed.length === 1 ? "is" : "are"} in \`${CHANGES_CSV}\`, one row each (GitHub shows it as a table under "Files changed").`
    : "";
  const reserve = closing.length + 200;
  const row = (u: PlannedUser) => x.importRows.get(u) ?? "";
  const section = (
    title: string,
    header: string[],
    users: PlannedUser[],
    cells: (u: PlannedUser) => string[],
    where = CHANGES_CSV,
  ) => {
    if (!users.length) return;
    const t = budgetTable(
      header,
      users.map((u) => `| ${cells(u).join(" | ")} |`),
      b,
      reserve + title.length,
    );
    put(`### ${title} (${num(users.length)})\n`);
    out.push(...t.lines);
    if (t.omitted)
      put(
        `\n${t.shown ? `… and ${num(t.omitted)} more` : `${plural(t.omitted, "user")}, not shown here`}: see \`${where}\`.`,
      );
    put("");
  };
  const of = (a: string) => changed.filter((u) => u.action === a).sort(staffFirst);
  section("To disable", ["Username", "Name", "Row", "Marks"], of("disable"), (u) => [
    md(u.username),
    md(nameOf(u)) || "—",
    String(row(u)),
    mark(u),
  ]);
  section(
    "Changed",
    ["Username", "Name", "Row", "Line", "Changes (before → after)", "Marks"],
    of("update"),
    (u) => [
      md(u.username),
      md(nameOf(u)) || "—",
      String(row(u)),
      String(u.line ?? "—"),
      changeList(u.changes),
      mark(u),
    ],
  );
  // New users as a table of their columns (columns no new user fills are left out).
  const created = of("create");
  const filled = x.columns.filter(
    (c) => c !== "username" && created.some((u) => u.changes.some((ch) => ch.field === c && ch.new !== "")),
  );
  section("New", ["Username", "Row", "Line", ...filled], created, (u) => {
    const now = new Map(u.changes.map((c) => [c.field, c.new]));
    return [
      md(u.username),
      String(row(u)),
      String(u.line ?? "—"),
      ...filled.map((c) => value(c, now.get(c) ?? "")),
    ];
  });
  section(
    "Held by a revert",
    ["Username", "Line", "Why"],
    x.users.filter((u) => u.action === "held"),
    (u) => [md(u.username), String(u.line ?? "—"), md(heldMessage({ revert: u.held_by ?? "?" }))],
    "infiniti/plan.json",
  );
  const resent = x.users.filter((u) => u.sent && u.action === "unchanged").length;
  if (resent) put(`${plural(resent, "unchanged user")} also sent again (\`mode: full\`).\n`);
  if (closing) put(closing, "");
  return out.join("\n");
}

const STATUS_ORDER = ["created", "updated", "failed", "unchanged", "skipped"];
const STATUS_MEANING: Record<string, string> = {
  created: "created in Infiniti",
  updated: "updated in Infiniti (users disabled count here)",
  failed: "not imported: the next plan sends them again",
  unchanged: "already applied by an earlier run of this plan: nothing sent",
  skipped: "revert: changed since the apply it undoes, not sent (changed-since-apply)",
};

export interface ApplyRenderInput {
  summary: string;
  httpStatus?: number;
  counts: Record<string, number>;
  results: InfinitiResult[];
  note?: string;
}

export function renderInfinitiResults(x: ApplyRenderInput): string {
  const out: string[] = ["### Concord Infiniti patron import\n", `**${resultsHeadline(x.counts)}**\n`];
  if (x.note) out.push(`${md(x.note)}\n`);
  if (x.summary)
    out.push(
      x.httpStatus || !x.note
        ? `Infiniti answered${x.httpStatus ? ` (HTTP ${x.httpStatus})` : ""}: “${md(x.summary)}”\n`
        : `Infiniti's answer to the earlier post: “${md(x.summary)}”\n`,
    );
  out.push(countsTable(x.counts, STATUS_ORDER, STATUS_MEANING, "Status", "Users"));
  const skipped = x.results.filter((r) => r.status === "skipped");
  if (skipped.length) {
    out.push(
      `#### Changed since the apply, not overwritten (${num(skipped.length)})\n`,
      "| Username | Message |",
      "|---|---|",
    );
    for (const r of skipped.slice(0, ROW_LIMIT)) out.push(`| ${md(r.username)} | ${md(r.message)} |`);
    if (skipped.length > ROW_LIMIT)
      out.push(`\n… and ${num(skipped.length - ROW_LIMIT)} more: see \`infiniti/results.csv\`.`);
    out.push("");
  }
  const failures = x.results.filter((r) => r.status === "failed");
  if (failures.length) {
    out.push(`#### Failed (${num(failures.length)})\n`, "| Username | Row | Message |", "|---|--:|---|");
    for (const r of failures.slice(0, ROW_LIMIT))
      out.push(`| ${md(r.username)} | ${r.row ?? ""} | ${md(r.message)} |`);
    if (failures.length > ROW_LIMIT)
      out.push(`\n… and ${num(failures.length - ROW_LIMIT)} more: see \`infiniti/results.csv\`.`);
    out.push("");
  }
  return out.join("\n");
}
