/**
 * `alma.barcode_pattern`: a regular expression every new barcode (each barcode of the barcode list) must
 * match in full, e.g. `^2123400\d{7}$`. It catches what a spreadsheet does to a barcode that scientific
 * notation does not show: a lost leading zero (`0021234000123456` → `21234000123456`) and a wrong length.
 */
import { SPREADSHEET_HINT } from "../core/spreadsheet.ts";

/** The pattern, anchored so that it must match the whole barcode; throws on an invalid pattern. */
export function barcodePattern(source: string): RegExp {
  new RegExp(source); // its own error names the mistake in the pattern as written
  return new RegExp(`^(?:${source})$`);
}

/** Why `source` is not a valid pattern (JavaScript's reason, without the pattern), or undefined. */
export function patternError(source: string): string | undefined {
  try {
    barcodePattern(source);
    return undefined;
  } catch (e) {
    const reason = (e as Error).message.split(": ").at(-1) ?? "";
    return `not a valid regular expression (${reason}); for example '^2123400\\d{7}$' (2123400 and 7 digits)`;
  }
}

/** The problem to report for a barcode that does not match the pattern, or undefined when it does. */
export function patternMismatch(barcode: string, pattern: RegExp, source: string): string | undefined {
  if (pattern.test(barcode)) return undefined;
  return `the barcode "${barcode}" does not match alma.barcode_pattern '${source}' in full: a lost leading zero or a wrong length? ${SPREADSHEET_HINT}, and export the list again`;
}
