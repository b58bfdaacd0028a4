/**
 * The Alma part of a revert plan (issue #13): for every user the reverted apply wrote (`updated` in
 * its journal, alma/journal.ndjson, the line-per-user record its results are made from), a `restore`
 * entry that puts the barcode identifiers back as they were just before that PUT: the old barcode
 * ACTIVE again, the added one removed, a reactivated copy INACTIVE again. Its fingerprint is the
 * state right after that apply, so apply skips a user changed since (`changed-since-apply`).
 *
 * Offline and deterministic: the same reverted plan directory gives the same entries, which lets
 * apply re-derive them and refuse a revert plan that does not follow from the recorded results.
 */
import { mkdirSync } from "node:fs";
import { readJsonLines } from "../core/journal.ts";
import {
  APPLY_JOURNAL,
  shownPath,
  SYSTEM_PLAN,
  systemDir,
  systemPath,
  systemPlanPath,
} from "../core/plandir.ts";
import { revertRefused } from "../core/revert.ts";
import type { Hold } from "../core/holds.ts";
import { BARCODE_HOLD, fieldHold, holdKey } from "./holds.ts";
import type { SectionPlan } from "../core/types.ts";
import type { ApplyJournalLine } from "./apply.ts";
import { CHANGING_ACTIONS } from "./decide.ts";
import {
  ALMA_DIR,
  PlanFileWriter,
  readPlanEntries,
  readPlanHeader,
  type AlmaPlanEntry,
  type AlmaPlanHeader,
} from "./planfile.ts";
import { code, md, ROW_LIMIT } from "../core/markdown.ts";
import { activeValues } from "./restore.ts";
import { existsSync } from "node:fs";

export interface AlmaRevert {
  header: Omit<AlmaPlanHeader, "created">;
  entries: AlmaPlanEntry[];
  /** Each user to restore, held against the barcode the reverted plan wrote (core/holds.ts). */
  holds: Hold[];
  /** Users of the reverted plan its apply did not write (nothing to undo). */
  notWritten: number;
}

function undoMessage(e: AlmaPlanEntry, before: string[], type: string, reverts: string): string {
  const b = e.new_barcode ?? "";
  const back = before.length ? `ACTIVE again: ${before.join(", ")}` : `no ACTIVE ${type}`;
  const what = e.reactivate ? `set ${b} INACTIVE again` : `remove ${b}`;
  return `undo ${reverts} (${e.action}): ${what}; ${back}`;
}

/** Derives the revert entries from the reverted plan directory `dir` (absolute); `reverts` names it. */
export async function deriveAlmaRevert(dir: string, reverts: string): Promise<AlmaRevert> {
  const planPath = systemPlanPath(dir, ALMA_DIR);
  const old = await readPlanHeader(planPath);
  const type = old.config.barcode_type;
  const last = new Map<string, ApplyJournalLine>();
  const journal = systemPath(dir, ALMA_DIR, APPLY_JOURNAL);
  if (existsSync(journal))
    for await (const { entry } of readJsonLines<ApplyJournalLine>(journal))
      last.set(entry.primary_id.toLowerCase(), entry);

  const entries: AlmaPlanEntry[] = [];
  const holds: Hold[] = [];
  let notWritten = 0;
  for await (const e of readPlanEntries(planPath)) {
    if (!CHANGING_ACTIONS.has(e.action) || e.action === "restore") {
      notWritten++;
      continue;
    }
    const j = last.get(e.primary_id.toLowerCase());
    const base = {
      primary_id: e.primary_id,
      line: e.line,
      ...(e.employee_id ? { employee_id: e.employee_id } : {}),
    };
    if (j?.status === "updated" && j.applied) {
      const before = activeValues(j.applied.before, type);
      const fields = j.applied.fields ?? [];
      const barcode = e.action !== "update";
      const undo = [
        barcode ? undoMessage(e, before, type, reverts) : `undo ${reverts} (update)`,
        ...(fields.length
          ? [`put back ${fields.map((f) => `${f.field} ${f.after} → ${f.before || "(empty)"}`).join("; ")}`]
          : []),
      ];
      entries.push({
        ...base,
        action: "restore",
        old_barcodes: [],
        fingerprint: j.applied.after,
        restore: { identifiers: j.applied.before, ...(fields.length && { fields }) },
        message: undo.join("; "),
      });
      const changes: Record<string, string> = {};
      if (barcode && e.new_barcode !== undefined) changes[BARCODE_HOLD] = e.new_barcode;
      for (const f of fields) changes[fieldHold(f.field)] = f.after;
      if (Object.keys(changes).length) holds.push({ key: holdKey(e.primary_id), id: e.primary_id, changes });
    } else if (j?.status === "updated" || j?.status === "sending") {
      entries.push({
        ...base,
        action: "failed",
        old_barcodes: [],
        message:
          j.status === "sending"
            ? `the apply of ${reverts} was interrupted while writing this user: apply ${reverts} again to settle it, then revert again`
            : `the apply of ${reverts} did not record this user's identifiers before the change (an older patron-sync): restore it by hand in Alma`,
      });
    } else notWritten++;
  }
  const counts: Record<string, number> = {};
  for (const e of entries) counts[e.action] = (counts[e.action] ?? 0) + 1;
  return {
    header: {
      version: 1,
      system: "alma",
      kind: "revert",
      reverts,
      config: old.config,
      inputs: { patrons: `${reverts}/alma/plan.json`, barcodes: `${reverts}/alma/journal.ndjson` },
      counts,
      changes: counts.restore ?? 0,
    },
    entries,
    holds,
    notWritten,
  };
}

/** The holds of the revert of `dir`: every user it restores, with the barcode the reverted plan wrote. */
export async function almaRevertHolds(dir: string, reverts: string): Promise<Hold[]> {
  return (await deriveAlmaRevert(dir, reverts)).holds;
}

/**
 * The users a plan directory's apply wrote (`updated` as its journal's last word on them), by hold
 * key: a revert's hold is active on those it restored; a later plan that wrote one releases it.
 */
export async function almaWritten(
  read: (file: string) => Promise<Buffer | undefined>,
  keys: ReadonlySet<string>,
): Promise<Set<string>> {
  const bytes = keys.size ? await read(shownPath(ALMA_DIR, APPLY_JOURNAL)) : undefined;
  if (!bytes) return new Set();
  const text = bytes.toString("utf8");
  // A journal that names none of the keys (most of them) is not parsed line by line.
  const lower = text.toLowerCase();
  if (![...keys].some((k) => lower.includes(JSON.stringify(k).slice(1, -1)))) return new Set();
  const last = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const j = JSON.parse(line) as Partial<ApplyJournalLine>;
      if (typeof j.primary_id === "string") last.set(holdKey(j.primary_id), String(j.status));
    } catch {
      // a line cut off by a killed run: the journal reader passes over it too
    }
  }
  return new Set([...last].filter(([k, status]) => status === "updated" && keys.has(k)).map(([k]) => k));
}

/** Writes the revert's alma/plan.json under `planDir` and returns its plan.md section. */
export async function planAlmaRevert(planDir: string, dir: string, reverts: string): Promise<SectionPlan> {
  const r = await deriveAlmaRevert(dir, reverts);
  mkdirSync(systemDir(planDir, ALMA_DIR), { recursive: true });
  const w = new PlanFileWriter(systemPlanPath(planDir, ALMA_DIR), {
    ...r.header,
    created: new Date().toISOString(),
  });
  for (const e of r.entries) await w.write(e);
  await w.close();
  const n = r.header.changes;
  const headline = n ? `${n} Alma user${n === 1 ? "" : "s"} to restore` : "no Alma users to restore";
  const type = r.header.config.barcode_type;
  const out = [
    `## Alma: revert of ${code(reverts)}\n`,
    `Restores the ${type} identifiers of every user the apply of ${code(reverts)} wrote to what they were just before it: the old barcode ACTIVE again, the added one removed, a reactivated copy INACTIVE again. Nothing else in the record changes. A user whose ${type} identifiers changed since that apply is skipped (\`changed-since-apply\`), never overwritten.\n`,
    ...(r.entries.some((e) => e.restore?.fields?.length)
      ? [
          `Fields the apply set (user group, dates, status, …) are put back to their values before it; a field changed since that apply is skipped (\`changed-since-apply\`), never overwritten. The revert holds them: the next plan does not set them again from the same updates file.\n`,
        ]
      : []),
    `- Users to restore: **${n}**`,
    `- Users of ${code(reverts)} its apply did not write (nothing to undo): ${r.notWritten}`,
  ];
  if (r.header.counts.failed)
    out.push(`- Users that cannot be restored by this plan (see below): ${r.header.counts.failed}`);
  out.push("");
  if (r.entries.length) {
    out.push("| Primary ID | Line | Undo |", "|---|--:|---|");
    for (const e of r.entries.slice(0, ROW_LIMIT))
      out.push(`| ${md(e.primary_id)} | ${e.line} | ${md(e.message)} |`);
    if (r.entries.length > ROW_LIMIT)
      out.push(`\n… and ${r.entries.length - ROW_LIMIT} more: see \`alma/plan.json\`.`);
    out.push("");
  }
  return {
    system: "alma",
    counts: r.header.counts,
    changes: n,
    headline,
    markdown: out.join("\n"),
    files: ["alma/plan.json"],
  };
}

/** Before applying a revert plan: its alma/plan.json must be the revert re-derived from `dir`'s results. */
export async function checkAlmaRevert(planDir: string, dir: string, reverts: string): Promise<void> {
  const want = await deriveAlmaRevert(dir, reverts);
  const have = [];
  const path = systemPlanPath(planDir, ALMA_DIR);
  for await (const e of readPlanEntries(path)) have.push(e);
  if (JSON.stringify(have) !== JSON.stringify(want.entries))
    throw revertRefused(path, reverts, shownPath(ALMA_DIR, SYSTEM_PLAN));
}
