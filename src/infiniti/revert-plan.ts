/**
 * The Infiniti part of a revert plan (issue #13), from the reverted plan's infiniti/applied.json:
 * `infiniti/import.csv` (no password column: passwords are never restored) and `infiniti/plan.json`
 * (`kind: revert`, naming the reverted plan), the same layout as any plan, so apply posts it the
 * same way. Offline and deterministic, so apply can re-derive it.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SectionPlan } from "../core/types.ts";
import { countActions } from "./diff.ts";
import {
  buildImportCsv,
  IMPORT_FILE,
  INFINITI_DIR,
  PLAN_FILE,
  readPlanFile,
  ROW_NUMBERING,
  type InfinitiPlanFile,
} from "./planfile.ts";
import { revertRefused } from "../core/revert.ts";
import { code, md, plural } from "../core/markdown.ts";
import { APPLIED_FILE, readApplied, revertUsers } from "./revert.ts";
import { sha256 } from "./values.ts";
import type { Hold } from "../core/holds.ts";
import { ABSENT, rowDigest, ROW_HOLD } from "./holds.ts";

/** Derives the revert's plan file and import bytes from `dir` (absolute), the plan directory `reverts` names. */
export function deriveInfinitiRevert(dir: string, reverts: string) {
  const applied = readApplied(dir) ?? { system: "infiniti" as const, state: "", users: [] };
  const { users, columns, passwordOnly } = revertUsers(applied);
  const { csv, rows } = buildImportCsv(columns, users);
  const counts = countActions(users);
  const plan: InfinitiPlanFile = {
    system: "infiniti",
    version: 1,
    kind: "revert",
    reverts,
    created: new Date().toISOString(),
    mode: "incremental",
    disable_missing: false,
    roster: {
      file: `${reverts}/${INFINITI_DIR}/${APPLIED_FILE}`,
      sha256: sha256(JSON.stringify(applied)),
      users: applied.users.length,
    },
    state: { file: applied.state, existed: true, sha256: null, users: applied.users.length, missing: 0 },
    import: {
      file: `${INFINITI_DIR}/${IMPORT_FILE}`,
      sha256: sha256(csv),
      rows: rows.size,
      columns,
      line_endings: "LF",
      row_numbering: ROW_NUMBERING,
    },
    counts,
    sent: rows.size,
    users: users.map((u) => ({
      username: u.username,
      action: u.action,
      sent: true,
      import_row: rows.get(u)!,
      changes: u.changes,
    })),
  };
  return { plan, csv, users, passwordOnly, applied };
}

/**
 * The holds of the revert of `dir` (core/holds.ts): every user it restores or disables, against the
 * roster row that apply sent (a digest over the reverted plan's columns), or `absent` for a user that
 * apply disabled as gone from the roster.
 */
export function infinitiRevertHolds(dir: string, reverts: string): Hold[] {
  const d = deriveInfinitiRevert(dir, reverts);
  if (!d.users.length) return [];
  const columns = readPlanFile(dir).import.columns;
  const undone = new Set(d.users.map((u) => u.username.toLowerCase()));
  return d.applied.users
    .filter((a) => undone.has(a.username.toLowerCase()))
    .map((a) => ({
      key: a.username.toLowerCase(),
      id: a.username,
      changes: { [ROW_HOLD]: a.action === "disable" ? ABSENT : rowDigest(columns, a.after) },
    }));
}

/** The users a plan directory's apply wrote to Infiniti (its infiniti/applied.json), by hold key. */
export async function infinitiWritten(
  read: (file: string) => Promise<Buffer | undefined>,
  keys: ReadonlySet<string>,
): Promise<Set<string>> {
  const bytes = keys.size ? await read(`${INFINITI_DIR}/${APPLIED_FILE}`) : undefined;
  if (!bytes) return new Set();
  try {
    const f = JSON.parse(bytes.toString("utf8")) as { users?: { username?: unknown }[] };
    return new Set(
      (f.users ?? []).flatMap((u) =>
        typeof u?.username === "string" && keys.has(u.username.toLowerCase())
          ? [u.username.toLowerCase()]
          : [],
      ),
    );
  } catch {
    return new Set();
  }
}

export async function planInfinitiRevert(
  planDir: string,
  dir: string,
  reverts: string,
): Promise<SectionPlan> {
  const d = deriveInfinitiRevert(dir, reverts);
  const out = join(planDir, INFINITI_DIR);
  await mkdir(out, { recursive: true });
  await writeFile(join(out, IMPORT_FILE), d.csv);
  await writeFile(join(out, PLAN_FILE), JSON.stringify(d.plan, null, 1) + "\n");
  const disable = d.plan.counts.disable ?? 0;
  const update = d.plan.counts.update ?? 0;
  const headline =
    disable || update
      ? [
          update && `${plural(update, "Infiniti user")} restored`,
          disable && `${plural(disable, "created user")} disabled`,
        ]
          .filter(Boolean)
          .join(", ")
      : "no Infiniti users to restore";
  const lines = [
    `## Concord Infiniti: revert of ${code(reverts)}\n`,
    `Users the apply of ${code(reverts)} created are sent with \`enabled=n\` (Infiniti's import cannot delete); users it updated get their values from before it back (from ${code(`${reverts}/infiniti/${APPLIED_FILE}`)}, saved by that apply). Passwords are never restored: the revert rows have no password column. A user whose applied state changed since is skipped (\`changed-since-apply\`), never overwritten.\n`,
    `- Users restored to their earlier values: **${update}**`,
    `- Users created by that apply, to disable: **${disable}**`,
    `- Users that apply wrote to Infiniti: ${d.applied.users.length}` +
      (d.passwordOnly ? ` (${d.passwordOnly} with nothing to restore but the password, left alone)` : ""),
    "",
  ];
  if (d.users.length) {
    lines.push("| Username | Undo | Fields (now → back to) |", "|---|---|---|");
    for (const u of d.users.slice(0, 300))
      lines.push(
        `| ${md(u.username)} | ${u.action === "disable" ? "disable (created by that apply)" : "restore"} | ${md(
          u.changes.map((c) => `${c.field}: ${c.old || "∅"} → ${c.new || "∅"}`).join("; "),
        )} |`,
      );
    if (d.users.length > 300) lines.push(`\n… and ${d.users.length - 300} more: see \`infiniti/plan.json\`.`);
    lines.push("");
  }
  return {
    system: "infiniti",
    counts: d.plan.counts,
    changes: d.plan.sent,
    headline,
    markdown: lines.join("\n"),
    files: [`${INFINITI_DIR}/${IMPORT_FILE}`, `${INFINITI_DIR}/${PLAN_FILE}`],
  };
}

/**
 * Before applying a revert plan: its infiniti/plan.json and import.csv must be the revert re-derived from
 * `dir`'s applied state; an import.csv left out of git is re-made.
 */
export function checkInfinitiRevert(planDir: string, dir: string, reverts: string): void {
  const want = deriveInfinitiRevert(dir, reverts);
  const have = readPlanFile(planDir);
  const same =
    have.kind === "revert" &&
    have.reverts === reverts &&
    have.import.sha256 === want.plan.import.sha256 &&
    JSON.stringify(have.users) === JSON.stringify(want.plan.users);
  if (!same) throw revertRefused(join(planDir, INFINITI_DIR, PLAN_FILE), reverts, "infiniti/plan.json");
  const csv = join(planDir, INFINITI_DIR, IMPORT_FILE);
  if (!existsSync(csv)) writeFileSync(csv, want.csv);
  else if (readFileSync(csv, "utf8").replace(/\r\n/g, "\n") !== want.csv)
    throw revertRefused(csv, reverts, "infiniti/import.csv");
}
