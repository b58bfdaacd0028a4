import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.ts";
import {
  isPatronHeader,
  lookupBarcode,
  parseBarcodeList,
  parsePatronList,
  readBarcodeList,
  readPatronList,
} from "../../src/alma/inputs.ts";
import { fixture } from "../helpers/fixtures.ts";

/** The InputError thrown by `f` (fails the test if nothing, or something else, is thrown). */
function inputError(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error("expected an InputError");
}

const crlf = (s: string): string => s.replace(/\n/g, "\r\n");
const BOM = "\uFEFF";

describe("parsePatronList", () => {
  it("reads an Analytics export: header detected, BOM and CRLF accepted, trimmed, blanks skipped", () => {
    const text = BOM + crlf(fixture("alma/inputs/patronlist_analytics.txt"));
    const list = parsePatronList(text, "data/alma/patrons.txt");
    expect(list.file).toBe("data/alma/patrons.txt");
    expect(list.header).toEqual({ line: 1, text: "Primary Identifier" });
    expect(list.entries).toEqual([
      { id: "0012345", line: 2 },
      { id: "jsmith", line: 3 },
      { id: "E20001", line: 5 },
      { id: "mjones", line: 9 },
    ]);
  });

  it("reports each duplicate once, case-insensitively, with all its lines, and keeps the first", () => {
    const list = parsePatronList(fixture("alma/inputs/patronlist_analytics.txt"), "p.txt");
    expect(list.duplicates).toEqual([
      { id: "0012345", lines: [2, 8] },
      { id: "jsmith", lines: [3, 6] },
    ]);
    expect(list.entries.filter((e) => e.id.toLowerCase() === "jsmith")).toEqual([{ id: "jsmith", line: 3 }]);
  });

  it("keeps a first line that looks like an ID", () => {
    const list = parsePatronList(fixture("alma/inputs/patronlist_plain.txt"), "p.txt");
    expect(list.header).toBeUndefined();
    expect(list.entries.map((e) => e.id)).toEqual(["0099881", "G00042", "x-7734"]);
    expect(list.entries.map((e) => e.line)).toEqual([1, 2, 4]);
    expect(list.duplicates).toEqual([]);
    for (const first of ["user", "primary", "id", "john.user", "jane_doe", "identifier2", "PATRON"]) {
      const l = parsePatronList(`${first}\nother\n`, "p.txt");
      expect(l.header, first).toBeUndefined();
      expect(l.entries[0]?.id).toBe(first);
    }
  });

  it.each([
    "Primary Identifier",
    "User Primary Identifier",
    "primary_id",
    "Primary ID",
    "PRIMARY IDENTIFIER",
    '"Primary Identifier"',
    "PrimaryIdentifier",
    "User Details.Primary Identifier",
    "Patron ID",
  ])("detects the header %j", (h) => {
    expect(isPatronHeader(h)).toBe(true);
    const list = parsePatronList(`\n\n  ${h}  \n12345\n`, "p.txt");
    expect(list.header).toEqual({ line: 3, text: h });
    expect(list.entries).toEqual([{ id: "12345", line: 4 }]);
  });

  it("looks for a header only on the first non-blank line", () => {
    const err = inputError(() => parsePatronList("12345\nPrimary Identifier\n", "p.txt"));
    expect(err.problems).toEqual([
      expect.objectContaining({
        file: "p.txt",
        line: 2,
        column: 8,
        message: expect.stringMatching(/a space/),
      }),
    ]);
  });

  it("reports every line that cannot be an ID, with line and column", () => {
    const err = inputError(() => parsePatronList(fixture("alma/inputs/patronlist_bad.txt"), "bad.txt"));
    const where = err.problems.map((p) => [p.file, p.line, p.column]);
    expect(where).toEqual([
      ["bad.txt", 2, 5], // "jane doe": the space
      ["bad.txt", 3, 5], // "  E1|B1": the |, counted in the line as written
      ["bad.txt", 4, 8], // "0012345,Smith"
      ["bad.txt", 5, 3], // "ab<tab>cd"
      ["bad.txt", 7, 3], // NUL
      ["bad.txt", 8, 4], // invalid UTF-8 byte, decoded as U+FFFD
      ["bad.txt", 9, 5], // BEL
      ["bad.txt", 10, 5], // zero-width space
    ]);
    const messages = err.problems.map((p) => p.message);
    expect(messages[0]).toMatch(/cannot contain a space/);
    expect(messages[1]).toMatch(/'\|'.*one primary ID per line/);
    expect(messages[2]).toMatch(/','/);
    expect(messages[3]).toMatch(/a tab/);
    expect(messages[4]).toMatch(/NUL/);
    expect(messages[5]).toMatch(/not valid UTF-8/);
    expect(messages[6]).toMatch(/control character \(U\+0007\)/);
    expect(messages[7]).toMatch(/U\+200B/);
    expect(err.message).toMatch(/^8 problems in the input:\nbad\.txt:2:5: /);
  });

  it("counts columns in characters, not UTF-16 units", () => {
    const err = inputError(() => parsePatronList("ok\n😀é x\n", "p.txt"));
    expect(err.problems[0]).toMatchObject({ line: 2, column: 3 });
  });

  it("accepts lone CR line endings and unwraps a quoted ID", () => {
    const list = parsePatronList('"0012345"\r  " 77 "\rabc', "p.txt");
    expect(list.entries).toEqual([
      { id: "0012345", line: 1 },
      { id: "77", line: 2 },
      { id: "abc", line: 3 },
    ]);
  });

  it.each([
    ["an empty file", ""],
    ["a BOM and blank lines", `${BOM}\r\n  \r\n\t\n`],
  ])("refuses %s", (_what, text) => {
    const err = inputError(() => parsePatronList(text, "p.txt"));
    expect(err.problems).toEqual([{ file: "p.txt", message: "the file has no patron IDs" }]);
  });

  it("refuses a file with only a header", () => {
    const err = inputError(() => parsePatronList("Primary Identifier\n\n", "p.txt"));
    expect(err.problems[0]?.message).toBe(
      'the file has no patron IDs (only the header "Primary Identifier")',
    );
  });

  it("lists at most 100 problems and sums up the rest", () => {
    const text = Array.from({ length: 150 }, (_, i) => `id ${i}`).join("\n");
    const err = inputError(() => parsePatronList(text, "p.txt"));
    expect(err.problems).toHaveLength(101);
    expect(err.problems[99]).toMatchObject({ line: 100, column: 3 });
    expect(err.problems[100]).toEqual({ file: "p.txt", message: "… and 50 more problems not listed" });
  });

  it("says once that a UTF-16 file without a BOM is not UTF-8 text", () => {
    const utf16 = Buffer.from("Primary Identifier\n12345\n67890\n", "utf16le").toString("utf8");
    const err = inputError(() => parsePatronList(utf16, "p.txt"));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]?.message).toMatch(/UTF-16/);
  });
});

describe("parseBarcodeList", () => {
  it("reads employee_id|barcode lines, trimmed, keeping leading zeros", () => {
    const list = parseBarcodeList(fixture("alma/inputs/barcodes_pipe.txt"), "b.txt");
    expect(list.delimiter).toBe("|");
    expect(list.header).toBeUndefined();
    expect(list.count).toBe(4);
    expect(list.conflicts.size).toBe(0);
    expect([...list.byEmployee.values()]).toEqual([
      { employeeId: "E12345", barcode: "21234000123456", line: 1 },
      { employeeId: "E00077", barcode: "0021234000000077", line: 2 },
      { employeeId: "E30001", barcode: "21234000999999", line: 3 },
      { employeeId: "E40004", barcode: "21234000444444", line: 5 },
    ]);
  });

  it("reads a comma-separated file with a header, a BOM, CRLF and quoted fields", () => {
    const list = parseBarcodeList(BOM + crlf(fixture("alma/inputs/barcodes_header.csv")), "b.csv");
    expect(list.delimiter).toBe(",");
    expect(list.header).toEqual({ line: 1, text: "Employee ID,Barcode" });
    expect(list.count).toBe(3);
    expect(lookupBarcode(list, "E00077")).toEqual({
      kind: "found",
      entry: { employeeId: "E00077", barcode: "0021234000000077", line: 3 },
    });
    expect(lookupBarcode(list, "E30001")).toMatchObject({
      kind: "found",
      entry: { barcode: "21234000999999" },
    });
  });

  it("reads a tab-separated file with a header", () => {
    const list = parseBarcodeList(fixture("alma/inputs/barcodes_tab.tsv"), "b.tsv");
    expect(list.delimiter).toBe("\t");
    expect(list.header).toEqual({ line: 1, text: "employee_id\tbarcode" });
    expect([...list.byEmployee.values()].map((e) => [e.employeeId, e.barcode, e.line])).toEqual([
      ["E12345", "21234000123456", 2],
      ["E00077", "0021234000000077", 3],
    ]);
  });

  it.each(["employee_id|barcode", "EmployeeID|Barcode", "Emplid,Library Barcode", '"Employee ID","Barcode"'])(
    "detects the header %j",
    (h) => {
      const list = parseBarcodeList(`${h}\nE1${h.includes(",") ? "," : "|"}B1\n`, "b.txt");
      expect(list.header).toEqual({ line: 1, text: h });
      expect(list.count).toBe(1);
    },
  );

  it("keeps a first line of data that looks like words", () => {
    const list = parseBarcodeList("jsmith|abcdef\nmjones|ghijkl\n", "b.txt");
    expect(list.header).toBeUndefined();
    expect(list.count).toBe(2);
    expect(lookupBarcode(list, "JSMITH")).toMatchObject({
      kind: "found",
      entry: { barcode: "abcdef", line: 1 },
    });
  });

  it("looks up employee IDs case-insensitively, trimmed", () => {
    const list = parseBarcodeList("e12345|B1\n", "b.txt");
    expect(lookupBarcode(list, " E12345 ")).toMatchObject({ kind: "found", entry: { employeeId: "e12345" } });
    expect(lookupBarcode(list, "E99999")).toEqual({ kind: "missing" });
  });

  it("takes the delimiter most lines use, and points at a line that uses another", () => {
    const err = inputError(() => parseBarcodeList("E1|B1\nE2|B2\nE3,B3\nE4|B4\n", "b.txt"));
    expect(err.problems).toEqual([
      {
        file: "b.txt",
        line: 3,
        column: 6,
        message: "expected employee_id|barcode but there is no '|'; this line seems to use ',' instead",
      },
    ]);
  });

  it("reports every malformed line with line and column", () => {
    const err = inputError(() => parseBarcodeList(fixture("alma/inputs/barcodes_bad.txt"), "b.txt"));
    expect(err.problems.map((p) => [p.line, p.column])).toEqual([
      [2, 3], // "E2": no delimiter; just after the text
      [3, 6], // "E3|B3|extra": the second '|'
      [4, 1], // "|B4": empty employee ID
      [5, 4], // "E5|": empty barcode, after the '|'
      [6, 6], // "E6,B6": no '|'; just after the text
      [7, 5], // "E7|B 7": space inside the barcode
    ]);
    const m = err.problems.map((p) => p.message);
    expect(m[0]).toMatch(/no '\|'/);
    expect(m[1]).toMatch(/3 fields where 2 are expected/);
    expect(m[2]).toMatch(/empty employee ID/);
    expect(m[3]).toMatch(/empty barcode/);
    expect(m[4]).toMatch(/seems to use ','/);
    expect(m[5]).toMatch(/barcode "B 7" contains a space/);
  });

  it("refuses an empty file, or one with only a header", () => {
    expect(inputError(() => parseBarcodeList("\n \n", "b.txt")).problems).toEqual([
      { file: "b.txt", message: "the file has no barcodes" },
    ]);
    expect(inputError(() => parseBarcodeList("employee_id|barcode\n", "b.txt")).problems[0]?.message).toMatch(
      /has no barcodes \(only the header/,
    );
  });

  describe("conflicts", () => {
    const list = parseBarcodeList(fixture("alma/inputs/barcodes_conflicts.txt"), "b.txt");

    it("an employee ID with two different barcodes is not applied", () => {
      expect(lookupBarcode(list, "E2")).toEqual({
        kind: "conflict",
        conflict: {
          employeeId: "E2",
          barcodes: ["B200", "B201"],
          lines: [2, 3],
          reason: "employee ID E2 is listed with different barcodes: B200, B201",
        },
      });
    });

    it("the same pair listed twice is only a repeat", () => {
      expect(lookupBarcode(list, "E3")).toEqual({
        kind: "found",
        entry: { employeeId: "E3", barcode: "B300", line: 4 },
      });
    });

    it("a barcode given to two employees (any case) puts both in conflict", () => {
      const reason = "barcode b400 is given to more than one employee ID: E4, E5";
      expect(lookupBarcode(list, "e4")).toEqual({
        kind: "conflict",
        conflict: { employeeId: "E4", barcodes: ["b400"], lines: [6, 7], reason },
      });
      expect(lookupBarcode(list, "E5")).toEqual({
        kind: "conflict",
        conflict: { employeeId: "E5", barcodes: ["B400"], lines: [6, 7], reason },
      });
    });

    it("an employee in two conflicts gets one entry with both reasons and all lines", () => {
      const e6 = lookupBarcode(list, "E6");
      expect(e6).toEqual({
        kind: "conflict",
        conflict: {
          employeeId: "E6",
          barcodes: ["B600", "B100"],
          lines: [1, 8, 9],
          reason:
            "employee ID E6 is listed with different barcodes: B600, B100; " +
            "barcode B100 is given to more than one employee ID: E1, E6",
        },
      });
      expect(lookupBarcode(list, "E1")).toMatchObject({ kind: "conflict", conflict: { lines: [1, 9] } });
    });

    it("keeps conflicts out of byEmployee and counts every data line", () => {
      expect([...list.conflicts.keys()].sort()).toEqual(["e1", "e2", "e4", "e5", "e6"]);
      expect([...list.byEmployee.keys()]).toEqual(["e3"]);
      expect(list.count).toBe(9);
    });

    it("barcodes that differ only in case for one employee are a conflict", () => {
      const l = parseBarcodeList("E1|abc\nE1|ABC\n", "b.txt");
      expect(lookupBarcode(l, "E1")).toMatchObject({ kind: "conflict", conflict: { lines: [1, 2] } });
    });
  });
});

describe("readPatronList / readBarcodeList", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "patron-sync-inputs-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a UTF-8 file with a BOM and CRLF", async () => {
    const path = join(dir, "patrons.txt");
    writeFileSync(path, Buffer.from(BOM + "Primary Identifier\r\n0012345\r\nabc\r\n", "utf8"));
    const list = await readPatronList(path, "data/alma/patrons.txt");
    expect(list.file).toBe("data/alma/patrons.txt");
    expect(list.entries.map((e) => e.id)).toEqual(["0012345", "abc"]);
  });

  it("decodes a UTF-16 file with a BOM (Excel's Unicode Text)", async () => {
    const path = join(dir, "barcodes.txt");
    writeFileSync(
      path,
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("E1\tB1\r\nÉ2\t007\r\n", "utf16le")]),
    );
    const list = await readBarcodeList(path, "b.txt");
    expect(list.delimiter).toBe("\t");
    expect(lookupBarcode(list, "é2")).toMatchObject({ kind: "found", entry: { barcode: "007", line: 2 } });
  });

  it("points at invalid UTF-8 bytes", async () => {
    const path = join(dir, "latin1.txt");
    writeFileSync(path, Buffer.concat([Buffer.from("ok\nM"), Buffer.from([0xfc]), Buffer.from("ller\n")]));
    await expect(readPatronList(path, "p.txt")).rejects.toMatchObject({
      problems: [{ file: "p.txt", line: 2, column: 2, message: expect.stringMatching(/not valid UTF-8/) }],
    });
  });

  it("names a missing file", async () => {
    const err = await readBarcodeList(join(dir, "nope.txt"), "data/alma/barcodes.txt").catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).problems).toEqual([
      { file: "data/alma/barcodes.txt", message: `file not found (looked for ${join(dir, "nope.txt")})` },
    ]);
  });

  it("names a folder given as the file", async () => {
    const sub = join(dir, "folder");
    mkdirSync(sub);
    await expect(readPatronList(sub, "data/alma")).rejects.toMatchObject({
      problems: [{ file: "data/alma", message: "this is a folder, not a file" }],
    });
  });
});
