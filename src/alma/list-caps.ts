/**
 * Size caps of the Alma lists (patron list, barcode list): checked on the file's size before it is read and
 * on its line count before it is decoded and parsed, so a huge or wrong file is a clear input error
 * (exit 2, no call), not a V8 out-of-memory crash. Configurable as alma.max_bytes and alma.max_lines; the
 * defaults are the Infiniti roster's (src/infiniti/caps.ts).
 */
import { stat } from "node:fs/promises";
import { InputError } from "../core/errors.ts";
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_LINES } from "../infiniti/caps.ts";

export interface ListCaps {
  /** `alma.max_lines` */
  maxLines: number;
  /** `alma.max_bytes` */
  maxBytes: number;
}

export const ALMA_LIST_CAPS: ListCaps = { maxLines: DEFAULT_MAX_LINES, maxBytes: DEFAULT_MAX_BYTES };

const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;
const num = (n: number) => n.toLocaleString("en-US");
const advice = (key: string) =>
  `refused before reading it. Check that it is the right file; if it is, raise alma.${key} in the config`;

/** Refuses a file over `maxBytes` from its size on disk, before it is read. */
export async function checkListFileSize(path: string, file: string, caps: ListCaps): Promise<void> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return; // reading it says what is wrong
  }
  if (size > caps.maxBytes)
    throw new InputError({
      file,
      message: `the file is ${mb(size)} (${num(size)} bytes), over the cap of ${mb(caps.maxBytes)} (alma.max_bytes): ${advice("max_bytes")}`,
    });
}

/** Refuses more than `maxLines` lines (a last line without a line break counts), before decoding. */
export function checkListLines(bytes: Buffer, file: string, caps: ListCaps): void {
  let lines = 0;
  let at = -1;
  while ((at = bytes.indexOf(10, at + 1)) !== -1) if (++lines > caps.maxLines) break;
  if (lines <= caps.maxLines && bytes.length && bytes[bytes.length - 1] !== 10) lines++;
  if (lines > caps.maxLines)
    throw new InputError({
      file,
      line: caps.maxLines + 1,
      message: `the file has more than ${num(caps.maxLines)} lines, the cap (alma.max_lines): ${advice("max_lines")}`,
    });
}
