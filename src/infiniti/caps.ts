/**
 * Hostile or mistaken rosters: a size and line cap (checked before the roster is decoded and parsed,
 * so a huge file is a clear input error, not a V8 out-of-memory crash), and control characters in
 * values (refused, as the Alma lists refuse them).
 */
import { stat } from "node:fs/promises";
import { InputError, type InputProblem } from "../core/errors.ts";
import type { RawRecord } from "./records.ts";

export interface RosterCaps {
  /** `infiniti.max_lines` */
  maxLines: number;
  /** `infiniti.max_bytes` */
  maxBytes: number;
}

/** The defaults of `infiniti.max_lines` and `infiniti.max_bytes` (config.ts uses these). */
export const DEFAULT_MAX_LINES = 2_000_000;
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_CAPS: RosterCaps = { maxLines: DEFAULT_MAX_LINES, maxBytes: DEFAULT_MAX_BYTES };

const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;
const num = (n: number) => n.toLocaleString("en-US");

function tooBig(file: string, size: number, caps: RosterCaps): InputError {
  return new InputError({
    file,
    message: `the roster is ${mb(size)} (${num(size)} bytes), over the cap of ${mb(caps.maxBytes)} (infiniti.max_bytes): refused before reading it. Check that it is the right file; if it is, raise infiniti.max_bytes in the config`,
  });
}

/** Refuses a file over `maxBytes` from its size on disk, before it is read. */
export async function checkRosterFileSize(path: string, file: string, caps: RosterCaps): Promise<void> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return; // reading it will say that it does not exist
  }
  if (size > caps.maxBytes) throw tooBig(file, size, caps);
}

/** Refuses bytes over `maxBytes`, or more than `maxLines` lines, before they are decoded and parsed. */
export function checkRosterCaps(input: Buffer | string, file: string, caps: RosterCaps): void {
  const bytes = typeof input === "string" ? Buffer.byteLength(input) : input.length;
  if (bytes > caps.maxBytes) throw tooBig(file, bytes, caps);
  const buf = typeof input === "string" ? Buffer.from(input) : input;
  let lines = 0;
  let at = -1;
  while ((at = buf.indexOf(10, at + 1)) !== -1) {
    if (++lines > caps.maxLines) break;
  }
  if (lines <= caps.maxLines && buf.length && buf[buf.length - 1] !== 10) lines++;
  if (lines > caps.maxLines) {
    throw new InputError({
      file,
      line: caps.maxLines + 1,
      message: `the roster has more than ${num(caps.maxLines)} lines, the cap (infiniti.max_lines): refused before reading it. Check that it is the right file; if it is, raise infiniti.max_lines in the config`,
    });
  }
}

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
 * is allowed), DEL, and the C1 range (U+0080-U+009F; U+009B starts a terminal escape on some terminals).
 */
const CONTROL = /(?![\t\n\r])\p{Cc}/u;

const MAX_LISTED = 50;

/**
 * One problem per value holding a control character: file, line, column (the field's number), the
 * column's name and the character. A file full of NULs (UTF-16 or binary) is said once.
 */
export function controlCharacterProblems(
  records: RawRecord[],
  names: string[],
  file: string,
  problems: InputProblem[],
): Set<RawRecord> {
  const flagged = new Set<RawRecord>();
  let listed = 0;
  let more = 0;
  let nul = 0;
  for (const r of records) {
    let breaks = 0;
    r.fields.forEach((value, i) => {
      const m = CONTROL.exec(value);
      if (m) {
        const c = m[0].charCodeAt(0);
        flagged.add(r);
        if (c === 0) nul++;
        if (listed >= MAX_LISTED) more++;
        else {
          listed++;
          const before = value.slice(0, m.index);
          const line = r.line + breaks + (before.match(/\r\n|\r|\n/g)?.length ?? 0);
          const code = `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
          const what = CONTROL_NAMES[c] ? `${code}, ${CONTROL_NAMES[c]}` : code;
          const title = names[i];
          const name = title && !CONTROL.test(title) ? `${title} (column ${i + 1})` : `column ${i + 1}`;
          problems.push({
            file,
            line,
            column: i + 1,
            message: `${name}: the value holds a control character (${what}) at character ${m.index + 1}; remove it (it is invisible in most editors)${c === 0 ? ". Is the file UTF-16 or binary? Save it as 'CSV UTF-8'" : ""}`,
          });
        }
      }
      breaks += value.match(/\r\n|\r|\n/g)?.length ?? 0;
    });
  }
  if (more)
    problems.push({
      file,
      message: `… and ${num(more)} more values with control characters${nul > MAX_LISTED ? " (mostly NUL: is the file UTF-16 or binary?)" : ""}`,
    });
  return flagged;
}
