/** Issue 19: a roster saved by a spreadsheet holds IDs and barcodes in scientific notation; refused offline. */
import { describe, expect, it } from "vitest";
import { formatProblem, InputError } from "../../src/core/errors.ts";
import { validateRoster } from "../../src/infiniti/validate.ts";

const HINT = "opened in a spreadsheet? format the column as text";

describe("the Infiniti roster saved by a spreadsheet", () => {
  it("a username, library barcode or admin system ID in scientific notation: its line and column", () => {
    const text = [
      "username,librarybarcode,adminsystemid,enabled,staffmember",
      "jsmith,21234000212345,S100,y,y",
      "akhan,2.12340002E+13,S101,y,y",
      "1.23457E+11,21234000212399,1.0E+5,y,y",
      "",
    ].join("\n");
    let problems: string[] = [];
    try {
      validateRoster(text, "data/infiniti/users.csv");
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      problems = (e as InputError).problems.map(formatProblem);
    }
    const shown = (v: string, what: string) =>
      `the ${what} "${v}" is a number in scientific notation, not an identifier: ${HINT}, and export the list again`;
    expect(problems).toEqual([
      `data/infiniti/users.csv:3:2: librarybarcode (column 2): ${shown("2.12340002E+13", "library barcode")}`,
      `data/infiniti/users.csv:4:1: username (column 1): ${shown("1.23457E+11", "username")}`,
      `data/infiniti/users.csv:4:3: adminsystemid (column 3): ${shown("1.0E+5", "admin system ID")}`,
    ]);
  });
});
