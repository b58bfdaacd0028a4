import { describe, expect, it } from "vitest";
import { isScientificNotation, SPREADSHEET_HINT, spreadsheetDamage } from "../../src/core/spreadsheet.ts";

describe("isScientificNotation", () => {
  it("recognises what spreadsheets save a long number as", () => {
    for (const v of [
      "2.12340002E+13",
      "1.23457E+11",
      "1.23457e+11",
      "1.23457e11",
      "1,23457E+11",
      "1E+11",
      "2.1e-3",
      "-1.5E+12",
    ]) {
      expect(isScientificNotation(v), v).toBe(true);
    }
  });

  it("leaves identifiers alone, alphanumeric ones that hold an E included", () => {
    for (const v of [
      "21234000212345",
      "E00512",
      "2019E0001",
      "7e5",
      "P00100",
      "1.2.3E+4",
      "E+11",
      "2.1E",
      "2.12340002E+13x",
    ]) {
      expect(isScientificNotation(v), v).toBe(false);
    }
  });
});

describe("spreadsheetDamage", () => {
  it("names the value and ends with the hint; nothing for a good value", () => {
    expect(spreadsheetDamage("barcode", "2.12340002E+13")).toBe(
      `the barcode "2.12340002E+13" is a number in scientific notation, not an identifier: ${SPREADSHEET_HINT}, and export the list again`,
    );
    expect(SPREADSHEET_HINT).toBe("opened in a spreadsheet? format the column as text");
    expect(spreadsheetDamage("barcode", "21234000212345")).toBeUndefined();
  });
});
