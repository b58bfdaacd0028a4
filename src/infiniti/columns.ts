/**
 * The columns of a Concord Infiniti user import: the vendor's field list, and the helpers that
 * recognise them (case-insensitive, trimmed) and suggest the nearest one for a misspelt name.
 */
import { editDistance } from "../core/did-you-mean.ts";

/** Columns every import must have. */
export const REQUIRED_COLUMNS = ["username", "enabled", "staffmember"] as const;

/** Optional columns, in the order of the vendor's field list. */
export const OPTIONAL_COLUMNS = [
  "givenname",
  "surname",
  "middlename",
  "preferredname",
  "emailaddress",
  "graduationyear",
  "librarybarcode",
  "adminsystemid",
  "gender",
  "password",
  "formclass",
  "presentationgrouplabel",
] as const;

export type InfinitiColumn = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];

/** Every known column, in a stable order (username first, then the vendor's list, then the flags). */
export const KNOWN_COLUMNS: readonly InfinitiColumn[] = [
  "username",
  ...OPTIONAL_COLUMNS,
  "enabled",
  "staffmember",
];

const KNOWN = new Set<string>(KNOWN_COLUMNS);

export function isKnownColumn(name: string): name is InfinitiColumn {
  return KNOWN.has(name);
}

/** How a header cell is compared: trimmed and lower-cased. */
export function canonicalName(cell: string): string {
  return cell.trim().toLowerCase();
}

/** Sorts column names into KNOWN_COLUMNS order (unknown names last, as given). */
export function columnOrder(names: Iterable<string>): string[] {
  const set = new Set(names);
  return [...KNOWN_COLUMNS.filter((c) => set.has(c)), ...[...set].filter((c) => !KNOWN.has(c))];
}

export { editDistance };

/**
 * The known column nearest to an unknown name, or undefined when none is near enough to be a
 * plausible slip. Spaces, underscores and hyphens are ignored first ("Given Name" → givenname).
 */
export function suggestColumn(name: string): InfinitiColumn | undefined {
  const squashed = canonicalName(name).replace(/[\s_\-.]+/g, "");
  if (isKnownColumn(squashed)) return squashed;
  // A known name that starts with it (email → emailaddress), when only one does.
  if (squashed.length >= 3) {
    const prefixed = KNOWN_COLUMNS.filter((c) => c.startsWith(squashed));
    if (prefixed.length === 1) return prefixed[0];
  }
  let best: InfinitiColumn | undefined;
  let bestDistance = Infinity;
  for (const c of KNOWN_COLUMNS) {
    const d = editDistance(squashed, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  // Near enough: at most half the longer name's letters differ (middleinitialname → middlename: 7 of 17).
  return bestDistance <= Math.max(2, Math.ceil(Math.max(squashed.length, best.length) / 2))
    ? best
    : undefined;
}

/**
 * A header cell that starts with a known column name followed by more text, e.g. `staffmemberjsmith`:
 * the sign of a header that runs straight into the first row (the vendor's own sample does this).
 * Returns the column and the text that follows it, or undefined.
 */
export function runInColumn(cell: string): { column: InfinitiColumn; rest: string } | undefined {
  const name = canonicalName(cell);
  if (isKnownColumn(name)) return undefined;
  let found: InfinitiColumn | undefined;
  for (const c of KNOWN_COLUMNS) {
    if (name.length > c.length && name.startsWith(c) && (!found || c.length > found.length)) found = c;
  }
  if (!found) return undefined;
  return { column: found, rest: cell.trim().slice(found.length) };
}
