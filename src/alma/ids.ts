/**
 * IDs that go into an Alma URL path (primary IDs, and barcodes for the holder lookups) must not be able to
 * change that path. `..` once sent a GET of the user *list*. Refused at input time with file, line and
 * column (exit 2, no call); src/alma/url.ts refuses them again when the URL is built.
 */
export function pathHazard(id: string): { index: number; why: string } | undefined {
  if (/^\.+$/.test(id)) return { index: 0, why: `'${id}', a dot segment that would change the URL's path` };
  const m = /[/\\?#]|%[0-9a-f]{2}/i.exec(id);
  if (!m) return undefined;
  const c = m[0];
  const why =
    c.length === 3
      ? `a %-encoded character ('${c}'), which could change the URL's path once decoded`
      : `'${c}', which would change the URL's path${c === "?" || c === "#" ? " or query" : ""}`;
  return { index: m.index, why };
}
