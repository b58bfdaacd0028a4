/**
 * The pieces of a line of an Alma list (inputs.ts): fields (trimmed, unquoted), the characters that cannot be
 * in an identifier, and the words of a column title.
 */

/** A piece of a line: its text and where it starts in the line. */
export interface Field {
  text: string;
  start: number;
}

/** Trims a field, and unwraps it if it is entirely in double quotes (as spreadsheets write CSV). */
export function cleanField(raw: string, start: number): Field {
  const lead = raw.length - raw.trimStart().length;
  let text = raw.trim();
  let at = start + lead;
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    const inner = text.slice(1, -1);
    const innerLead = inner.length - inner.trimStart().length;
    text = inner.trim().replaceAll('""', '"');
    at += 1 + innerLead;
  }
  return { text, start: at };
}

export function splitFields(raw: string, delimiter: string): Field[] {
  const out: Field[] = [];
  let start = 0;
  for (;;) {
    const at = raw.indexOf(delimiter, start);
    const end = at === -1 ? raw.length : at;
    out.push(cleanField(raw.slice(start, end), start));
    if (at === -1) return out;
    start = at + delimiter.length;
  }
}

function hex(c: string): string {
  return "U+" + (c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
}

/**
 * The first character that cannot be part of an identifier, and why: whitespace, a column delimiter,
 * a control or invisible formatting character, or U+FFFD (what invalid UTF-8 decodes to).
 */
export function badCharacter(text: string): { index: number; why: string } | undefined {
  let index = 0;
  for (const c of text) {
    const why = describeBad(c);
    if (why) return { index, why };
    index += c.length;
  }
  return undefined;
}

function describeBad(c: string): string | undefined {
  if (c === "\t") return "a tab";
  if (c === "|" || c === ",") return `'${c}'`;
  if (c === "\u0000") return "a NUL character (is the file UTF-16 or binary? save it as UTF-8 text)";
  if (c === "\uFFFD") return "a character that is not valid UTF-8 (U+FFFD); save the file as UTF-8";
  if (c === "\u00A0") return "a non-breaking space";
  if (/\s/.test(c)) return c === " " ? "a space" : `a whitespace character (${hex(c)})`;
  if (/[\p{Cc}\p{Cf}]/u.test(c)) return `an invisible control character (${hex(c)})`;
  return undefined;
}

/**
 * Words of a column title: split on spaces, `_`, `-`, `.`, `#`, quotes and camelCase, lower-cased.
 * Returns undefined if the text has anything but letters and those separators (digits, for one).
 */
export function titleWords(text: string): string[] | undefined {
  if (!/^[\p{L} _\-.#"'()/]+$/u.test(text)) return undefined;
  const words = text
    .replace(/(\p{Ll})(\p{Lu})/gu, "$1 $2")
    .toLowerCase()
    .split(/[^\p{L}]+/u)
    .filter(Boolean);
  return words.length ? words : undefined;
}
