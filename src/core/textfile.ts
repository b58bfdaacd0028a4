/**
 * The text-file layer of the line-based input files: bytes to text (UTF-8, or UTF-16 with a BOM), lines
 * (any line end, the BOM dropped), 1-based character columns, a binary-file check, and the list of problems
 * (capped) that ends in one InputError. Nothing here knows what the lines hold.
 */
import { readFile } from "node:fs/promises";
import { InputError, type InputProblem } from "./errors.ts";

/** At most this many problems are listed one by one; the rest are summed up in one last problem. */
export const MAX_PROBLEMS = 100;

export interface Line {
  /** 1-based line number. */
  n: number;
  /** The line without its line break (and without the BOM on line 1). */
  raw: string;
}

export function splitLines(text: string): Line[] {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  return body.split(/\r\n|\n|\r/).map((raw, i) => ({ n: i + 1, raw }));
}

/** 1-based column (in characters, not UTF-16 units) of `index` in `raw`. */
export function columnOf(raw: string, index: number): number {
  return Array.from(raw.slice(0, index)).length + 1;
}

/** A text full of NULs is UTF-16 without a BOM, or not text at all: say so once, not on every line. */
export function looksBinary(text: string): boolean {
  if (!text.includes("\u0000")) return false;
  let nul = 0;
  for (const c of text) if (c === "\u0000") nul++;
  return nul * 10 > text.length;
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
    if (this.extra) all.push({ file: this.file, message: `… and ${this.extra} more problems not listed` });
    throw new InputError(all);
  }
}

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

/** An input file's bytes as text: UTF-8, or UTF-16 when it starts with a UTF-16 BOM. */
export function decodeInputBytes(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes.subarray(2));
  return bytes.toString("utf8");
}
