/**
 * The text-file layer of every input file (the Alma lists, the Infiniti roster): the size and line caps
 * (checked before the file is read and before it is decoded), read errors, bytes to text (UTF-8, or UTF-16
 * with a BOM; invalid UTF-8 becomes U+FFFD, which each system then points at where it stands), the BOM,
 * line ends (CRLF, LF and CR, mixed, each one line end), 1-based character columns, a binary-file check,
 * and the list of problems (capped) that ends in one InputError. Nothing here knows what the lines hold.
 */
import { readFile, stat } from "node:fs/promises";
import { InputError, type InputProblem } from "./errors.ts";

// ---------------------------------------------------------------------------------------------------------
// Caps

/** The defaults of `alma.max_lines` / `infiniti.max_lines` and `alma.max_bytes` / `infiniti.max_bytes`. */
export const DEFAULT_MAX_LINES = 2_000_000;
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

export interface TextCaps {
  /** `<system>.max_lines` */
  maxLines: number;
  /** `<system>.max_bytes` */
  maxBytes: number;
}

export const DEFAULT_CAPS: TextCaps = { maxLines: DEFAULT_MAX_LINES, maxBytes: DEFAULT_MAX_BYTES };

/** How a system's messages name the file ("the roster") and the config section of its caps ("infiniti"). */
export interface CapWords {
  noun: string;
  section: string;
}

const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;
const num = (n: number) => n.toLocaleString("en-US");
const advice = (w: CapWords, key: string) =>
  `refused before reading it. Check that it is the right file; if it is, raise ${w.section}.${key} in the config`;

function tooBig(file: string, size: number, caps: TextCaps, w: CapWords): InputError {
  return new InputError({
    file,
    message: `${w.noun} is ${mb(size)} (${num(size)} bytes), over the cap of ${mb(caps.maxBytes)} (${w.section}.max_bytes): ${advice(w, "max_bytes")}`,
  });
}

/** Refuses a file over `maxBytes` from its size on disk, before it is read. */
export async function checkFileSize(path: string, file: string, caps: TextCaps, w: CapWords): Promise<void> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return; // reading it says what is wrong
  }
  if (size > caps.maxBytes) throw tooBig(file, size, caps, w);
}

/**
 * Refuses bytes over `maxBytes`, or more than `maxLines` lines (line feeds; a last line without one
 * counts), before they are decoded and parsed.
 */
export function checkCaps(bytes: Buffer, file: string, caps: TextCaps, w: CapWords): void {
  if (bytes.length > caps.maxBytes) throw tooBig(file, bytes.length, caps, w);
  let lines = 0;
  let at = -1;
  while ((at = bytes.indexOf(10, at + 1)) !== -1) if (++lines > caps.maxLines) break;
  if (lines <= caps.maxLines && bytes.length && bytes[bytes.length - 1] !== 10) lines++;
  if (lines > caps.maxLines)
    throw new InputError({
      file,
      line: caps.maxLines + 1,
      message: `${w.noun} has more than ${num(caps.maxLines)} lines, the cap (${w.section}.max_lines): ${advice(w, "max_lines")}`,
    });
}

// ---------------------------------------------------------------------------------------------------------
// Reading and decoding

/** An input file's bytes. A missing or unreadable file, or a folder, is an InputError naming the file. */
export async function readInputBytes(path: string, displayName: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? `file not found (looked for ${path})`
        : code === "EISDIR"
          ? "this is a folder, not a file"
          : code === "EACCES" || code === "EPERM"
            ? "cannot read the file: permission denied"
            : `cannot read the file (${code ?? (e as Error).message})`;
    throw new InputError({ file: displayName, message: why });
  }
}

/** An input file's bytes: refused from its size before it is read, then over the caps before decoding. */
export async function readCappedBytes(
  path: string,
  file: string,
  caps: TextCaps,
  w: CapWords,
): Promise<Buffer> {
  await checkFileSize(path, file, caps, w);
  const bytes = await readInputBytes(path, file);
  checkCaps(bytes, file, caps, w);
  return bytes;
}

/**
 * An input file's bytes as text: UTF-8, or UTF-16 when it starts with a UTF-16 BOM (Excel's "Unicode
 * Text"). A UTF-8 BOM stays (splitLines and stripBom drop it). Invalid UTF-8 becomes U+FFFD.
 */
export function decodeInputBytes(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes.subarray(2));
  return bytes.toString("utf8");
}

/** What invalid UTF-8 (or a lone UTF-16 surrogate) decodes to. */
export const UNDECODABLE = "\uFFFD";

export function stripBom(text: string): string {
  return text.startsWith("\uFEFF") ? text.slice(1) : text;
}

/** Every line end (CRLF, LF or a lone CR, mixed as they may be) as LF. */
export function normalizeLineEnds(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}

/** A text full of NULs is UTF-16 without a BOM, or not text at all: say so once, not on every line. */
export function looksBinary(text: string): boolean {
  if (!text.includes("\u0000")) return false;
  let nul = 0;
  for (const c of text) if (c === "\u0000") nul++;
  return nul * 10 > text.length;
}

/** Refuses, in one problem, a text that looksBinary; `saveAs` is what to save it as instead. */
export function refuseBinary(text: string, file: string, saveAs: string): void {
  if (looksBinary(text))
    throw new InputError({
      file,
      message: `this looks like UTF-16 or a binary file, not UTF-8 text: save it as ${saveAs}`,
    });
}

// ---------------------------------------------------------------------------------------------------------
// Lines, columns and problems

export interface Line {
  /** 1-based line number. */
  n: number;
  /** The line without its line break (and without the BOM on line 1). */
  raw: string;
}

export function splitLines(text: string): Line[] {
  return stripBom(text)
    .split(/\r\n|\n|\r/)
    .map((raw, i) => ({ n: i + 1, raw }));
}

/** 1-based column (in characters, not UTF-16 units) of `index` in `raw`. */
export function columnOf(raw: string, index: number): number {
  return Array.from(raw.slice(0, index)).length + 1;
}

/** At most this many problems are listed one by one; the rest are summed up in one last problem. */
export const MAX_PROBLEMS = 100;

const notListed = (file: string, extra: number): InputProblem => ({
  file,
  message: `… and ${extra} more problems not listed`,
});

/** The first MAX_PROBLEMS of `list`, and one problem that counts the rest. */
export function capProblems(list: InputProblem[], file: string): InputProblem[] {
  if (list.length <= MAX_PROBLEMS) return list;
  return [...list.slice(0, MAX_PROBLEMS), notListed(file, list.length - MAX_PROBLEMS)];
}

export class Problems {
  readonly list: InputProblem[] = [];
  private extra = 0;
  constructor(readonly file: string) {}
  add(message: string, line?: Line, index?: number): void {
    if (this.list.length >= MAX_PROBLEMS) {
      this.extra++;
      return;
    }
    const p: InputProblem = { file: this.file, message };
    if (line) {
      p.line = line.n;
      if (index !== undefined) p.column = columnOf(line.raw, index);
    }
    this.list.push(p);
  }
  throwIfAny(): void {
    if (!this.list.length) return;
    const all = [...this.list];
    if (this.extra) all.push(notListed(this.file, this.extra));
    throw new InputError(all);
  }
}
