/**
 * Markdown for people: the ONE escaper for patron data in plan.md, results.md, pull request
 * comments and job summaries, plus the pieces every system renders with (numbers, plural, the
 * counts table, Mermaid charts, a character budget for tables).
 *
 * Patron data (names, usernames, e-mail addresses, messages echoed from a vendor) must not ping,
 * link or embed anything where GitHub renders it:
 * - Markdown syntax is backslash-escaped, so `[text](url)`, `![img](url)`, emphasis, `<html>`, `&entity;`
 *   and table pipes stay literal text.
 * - GitHub's own autolinks work on the rendered text, after Markdown (an escaped `\@octocat` still
 *   notifies @octocat), so they are broken with an invisible U+2060 WORD JOINER: after `@` (mentions and
 *   e-mail autolinks), after `#` before a digit (issue references), inside `://` and after `www`
 *   (URL autolinks). The text reads the same; it just cannot link.
 * - Bidirectional controls (U+202A–U+202E embeddings and overrides, U+2066–U+2069 isolates, the marks U+200E,
 *   U+200F and U+061C) would reorder what a reviewer reads (a name with U+202E shows its characters backwards,
 *   "Trojan Source"); each is shown as its code point, e.g. `[U+202E]`, in text and in code spans.
 */

/** GitHub's limit on a pull request or comment body (characters). */
export const GITHUB_BODY_LIMIT = 65_536;
/** What plan.md (the pull request description) may use: GitHub's limit less a safe margin. */
export const PLAN_MD_BUDGET = 58_000;
/** Rows listed in tables that have no budget of their own (e.g. results.md per status). */
export const ROW_LIMIT = 300;

const WJ = "\u2060";
/** Unicode's bidirectional formatting characters (UAX #9, "Explicit Directional" and the implicit marks). */
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;
const showBidi = (t: string): string =>
  t.replace(BIDI, (c) => `[U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}]`);
const ALNUM = /^[\p{L}\p{N}]$/u;

/** Escapes text for inline Markdown (also safe in a table cell): one line, no links, no mentions. */
export function md(text: string | number | undefined | null): string {
  return (
    showBidi(String(text ?? ""))
      // One line, no control characters.
      .replace(/[\r\n\t\v\f]+/g, " ")
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]/g, "")
      // Markdown and HTML syntax, and table pipes.
      .replace(/[\\`*[\]<>!|~&]/g, (c) => `\\${c}`)
      // An underscore inside a word (employee_id) cannot start emphasis: only the others are escaped.
      .replace(/_/g, (c, at: number, all: string) =>
        ALNUM.test(all[at - 1] ?? "") && ALNUM.test(all[at + 1] ?? "") ? c : `\\${c}`,
      )
      // GitHub's autolinks on the rendered text.
      .replace(/@/g, `@${WJ}`)
      .replace(/#(?=\d)/g, `#${WJ}`)
      .replace(/:\/\//g, `:${WJ}//`)
      .replace(/\bwww\./gi, (w) => `${w.slice(0, 3)}${WJ}.`)
  );
}

/** Escapes text for a code span: backticks cannot close it early, pipes cannot split a table cell. */
export function code(text: string | undefined): string {
  const t = showBidi(String(text ?? ""))
    .replace(/[\r\n]+/g, " ")
    .replace(/\|/g, "\\|");
  const longest = Math.max(0, ...(t.match(/`+/g) ?? []).map((s) => s.length));
  const fence = "`".repeat(longest + 1);
  const pad = t.startsWith("`") || t.endsWith("`") ? " " : "";
  return `${fence}${pad}${t}${pad}${fence}`;
}

/** 4071 → "4,071". */
export function num(n: number): string {
  return n.toLocaleString("en-US");
}

/** plural(1, "user") → "1 user"; plural(1200, "user") → "1,200 users". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${num(n)} ${n === 1 ? one : many}`;
}

/**
 * A table of counts: the keys in `order` first, then any others, zero counts left out.
 * `unit` names the counted things (Patrons, Users, Records).
 */
export function countsTable(
  counts: Record<string, number>,
  order: readonly string[],
  meaning: Record<string, string>,
  head = "Action",
  unit = "Records",
): string {
  const keys = [
    ...order.filter((k) => counts[k]),
    ...Object.keys(counts).filter((k) => !order.includes(k) && counts[k]),
  ];
  if (!keys.length) return "_Nothing to report._\n";
  const rows = keys.map((k) => `| \`${k}\` | ${num(counts[k]!)} | ${meaning[k] ?? ""} |`);
  return [`| ${head} | ${unit} | Meaning |`, "|---|--:|---|", ...rows].join("\n") + "\n";
}

/** A Mermaid pie chart (GitHub renders ```mermaid blocks), or "" when every slice is empty. */
export function mermaidPie(title: string, slices: [string, number][]): string {
  const kept = slices.filter(([, n]) => n > 0);
  if (!kept.length) return "";
  const label = (s: string) => s.replace(/["\r\n`]/g, "'");
  return [
    "```mermaid",
    `pie showData title ${label(title)}`,
    ...kept.map(([k, n]) => `    "${label(k)}" : ${n}`),
    "```",
    "",
  ].join("\n");
}

/** A character budget: text is added while it fits. */
export class Budget {
  used = 0;
  constructor(readonly limit: number) {}
  get left(): number {
    return Math.max(0, this.limit - this.used);
  }
  /** Counts `text` (plus its line break) if it fits; false if not. */
  take(text: string): boolean {
    if (this.used + text.length + 1 > this.limit) return false;
    this.used += text.length + 1;
    return true;
  }
  /** Counts `text` whether it fits or not (for what must always be shown). */
  force(text: string): void {
    this.used += text.length + 1;
  }
}

/**
 * A table filled while `budget` allows, keeping room for the closing line. Returns its lines and how
 * many rows were left out. `reserve` characters stay free for what follows.
 */
export function budgetTable(
  header: string[],
  rows: Iterable<string>,
  budget: Budget,
  reserve = 200,
): { lines: string[]; shown: number; omitted: number } {
  const head = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  const lines: string[] = [];
  let shown = 0;
  let omitted = 0;
  const fits = (t: string) => budget.used + t.length + 1 + reserve <= budget.limit;
  for (const row of rows) {
    if (omitted === 0 && (shown > 0 || fits(head.join("\n"))) && fits(row)) {
      if (shown === 0) head.forEach((h) => budget.force(h));
      budget.force(row);
      lines.push(row);
      shown++;
    } else omitted++;
  }
  return { lines: shown ? [...head, ...lines] : [], shown, omitted };
}
