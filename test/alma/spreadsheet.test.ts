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
