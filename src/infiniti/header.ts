/** The roster's header line: known, required, duplicate and misspelt columns, and a header that runs into the first row. */
import type { InputProblem } from "../core/errors.ts";
import {
  canonicalName,
  isKnownColumn,
  KNOWN_COLUMNS,
  REQUIRED_COLUMNS,
  runInColumn,
  suggestColumn,
} from "./columns.ts";
import type { RawRecord } from "./records.ts";

/** The most common field count among the data rows (0 when there are none). */
function modalCount(rows: RawRecord[]): number {
  const counts = new Map<number, number>();
  for (const r of rows) counts.set(r.fields.length, (counts.get(r.fields.length) ?? 0) + 1);
  let best = 0;
  let bestN = 0;
  for (const [len, n] of counts) if (n > bestN || (n === bestN && len < best)) [best, bestN] = [len, n];
  return best;
}

export interface HeaderCheck {
  /** Canonical column names of the real header (cut short where the header runs into the first row). */
  names: string[];
}

export function checkHeader(
  header: RawRecord,
  data: RawRecord[],
  file: string,
  problems: InputProblem[],
): HeaderCheck {
  const line = header.line;
  const typical = modalCount(data);
  const names: string[] = [];
  const firstAt = new Map<string, number>();
  for (let i = 0; i < header.fields.length; i++) {
    const cell = header.fields[i]!;
    const name = canonicalName(cell);
    const column = i + 1;
    if (!isKnownColumn(name)) {
      const runIn = runInColumn(cell);
      if (runIn && (header.fields.length > typical || data.length === 0)) {
        const rows = data.length === 0 ? "there are no rows below it" : `the rows below it have ${typical}`;
        problems.push({
          file,
          line,
          column,
          message:
            `line ${line} has ${header.fields.length} fields but ${rows}: it looks like the header runs into the first row: ` +
            `'${cell.trim()}' is the column name '${runIn.column}' followed by '${runIn.rest}'. ` +
            `Put a line break after '${runIn.column}' so that the first user is on a line of its own`,
        });
        names.push(runIn.column);
        if (!firstAt.has(runIn.column)) firstAt.set(runIn.column, column);
        break;
      }
    }
    names.push(name);
    if (name === "") {
      problems.push({
        file,
        line,
        column,
        message: `column ${column} of the header has no name${i === header.fields.length - 1 ? " (a comma at the end of the header line?)" : ""}`,
      });
      continue;
    }
    if (!isKnownColumn(name)) {
      const suggestion = suggestColumn(cell);
      problems.push({
        file,
        line,
        column,
        message:
          `unknown column '${cell.trim()}'` +
          (suggestion ? `: did you mean '${suggestion}'?` : ".") +
          ` Infiniti imports only these columns: ${KNOWN_COLUMNS.join(", ")}`,
      });
      continue;
    }
    const earlier = firstAt.get(name);
    if (earlier !== undefined) {
      problems.push({
        file,
        line,
        column,
        message: `column '${name}' appears twice (columns ${earlier} and ${column}); keep one`,
      });
    } else firstAt.set(name, column);
  }
  for (const required of REQUIRED_COLUMNS) {
    if (!firstAt.has(required)) {
      problems.push({
        file,
        line,
        message: `the required column '${required}' is missing (the header must have ${REQUIRED_COLUMNS.join(", ")})`,
      });
    }
  }
  const effective = names.length;
  if (effective === header.fields.length && data.length && effective > typical && typical > 0) {
    problems.push({
      file,
      line,
      message: `line ${line} (the header) has ${effective} fields but most rows have ${typical}: a column name too many, or the header runs into the first row?`,
    });
  }
  return { names };
}
