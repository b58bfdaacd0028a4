/** core/csv.ts: the row-by-row writer gives byte for byte the file csvForPeople gives at once. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { csvForPeople, CsvForPeopleWriter } from "../../src/core/csv.ts";
import { removeTempDirs, tempDir } from "../helpers/tmp.ts";

afterEach(removeTempDirs);

const COLUMNS = ["id", "name", "note"];

describe("CsvForPeopleWriter", () => {
  it("writes what csvForPeople writes: quotes, line breaks, formulas escaped, past its 64 KB buffer", () => {
    const rows: (string | number | undefined)[][] = [
      ["E1", 'O"Brien, Mary', '=HYPERLINK("x")'],
      ["E2", "line\nbreak", "+1"],
      ["E3", undefined, "@mention"],
      ["E4", 42, "-5"],
    ];
    for (let i = 0; i < 3_000; i++) rows.push([`S${i}`, `Name ${i}`, "x".repeat(i % 50)]);
    const path = join(tempDir("ps-csv-"), "changes.csv");
    const w = new CsvForPeopleWriter(path, COLUMNS);
    for (const r of rows) w.write(r);
    w.close();
    expect(w.rows).toBe(rows.length);
    const whole = csvForPeople(COLUMNS, rows);
    expect(whole.length).toBeGreaterThan(65_536);
    expect(readFileSync(path, "utf8")).toBe(whole);
  });

  it("writes the header alone when there is no row", () => {
    const path = join(tempDir("ps-csv-"), "empty.csv");
    new CsvForPeopleWriter(path, COLUMNS).close();
    expect(readFileSync(path, "utf8")).toBe(csvForPeople(COLUMNS, []));
    expect(readFileSync(path, "utf8")).toBe("id,name,note\n");
  });
});
