/** Reading the roster's bytes into CSV records, each with the line it starts on. */
import { parse, type CsvError } from "csv-parse/sync";
import { InputError, type InputProblem } from "../core/errors.ts";

export interface RawRecord {
  fields: string[];
  line: number;
}

export function decodeUtf8(bytes: Buffer, file: string): string {
  try {
    // TextDecoder drops a UTF-8 byte-order mark.
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const loose = new TextDecoder("utf-8").decode(bytes);
    const at = loose.indexOf("\uFFFD");
    const line = loose.slice(0, at).split("\n").length;
    throw new InputError({
      file,
      line,
      message:
        "is not UTF-8 text (a spreadsheet saved it in another encoding): save it as 'CSV UTF-8' and commit it again",
    });
  }
}

/** Line breaks inside the fields of a record, and how many of them are CRLF. */
function breaksIn(fields: string[]): { breaks: number; crlf: number } {
  let breaks = 0;
  let crlf = 0;
  for (const f of fields) {
    if (!f.includes("\n") && !f.includes("\r")) continue;
    breaks += f.match(/\r\n|\r|\n/g)?.length ?? 0;
    crlf += f.match(/\r\n/g)?.length ?? 0;
  }
  return { breaks, crlf };
}

/**
 * Parses every record with the line it starts on; CSV syntax errors become problems (all of them).
 * csv-parse counts a CRLF inside a quoted field as two lines: `extra` undoes that.
 */
export function parseRecords(text: string, file: string, problems: InputProblem[]): RawRecord[] {
  const records: RawRecord[] = [];
  let prevEnd = 0;
  let prevEmpty = 0;
  let extra = 0;
  const seen = new Set<string>();
  parse(text, {
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_record: (fields, ctx) => {
      const { breaks, crlf } = breaksIn(fields);
      extra += crlf;
      const end = ctx.lines - extra;
      records.push({ fields, line: end - breaks });
      prevEnd = end;
      prevEmpty = ctx.empty_lines;
      return null;
    },
    on_skip: (err: CsvError | undefined) => {
      if (!err) return undefined;
      const lines = typeof err.lines === "number" ? err.lines - extra : prevEnd + 1;
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
