/**
 * The roster's text (decoded, line ends as LF: core/textfile.ts) into CSV records, each with the line it
 * starts on.
 */
import { parse, type CsvError } from "csv-parse/sync";
import type { InputProblem } from "../core/errors.ts";

export interface RawRecord {
  fields: string[];
  line: number;
}

/** Line breaks inside the fields of a record. */
function breaksIn(fields: string[]): number {
  let breaks = 0;
  for (const f of fields) if (f.includes("\n")) breaks += f.match(/\n/g)?.length ?? 0;
  return breaks;
}

/**
 * Parses every record with the line it starts on; CSV syntax errors become problems (all of them).
 * `text` has LF line ends only (normalizeLineEnds), so csv-parse's line count is the file's.
 */
export function parseRecords(text: string, file: string, problems: InputProblem[]): RawRecord[] {
  const records: RawRecord[] = [];
  let prevEnd = 0;
  let prevEmpty = 0;
  const seen = new Set<string>();
  parse(text, {
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_record: (fields, ctx) => {
      const breaks = breaksIn(fields);
      const end = ctx.lines;
      records.push({ fields, line: end - breaks });
      prevEnd = end;
      prevEmpty = ctx.empty_lines;
      return null;
    },
    on_skip: (err: CsvError | undefined) => {
      if (!err) return undefined;
      const lines = typeof err.lines === "number" ? err.lines : prevEnd + 1;
      const empties = typeof err.empty_lines === "number" ? err.empty_lines : prevEmpty;
      const start = prevEnd + 1 + Math.max(0, empties - prevEmpty);
      const message = describeCsvError(err, start);
      const key = `${start}:${err.code}`;
      if (!seen.has(key)) {
        seen.add(key);
        problems.push({ file, line: start, message });
      }
      prevEnd = Math.max(prevEnd, lines);
      prevEmpty = empties;
      return undefined;
    },
  });
  return records;
}

function describeCsvError(err: CsvError, start: number): string {
  switch (err.code) {
    case "CSV_QUOTE_NOT_CLOSED":
      return `not valid CSV: a quoted field in the record starting on line ${start} is never closed (unterminated quote), so the rest of the file cannot be read`;
    case "INVALID_OPENING_QUOTE":
      return `not valid CSV: a quote appears inside an unquoted field; quote the whole field ("like ""this""") (${err.message})`;
    case "CSV_INVALID_CLOSING_QUOTE":
      return `not valid CSV: text follows a closing quote; double a quote inside a quoted field (${err.message})`;
    default:
      return `not valid CSV: ${err.message}`;
  }
}
