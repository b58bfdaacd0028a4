/**
 * CSV files the tool writes for people (results.csv, changes.csv): opened in a spreadsheet, a cell
 * starting with =, +, -, @, tab or CR could run as a formula, so csv-stringify's `escape_formulas`
 * prefixes such cells with a quote. (import.csv is not written through here: it keeps the roster's bytes.)
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { stringify } from "csv-stringify/sync";

type Cell = string | number | undefined;
const OPTIONS = { record_delimiter: "\n", escape_formulas: true } as const;
const cells = (r: Cell[]) => r.map((v) => (v === undefined ? "" : String(v)));

export function csvForPeople(columns: string[], rows: Cell[][]): string {
  return stringify(rows.map(cells), { ...OPTIONS, header: true, columns });
}

/**
 * The same file written row by row as the rows come (a plan of 100,000 patrons keeps none of them):
 * byte for byte what csvForPeople gives for the same rows. Rows are buffered up to 64 KB per write.
 */
export class CsvForPeopleWriter {
  private fd: number;
  private buffer = "";
  rows = 0;
  constructor(
    readonly path: string,
    columns: string[],
  ) {
    this.fd = openSync(path, "w");
    this.buffer = stringify([], { ...OPTIONS, header: true, columns });
  }
  write(row: Cell[]): void {
    this.buffer += stringify([cells(row)], OPTIONS);
    this.rows++;
    if (this.buffer.length >= 65_536) this.flush();
  }
  private flush(): void {
    if (this.buffer) writeSync(this.fd, this.buffer);
    this.buffer = "";
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
