/**
 * The Alma patron list from an Analytics report (config `alma.patrons: { analytics, column }`): the column is
 * found by its heading in the report's schema, each row's cell by its ColumnN name; the report's rows are
 * written to the plan directory as alma/patrons.csv (every column, headings first), so the review shows
 * exactly which list was planned. A resumed plan reads that file again instead of asking Alma.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import type { AlmaConfig } from "./config.ts";
import { InputError } from "../core/errors.ts";
import type { Report } from "./analytics.ts";
import { parsePatronList, type PatronList } from "./inputs.ts";

export const PATRONS_CSV = "alma/patrons.csv";

export interface AnalyticsSource {
  analytics: string;
  column: string;
}

/** The report source, when the config names one (rather than a file). */
export function analyticsSource(alma: AlmaConfig): AnalyticsSource | undefined {
  return typeof alma.patrons === "string" ? undefined : alma.patrons;
}

/** How the plan names where its patrons came from. */
export function patronsLabel(alma: AlmaConfig): string {
  const a = analyticsSource(alma);
  return a ? `Analytics report ${a.analytics} (column "${a.column}")` : (alma.patrons as string);
}

const norm = (s: string) => s.trim().replace(/\s+/g, " ").toLowerCase();

/** A report as a table: the headings (ColumnN where Alma sent none) and the cells, "" where omitted. */
export function reportTable(report: Report): { headings: string[]; rows: string[][] } {
  const headings = report.columns.map((c) => c.heading || c.name);
  const rows = report.rows.map((r) => report.columns.map((c) => r[c.name] ?? ""));
  return { headings, rows };
}

/**
 * The patron IDs in the column headed `column` (exact heading first, then ignoring case and spacing).
 * Lines are those of alma/patrons.csv: the headings are line 1, row i is line i + 2.
 */
export function patronsFromTable(
  table: { headings: string[]; rows: string[][] },
  source: AnalyticsSource,
): { list: PatronList; emptyRows: number[] } {
  let at = table.headings.indexOf(source.column);
  if (at < 0) at = table.headings.findIndex((h) => norm(h) === norm(source.column));
  if (at < 0) {
    throw new InputError({
      file: "alma.patrons.column",
      message: `the Analytics report ${source.analytics} has no column headed "${source.column}"; its columns are ${table.headings.map((h) => `"${h}"`).join(", ")}`,
    });
  }
  const emptyRows: number[] = [];
  const lines = ["Primary Identifier"];
  table.rows.forEach((r, i) => {
    const id = r[at] ?? "";
    if (!id.trim()) emptyRows.push(i + 2);
    lines.push(id);
  });
  if (emptyRows.length === table.rows.length) {
    throw new InputError({
      file: PATRONS_CSV,
      message: `the Analytics report ${source.analytics} has no patron IDs in the column "${source.column}" (${table.rows.length} rows)`,
    });
  }
  return { list: parsePatronList(lines.join("\n"), PATRONS_CSV), emptyRows };
}

/**
 * Opened in a spreadsheet, a cell starting with =, +, -, @, tab or CR could run as a formula (a report's
 * rows are Alma data anyone with a patron record can shape): csv-stringify's `escape_formulas` prefixes such a
 * cell with `'`. The file is also read back (a resumed plan, apply's re-derivation), so the escape must undo
 * exactly: a cell that already starts with quotes before such a character gets one more quote too, and reading
 * takes one quote off every cell of that shape.
 */
const ESCAPED = /^'+[=+\-@\t\r]/;
const escapeCell = (c: string): string => (ESCAPED.test(c) ? `'${c}` : c);
const unescapeCell = (c: string): string => (ESCAPED.test(c) ? c.slice(1) : c);

export function writePatronsCsv(planDir: string, table: { headings: string[]; rows: string[][] }): void {
  writeFileSync(
    join(planDir, PATRONS_CSV),
    stringify(
      [table.headings, ...table.rows].map((r) => r.map(escapeCell)),
      { escape_formulas: true },
    ),
  );
}

/** alma/patrons.csv of an unfinished plan, if there is one. */
export function readPatronsCsv(planDir: string): { headings: string[]; rows: string[][] } | undefined {
  const path = join(planDir, PATRONS_CSV);
  if (!existsSync(path)) return undefined;
  const all: string[][] = parse(readFileSync(path, "utf8"), { relax_column_count: true });
  const [headings = [], ...rows] = all.map((r) => r.map(unescapeCell));
  return { headings, rows };
}
