/**
 * Patron records are personal data. In a public repository the action commits no XML or CSV
 * records and no names: only plan.json (the manifest: counts and headlines) and a plan.md rebuilt
 * from the manifest and each system's plan.json, showing a primary ID / username and an action per
 * record, nothing else. The other files are removed from the runner's copy too, so that the run's
 * artifact and job summary (public as well) carry the same redacted plan.
 */
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { code, md, num } from "../core/markdown.ts";
import {
  MANIFEST,
  PLAN_MD,
  planMdPath,
  readManifest,
  systemPlanPath,
  type PlanRecordId,
} from "../core/plandir.ts";
import { systemNamed, type System } from "../core/system.ts";

export const PUBLIC_NOTE =
  "This repository is public, so patron-sync commits no patron records (no XML, no CSV) and no names: " +
  "only `plan.md` and `plan.json`, redacted to IDs and actions. Keep patron data in a private repository; " +
  "apply is refused here.";

/** The plan files that may be committed to a public repository. */
export const PUBLIC_FILES = [PLAN_MD, MANIFEST];

/** At most this many records are listed per system in the redacted plan. */
export const REDACTED_ROW_LIMIT = 1000;

export interface Visibility {
  isPublic: boolean;
  /** Why we think so, for the log. */
  why: string;
}

/**
 * Public or private: GitHub's answer (GET /repos/{owner}/{repo}) wins, the event payload's
 * `repository.private` is a hint, and when neither is known the repository is treated as public.
 */
export function decideVisibility(
  api: { private: boolean } | undefined,
  payloadPrivate: boolean | undefined,
): Visibility {
  if (api)
    return {
      isPublic: !api.private,
      why: `GitHub says the repository is ${api.private ? "private" : "public"}`,
    };
  if (typeof payloadPrivate === "boolean")
    return {
      isPublic: !payloadPrivate,
      why: `the event says the repository is ${payloadPrivate ? "private" : "public"} (GitHub's API could not be asked)`,
    };
  return { isPublic: true, why: "the repository's visibility is unknown, so it is treated as public" };
}

export type RedactedRow = PlanRecordId;

/** What redaction asks of a system: its names, and the IDs and actions of its plan's records. */
export type RedactingSystem = Pick<System, "name" | "longLabel" | "idLabel" | "planRecordIds">;

/**
 * The records of a system's plan that the redacted plan lists (not `unchanged`): at most `limit`
 * of them, and how many there are. A system that cannot list them, or a plan file that is missing
 * or cannot be read, lists none.
 */
export async function redactedRows(
  planDir: string,
  system: RedactingSystem | undefined,
  limit = REDACTED_ROW_LIMIT,
): Promise<{ rows: RedactedRow[]; total: number }> {
  const none = { rows: [], total: 0 };
  if (!system?.planRecordIds || !existsSync(systemPlanPath(planDir, system.name))) return none;
  const rows: RedactedRow[] = [];
  let total = 0;
  try {
    // Streamed: a plan of 100,000 patrons is not held in memory.
    for await (const r of system.planRecordIds(planDir)) {
      if (QUIET.has(r.action)) continue;
      if (total++ < limit) rows.push({ id: r.id, action: r.action });
    }
  } catch {
    return none;
  }
  return { rows, total };
}

/** A table cell: the project's one escaper, cut short. */
function cell(s: string): string {
  return md(s.length > 80 ? s.slice(0, 79) + "…" : s);
}

/** Actions that list no record: nothing to do. */
const QUIET = new Set(["unchanged"]);

/** Builds the redacted plan.md from plan.json and, through `systems`, each system's plan file. */
export async function redactedPlanMarkdown(
  planDir: string,
  systems: readonly RedactingSystem[],
  planDirLabel = ".",
): Promise<string> {
  const manifest = readManifest(planDir);
  const sections = manifest.sections;
  const longLabel = (name: string) => systemNamed(systems, name)?.longLabel ?? cell(name);
  const out: string[] = [
    `# ${cell(manifest.title)}`,
    "",
    `> **Redacted.** ${PUBLIC_NOTE}`,
    "",
    "| System | Records to send | Summary |",
    "|---|--:|---|",
    ...sections.map((s) => `| ${longLabel(s.system)} | ${s.changes} | ${cell(s.headline)} |`),
    "",
    `Plan directory: \`${planDirLabel}\`.`,
    "",
  ];
  for (const s of sections) {
    const system = systemNamed(systems, s.system);
    out.push(`## ${longLabel(s.system)}`, "");
    const counts = Object.entries(s.counts).filter(([, n]) => n > 0);
    if (counts.length) {
      out.push(
        "| Action | Records |",
        "|---|--:|",
        ...counts.map(([k, n]) => `| ${code(k)} | ${num(n)} |`),
        "",
      );
    }
    const { rows, total } = await redactedRows(planDir, system);
    if (rows.length) {
      out.push(`| ${system?.idLabel ?? "ID"} | Action |`, "|---|---|");
      for (const r of rows) out.push(`| ${cell(r.id)} | ${code(r.action)} |`);
      if (total > rows.length) out.push("", `… and ${total - rows.length} more.`);
      out.push("");
    }
  }
  return out.join("\n");
}

function walk(dir: string, root = dir): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files.push(...walk(p, root));
    else files.push(relative(root, p).replace(/\\/g, "/"));
  }
  return files;
}

/**
 * Rewrites plan.md redacted and deletes every other file of the plan directory but plan.json.
 * Returns the redacted Markdown and the files removed (relative to the plan directory).
 */
export async function redactPlanDir(
  planDir: string,
  systems: readonly RedactingSystem[],
  planDirLabel = ".",
): Promise<{ markdown: string; removed: string[] }> {
  const markdown = await redactedPlanMarkdown(planDir, systems, planDirLabel);
  const removed = walk(planDir).filter((f) => !PUBLIC_FILES.includes(f));
  for (const name of readdirSync(planDir)) {
    if (!PUBLIC_FILES.includes(name)) rmSync(join(planDir, name), { recursive: true, force: true });
  }
  writeFileSync(planMdPath(planDir), markdown + "\n");
  return { markdown, removed };
}
