/** The Infiniti sections of plan.md and of the results: counts first, then tables a reviewer can read. */
import type { FieldChange, PlannedUser } from "./diff.ts";
import type { InfinitiResult } from "./result.ts";

export const ROW_LIMIT = 300;
export const HEADING = "## Concord Infiniti patron import";

export function md(text: string | undefined): string {
  return (text ?? "")
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/`/g, "\\`")
    .replace(/</g, "&lt;")
    .replace(/\r?\n/g, " ");
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function countsTable(
  counts: Record<string, number>,
  order: string[],
  meaning: Record<string, string>,
  head: string,
) {
  const keys = [
    ...order.filter((k) => counts[k]),
    ...Object.keys(counts).filter((k) => !order.includes(k) && counts[k]),
  ];
  if (!keys.length) return "_Nothing to report._\n";
  return (
    [
      `| ${head} | Users | Meaning |`,
      "|---|--:|---|",
      ...keys.map((k) => `| \`${k}\` | ${counts[k]} | ${meaning[k] ?? ""} |`),
    ].join("\n") + "\n"
  );
}

export function infinitiHeadline(counts: Record<string, number>, sent: number, mode: string): string {
  if (!sent) return "no Infiniti changes";
  const c = (k: string) => counts[k] ?? 0;
  const parts: string[] = [];
  if (c("create")) parts.push(`${c("create")} new`);
  if (c("update")) parts.push(`${c("update")} changed`);
  if (c("disable")) parts.push(`${c("disable")} to disable`);
  if (mode === "full" && c("unchanged")) parts.push(`${c("unchanged")} unchanged, full mode`);
  return `${plural(sent, "Infiniti user")} to import${parts.length ? ` (${parts.join(", ")})` : ""}`;
}

function describeChanges(u: PlannedUser): string {
  const value = (v: string) => (v === "" ? "(blank)" : md(v));
  const one = (c: FieldChange) =>
    u.action === "create" ? `${c.field}: ${value(c.new)}` : `${c.field}: ${value(c.old)} → ${value(c.new)}`;
  return u.changes.map(one).join("; ") || "—";
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
  sent: number;
  importSha256: string;
  users: PlannedUser[];
  importRows: Map<PlannedUser, number>;
}

export function renderInfinitiPlan(x: PlanRenderInput): string {
  const out: string[] = [`${HEADING}\n`];
  const state = x.stateExists
    ? `\`${md(x.stateFile)}\` (${plural(x.stateUsers, "user")} applied before)`
    : `\`${md(x.stateFile)}\`, which does not exist yet: nothing has been applied, so every user is new`;
  out.push(
    `Roster \`${md(x.rosterFile)}\`: ${plural(x.rosterUsers, "user")}, all valid. Mode \`${x.mode}\`, compared with ${state}. ` +
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
  };
  out.push(countsTable(x.counts, ["create", "update", "disable", "unchanged"], meaning, "Action"));
  if (x.missing)
    out.push(
      `${plural(x.missing, "user")} in the applied state ${x.missing === 1 ? "is" : "are"} no longer in the roster and ${x.disableMissing ? "already disabled" : "left as they are"}.\n`,
    );
  if (x.sent) {
    out.push(
      `Apply posts \`infiniti/import.csv\` exactly: ${plural(x.sent, "row")}, SHA-256 \`${x.importSha256.slice(0, 16)}…\`. Passwords are shown as •••.\n`,
    );
  } else {
    out.push("Nothing to send: apply will post nothing.\n");
  }
  const shown = x.users.filter((u) => u.sent && u.action !== "unchanged");
  if (shown.length) {
    out.push("### Users to send\n", "| Username | Action | Row | Line | Changes |", "|---|---|--:|--:|---|");
    for (const u of shown.slice(0, ROW_LIMIT)) {
      out.push(
        `| ${md(u.username)} | \`${u.action}\` | ${x.importRows.get(u) ?? ""} | ${u.line ?? "—"} | ${describeChanges(u)} |`,
      );
    }
    if (shown.length > ROW_LIMIT)
      out.push(`\n… and ${shown.length - ROW_LIMIT} more: see \`infiniti/plan.json\`.`);
    out.push("");
    out.push(
      "_Row_ is the row in import.csv (1 = the first row after the header); _Line_ the line in the roster.\n",
    );
  }
  const resent = x.users.filter((u) => u.sent && u.action === "unchanged").length;
  if (resent) out.push(`${plural(resent, "unchanged user")} also sent again (\`mode: full\`).\n`);
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
  const out: string[] = [`${HEADING}: results\n`];
  if (x.note) out.push(`${x.note}\n`);
  if (x.summary)
    out.push(`Infiniti answered${x.httpStatus ? ` (HTTP ${x.httpStatus})` : ""}: “${md(x.summary)}”\n`);
  out.push(countsTable(x.counts, STATUS_ORDER, STATUS_MEANING, "Status"));
  const skipped = x.results.filter((r) => r.status === "skipped");
  if (skipped.length) {
    out.push("### Changed since the apply (not overwritten)\n", "| Username | Message |", "|---|---|");
    for (const r of skipped.slice(0, ROW_LIMIT)) out.push(`| ${md(r.username)} | ${md(r.message)} |`);
    out.push("");
  }
  const failures = x.results.filter((r) => r.status === "failed");
  if (failures.length) {
    out.push("### Failed\n", "| Username | Row | Message |", "|---|--:|---|");
    for (const r of failures.slice(0, ROW_LIMIT))
      out.push(`| ${md(r.username)} | ${r.row ?? ""} | ${md(r.message)} |`);
    if (failures.length > ROW_LIMIT)
      out.push(`\n… and ${failures.length - ROW_LIMIT} more: see \`infiniti/results.csv\`.`);
    out.push("");
  }
  return out.join("\n");
}
