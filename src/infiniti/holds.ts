/**
 * Infiniti's part of "a revert stays reverted" (core/holds.ts): a revert holds every user it restores
 * or disables, keyed by username (lower-cased), against the roster row the reverted apply sent (change
 * `row`): a digest of its values, or `absent` for a user that apply disabled as gone from the roster.
 * The plan does not send such a user while the roster row is the same (or the user still absent); a
 * changed row (any column but the password, which the applied state keeps only as a fingerprint and
 * applied.json not at all) is planned as usual.
 */
import { heldChange, type Holds } from "../core/holds.ts";
import { sha256 } from "./values.ts";

/** The change an Infiniti hold is on. */
export const ROW_HOLD = "row";

/** The input of a user gone from the roster. */
export const ABSENT = "absent";

/**
 * The digest of a roster row over `columns` (order aside), leaving out the username (the key) and the
 * password (never kept), e.g. `sha256:3f1c…`.
 */
export function rowDigest(columns: readonly string[], values: Record<string, string>): string {
  const cols = [...new Set(columns)].filter((c) => c !== "username" && c !== "password").sort();
  return `sha256:${sha256(JSON.stringify(cols.map((c) => [c, values[c] ?? ""])))}`;
}

/** The hold on `key` whose recorded row is this one (`undefined` values: gone from the roster), or undefined. */
export function rosterHold(
  holds: Holds | undefined,
  key: string,
  columns: readonly string[],
  values: Record<string, string> | undefined,
) {
  if (!holds?.size) return undefined;
  return heldChange(holds, key, ROW_HOLD, values ? rowDigest(columns, values) : ABSENT);
}
