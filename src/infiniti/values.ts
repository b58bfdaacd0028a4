/** Field values: how they are checked, normalised for comparison and shown (passwords never are). */
import { createHash } from "node:crypto";

/** How a password is shown in every message, plan, report and log. */
export const MASK = "•••";

const TRUE = new Set(["y", "yes", "true", "1"]);
const FALSE = new Set(["n", "no", "false", "0"]);

/** y/yes/true/1 → true, n/no/false/0 → false (any case); anything else → undefined. */
export function parseBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return undefined;
}

export const BOOLEAN_COLUMNS: ReadonlySet<string> = new Set(["enabled", "staffmember"]);

/** A pragmatic check: one @, no spaces, a dot in the domain, no empty labels. */
const EMAIL = /^[^\s@",;<>()[\]]+@[^\s@",;<>()[\]]+\.[^\s@",;<>()[\].]+$/;

export function isEmail(value: string): boolean {
  return EMAIL.test(value) && !value.includes("..") && !/@\.|\.@/.test(value);
}

/**
 * The value as it is compared and posted: trimmed; booleans as `y`/`n`; gender upper-case; line
 * breaks inside a value as LF.
 * Only called on values that passed validation.
 */
export function normalizeValue(column: string, value: string): string {
  // Line breaks inside a quoted value become \n, so that the files written stay LF-only.
  const v = value.trim().replace(/\r\n?/g, "\n");
  if (BOOLEAN_COLUMNS.has(column)) {
    const b = parseBoolean(v);
    return b === undefined ? v : b ? "y" : "n";
  }
  if (column === "gender") return v.toUpperCase();
  return v;
}

/** A value as it may appear in messages and plans: passwords masked, others quoted. */
export function shown(column: string, value: string | undefined): string {
  if (value === undefined || value === "") return "(blank)";
  if (column === "password") return MASK;
  return `'${value}'`;
}

/**
 * What the applied state keeps instead of a password: a salted SHA-256 fingerprint, enough to
 * notice that a password changed, never the password itself. A blank password stays blank.
 */
export function passwordFingerprint(username: string, password: string): string {
  if (password === "") return "";
  const h = createHash("sha256").update(`${username.toLowerCase()}\u0000${password}`).digest("hex");
  return `sha256:${h}`;
}

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}
