/**
 * The Alma user URL, built defensively: the ID is one path segment, whatever it holds.
 *
 * The input checks (src/alma/ids.ts) already refuse an ID that could change the path; this is the second
 * line of defence. encodeURIComponent escapes '/', '\', '?', '#', '%' and control characters, but not '.':
 * a segment of '.' or '..' (or '%2e%2e', which URL parsers treat the same) would still move up the path,
 * so such an ID is refused here, and the built URL is parsed back to check its path is exactly the one meant.
 */
export class UnsafeUserIdError extends Error {
  constructor(id: string) {
    super(
      `the ID ${JSON.stringify(id)} cannot be sent to Alma: it would change the URL's path (it is empty, a dot segment, or has a character that moves the path); nothing was sent for it`,
    );
    this.name = "UnsafeUserIdError";
  }
}

/** `${baseUrl}/almaws/v1/users/${id}?${params}`, with `id` as exactly one path segment. */
export function userUrl(baseUrl: string, id: string, params: Record<string, string>): string {
  const segment = encodeURIComponent(id);
  if (!id || /^\.+$/.test(id)) throw new UnsafeUserIdError(id);
  const base = baseUrl.replace(/\/+$/, "");
  const path = `/almaws/v1/users/${segment}`;
  const url = `${base}${path}?${new URLSearchParams(params).toString()}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UnsafeUserIdError(id);
  }
  const basePath = new URL(base).pathname.replace(/\/+$/, "");
  if (parsed.pathname !== basePath + path) throw new UnsafeUserIdError(id);
  return url;
}
