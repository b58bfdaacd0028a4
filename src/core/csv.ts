/**
 * CSV files the tool writes for people (results.csv, changes.csv): opened in a spreadsheet, a cell
 * starting with =, +, -, @, tab or CR could run as a formula, so csv-stringify's `escape_formulas`
 * prefixes such cells with a quote. (import.csv is not written through here: it keeps the roster's bytes.)
 */
import { stringify } from "csv-stringify/sync";

export function csvForPeople(columns: string[], rows: (string | number | undefined)[][]): string {
  return stringify(
    rows.map((r) => r.map((v) => (v === undefined ? "" : String(v)))),
    { header: true, columns, record_delimiter: "\n", escape_formulas: true },
  );
}
