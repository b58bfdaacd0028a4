/** Issue 19: a list saved by a spreadsheet holds IDs and barcodes in scientific notation; refused offline. */
import { describe, expect, it } from "vitest";
import { parseBarcodeList, parsePatronList } from "../../src/alma/inputs.ts";
import { formatProblem, InputError } from "../../src/core/errors.ts";

function refused(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).problems.map(formatProblem);
  }
  throw new Error("expected the list to be refused");
}

const HINT = "opened in a spreadsheet? format the column as text";

describe("Alma lists saved by a spreadsheet", () => {
  it("the barcode list: a barcode or employee ID in scientific notation, at its line and column", () => {
    const text =
      "employee_id,barcode\nE00511,21234000212345\nE00512,2.12340002E+13\n 1.23457e11 ,21234000212399\n";
    expect(refused(() => parseBarcodeList(text, "data/barcodes.csv"))).toEqual([
      `data/barcodes.csv:3:8: the barcode "2.12340002E+13" is a number in scientific notation, not an identifier: ${HINT}, and export the list again`,
      `data/barcodes.csv:4:2: the employee ID "1.23457e11" is a number in scientific notation, not an identifier: ${HINT}, and export the list again`,
    ]);
  });

  it("the patron list: a primary ID in scientific notation, at its line and column", () => {
    const text = 'Primary Identifier\nP00100\n"1.23457E+11"\n';
    expect(refused(() => parsePatronList(text, "data/patrons.txt"))).toEqual([
      `data/patrons.txt:3:2: the primary ID "1.23457E+11" is a number in scientific notation, not an identifier: ${HINT}, and export the list again`,
    ]);
  });

  it("an alphanumeric barcode with an E in it is still read", () => {
    const list = parseBarcodeList("E00512|2019E0001\n", "b.txt");
    expect(list.byEmployee.get("e00512")?.barcode).toBe("2019E0001");
  });
});

describe("alma.barcode_pattern", () => {
  const rules = { barcodePattern: "^2123400\\d{7}$" };

  it("refuses a new barcode that does not match in full: a lost leading zero, a wrong length", () => {
    const text = "E1|21234000123456\nE2|212340001234567\nE3|0021234000123456\n";
    expect(refused(() => parseBarcodeList(text, "b.txt", { barcodePattern: "^0021234\\d{9}$" }))).toEqual([
      `b.txt:1:4: the barcode "21234000123456" does not match alma.barcode_pattern '^0021234\\d{9}$' in full: a lost leading zero or a wrong length? ${HINT}, and export the list again`,
      `b.txt:2:4: the barcode "212340001234567" does not match alma.barcode_pattern '^0021234\\d{9}$' in full: a lost leading zero or a wrong length? ${HINT}, and export the list again`,
    ]);
  });

  it("must match the whole barcode even when the pattern has no anchors; employee IDs are not checked", () => {
    const text = "E1|21234000123456\nE2|x21234000123456y\n";
    expect(refused(() => parseBarcodeList(text, "b.txt", { barcodePattern: "2123400\\d{7}" }))).toHaveLength(
      1,
    );
    expect(parseBarcodeList("E1|21234000123456\n", "b.txt", rules).byEmployee.size).toBe(1);
  });
});
