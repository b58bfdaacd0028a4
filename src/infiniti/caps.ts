/**
 * Hostile or mistaken rosters: the caps (infiniti.max_lines, infiniti.max_bytes, checked by the text-file
 * layer, core/textfile.ts, before the roster is decoded and parsed, so a huge file is a clear input error,
 * not a V8 out-of-memory crash), and values holding a control character or a character that is not valid
 * UTF-8 (refused where they stand, as the Alma lists refuse them).
 */
import type { InputProblem } from "../core/errors.ts";
import { DEFAULT_CAPS as CAPS, UNDECODABLE, type CapWords, type TextCaps } from "../core/textfile.ts";
import type { RawRecord } from "./records.ts";

/** The defaults of `infiniti.max_lines` and `infiniti.max_bytes` (config.ts uses these). */

export type RosterCaps = TextCaps;
export const DEFAULT_CAPS: RosterCaps = CAPS;

/** How the cap messages name the roster and its config keys. */
export const ROSTER_CAP_WORDS: CapWords = { noun: "the roster", section: "infiniti" };

const CONTROL_NAMES: Record<number, string> = {
  0: "NUL",
  7: "BEL",
  8: "backspace",
  11: "vertical tab",
  12: "form feed",
  27: "ESC",
  127: "DEL",
  155: "CSI",
};

/**
 * Control characters: C0 except tab, line feed and carriage return (a line break inside a quoted value
 * is allowed), DEL, and the C1 range (U+0080-U+009F; U+009B starts a terminal escape on some terminals);
 * and U+FFFD, what a byte that is not valid UTF-8 decodes to.
 */
const BAD = /(?![\t\n\r])\p{Cc}|\uFFFD/u;

const NOT_UTF8 =
  "the file is not UTF-8 text (a spreadsheet saved it in another encoding): save it as 'CSV UTF-8' and commit it again";

/**
 * One problem per value holding a control character or a character that is not valid UTF-8: file, line,
 * column (the field's number), the column's name and the character. Returns the records that hold one.
 */
export function badCharacterProblems(
  records: RawRecord[],
  names: string[],
  file: string,
  problems: InputProblem[],
): Set<RawRecord> {
  const flagged = new Set<RawRecord>();
  for (const r of records) {
    let breaks = 0;
    r.fields.forEach((value, i) => {
      const m = BAD.exec(value);
      if (m) {
        const c = m[0].charCodeAt(0);
        flagged.add(r);
        const before = value.slice(0, m.index);
        const line = r.line + breaks + (before.match(/\n/g)?.length ?? 0);
        const code = `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
        const title = names[i];
        const name = title && !BAD.test(title) ? `${title} (column ${i + 1})` : `column ${i + 1}`;
        const at = `at character ${m.index + 1}`;
        if (m[0] === UNDECODABLE) {
          problems.push({
            file,
            line,
            column: i + 1,
            message: `${name}: the value holds a character that is not valid UTF-8 (${code}) ${at}: ${NOT_UTF8}`,
          });
          return;
        }
        const what = CONTROL_NAMES[c] ? `${code}, ${CONTROL_NAMES[c]}` : code;
        problems.push({
          file,
          line,
          column: i + 1,
          message: `${name}: the value holds a control character (${what}) ${at}; remove it (it is invisible in most editors)${c === 0 ? ". Is the file UTF-16 or binary? Save it as 'CSV UTF-8'" : ""}`,
        });
      }
      breaks += value.match(/\n/g)?.length ?? 0;
    });
  }
  return flagged;
}
