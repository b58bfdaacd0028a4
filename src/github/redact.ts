/**
 * Patron records are personal data. In a public repository the action commits no XML or CSV
 * records and no names: only plan.json (the manifest: counts and headlines) and a plan.md rebuilt
 * from the manifest and each system's plan.json, showing a primary ID / username and an action per
 * record, nothing else. The other files are removed from the runner's copy too, so that the run's
 * artifact and job summary (public as well) carry the same redacted plan.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { code, md, num } from "../core/markdown.ts";

export const PUBLIC_NOTE =
  "This repository is public, so patron-sync commits no patron records (no XML, no CSV) and no names: " +
  "only `plan.md` and `plan.json`, redacted to IDs and actions. Keep patron data in a private repository; " +
  "apply is refused here.";

/** The plan files that may be committed to a public repository. */
export const PUBLIC_FILES = ["plan.md", "plan.json"];

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

export interface RedactedRow {
  id: string;
  action: string;
}

const ID_KEYS = ["primary_id", "username", "user", "id", "adminsystemid"];
const ACTION_KEYS = ["action", "status", "operation"];

function pick(o: Record<string, unknown>, keys: string[]): string | undefined {
  for (const k of keys) {
    const v = o[k];
    if (typeof v === "string" || typeof v === "number") return String(v);
  }
  return undefined;
}

/**
 * The (ID, action) pairs of a system's plan.json, and nothing else. Finds the array of records
 * (e.g. alma/plan.json's `patrons`) whatever it is called.
 */
export function redactedRows(planJson: unknown): RedactedRow[] {
  const seen: unknown[] = [planJson];
  for (let depth = 0; depth < 4 && seen.length; depth++) {
    const next: unknown[] = [];
    for (const node of seen) {
      if (Array.isArray(node)) {
        const objects = node.filter((x): x is Record<string, unknown> => !!x && typeof x === "object");
        const rows = objects
          .map((o) => ({ id: pick(o, ID_KEYS), action: pick(o, ACTION_KEYS) }))
          .filter((r): r is RedactedRow => r.id !== undefined && r.action !== undefined);
        if (rows.length) return rows;
        next.push(...objects);
      } else if (node && typeof node === "object") {
        next.push(...Object.values(node as Record<string, unknown>));
      }
    }
    seen.splice(0, seen.length, ...next);
  }
  return [];
}

/** A table cell: the project's one escaper, cut short. */
function cell(s: string): string {
  return md(s.length > 80 ? s.slice(0, 79) + "…" : s);
}

interface ManifestLike {
  title?: string;
  changes?: number;
  sections?: { system?: string; counts?: Record<string, number>; changes?: number; headline?: string }[];
}

const SYSTEM_NAMES: Record<string, string> = { alma: "Alma", infiniti: "Concord Infiniti" };
const ID_LABEL: Record<string, string> = { alma: "Primary ID", infiniti: "Username" };
/** Actions that list no record: nothing to do. */
const QUIET = new Set(["unchanged"]);

/** Builds the redacted plan.md from plan.json and each system's plan.json. */
export function redactedPlanMarkdown(planDir: string, planDirLabel = "."): string {
  const manifest = JSON.parse(readFileSync(join(planDir, "plan.json"), "utf8")) as ManifestLike;
  const sections = manifest.sections ?? [];
  const out: string[] = [
    `# ${cell(manifest.title ?? "Patron sync plan")}`,
    "",
    `> **Redacted.** ${PUBLIC_NOTE}`,
    "",
    "| System | Records to send | Summary |",
    "|---|--:|---|",
    ...sections.map(
      (s) =>
        `| ${SYSTEM_NAMES[s.system ?? ""] ?? cell(s.system ?? "?")} | ${s.changes ?? 0} | ${cell(s.headline ?? "")} |`,
    ),
    "",
    `Plan directory: \`${planDirLabel}\`.`,
    "",
  ];
  for (const s of sections) {
    const system = s.system ?? "";
    out.push(`## ${SYSTEM_NAMES[system] ?? cell(system)}`, "");
    const counts = Object.entries(s.counts ?? {}).filter(([, n]) => n > 0);
    if (counts.length) {
      out.push(
        "| Action | Records |",
        "|---|--:|",
        ...counts.map(([k, n]) => `| ${code(k)} | ${num(n)} |`),
        "",
      );
    }
    let rows: RedactedRow[] = [];
    const path = join(planDir, system, "plan.json");
    if (existsSync(path)) {
      try {
        rows = redactedRows(JSON.parse(readFileSync(path, "utf8")));
      } catch {
        rows = [];
      }
    }
    rows = rows.filter((r) => !QUIET.has(r.action));
    if (rows.length) {
      out.push(`| ${ID_LABEL[system] ?? "ID"} | Action |`, "|---|---|");
      for (const r of rows.slice(0, REDACTED_ROW_LIMIT)) out.push(`| ${cell(r.id)} | ${code(r.action)} |`);
      if (rows.length > REDACTED_ROW_LIMIT) out.push("", `… and ${rows.length - REDACTED_ROW_LIMIT} more.`);
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
export function redactPlanDir(planDir: string, planDirLabel = "."): { markdown: string; removed: string[] } {
  const markdown = redactedPlanMarkdown(planDir, planDirLabel);
  const removed = walk(planDir).filter((f) => !PUBLIC_FILES.includes(f));
  for (const name of readdirSync(planDir)) {
    if (!PUBLIC_FILES.includes(name)) rmSync(join(planDir, name), { recursive: true, force: true });
  }
  writeFileSync(join(planDir, "plan.md"), markdown + "\n");
  return { markdown, removed };
}
