/**
 * Size caps of the Alma lists (patron list, barcode list): configurable as alma.max_bytes and
 * alma.max_lines, with the defaults every input file has. The text-file layer (core/textfile.ts) checks
 * them on the file's size before it is read and on its line count before it is decoded and parsed, so a
 * huge or wrong file is a clear input error (exit 2, no call), not a V8 out-of-memory crash.
 */
import { DEFAULT_CAPS, type CapWords, type TextCaps } from "../core/textfile.ts";

export type ListCaps = TextCaps;

export const ALMA_LIST_CAPS: ListCaps = DEFAULT_CAPS;

/** How the cap messages name an Alma list and its config keys. */
export const ALMA_CAP_WORDS: CapWords = { noun: "the file", section: "alma" };
