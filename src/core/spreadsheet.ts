/**
 * Damage a spreadsheet does to identifiers when a list is opened in it and saved again: a long number
 * such as the barcode 21234000212345 is saved in scientific notation (`2.12340002E+13`, `1.23457E+11`),
 * which is no longer the identifier (its last digits are gone). Any list column that holds an ID or a
 * barcode is checked with `spreadsheetDamage` before anything is planned (Alma lists, the Infiniti
 * roster, and any other list a system reads).
 */

/** The hint every such problem ends with: the fix is in the spreadsheet, not in patron-sync. */
export const SPREADSHEET_HINT = "opened in a spreadsheet? format the column as text";

/**
 * A number in scientific notation as spreadsheets write it: one digit, a decimal part, then `E` or `e`,
 * an optional sign and the exponent (`2.12340002E+13`, `1.23457E+11`, `1.23457e11`, and `1,23457E+11` in
 * locales with a decimal comma), or one digit and a signed exponent (`1E+11`, what Excel writes for
 * 100000000000). A value with neither a decimal part nor a sign (`2E1234`, `7e5`) is not taken for one: an
 * alphanumeric barcode may look like that.
 */
const SCIENTIFIC = /^[+-]?\d(?:[.,]\d+[eE][+-]?|[eE][+-])\d+$/;

/** Whether a value (already trimmed) is a number in scientific notation. */
export function isScientificNotation(text: string): boolean {
  return SCIENTIFIC.test(text);
}

/**
 * The problem to report for an ID or barcode that a spreadsheet has turned into scientific notation,
 * or undefined when the value does not look like that. `what` names the value ("barcode", "primary ID").
 */
export function spreadsheetDamage(what: string, text: string): string | undefined {
  if (!isScientificNotation(text)) return undefined;
  return `the ${what} "${text}" is a number in scientific notation, not an identifier: ${SPREADSHEET_HINT}, and export the list again`;
}
