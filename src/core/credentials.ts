/**
 * Credentials quoted in a text that is about to be written to a file, logged or thrown: an error page of a
 * proxy that echoes the request, an Alma error body quoting `proxy-authorization`. Whatever follows an
 * authorization header name, or the schemes Basic, Bearer and apikey, is replaced by "…", scheme kept
 * (issue #17: "Basic" was redacted and the base64 after it was not).
 */

/** Header names (and query keys) whose value is a credential. */
const HEADER =
  /\b((?:proxy-)?authorization|x-api-key|apikey|api_key|api-key)(\s*[=:]\s*)("?)(?:(basic|bearer|apikey|token|digest|negotiate)(\s+))?[^\s&"',;)<]+/gi;
/** A scheme and what follows it, anywhere. */
const SCHEME = /\b(basic|bearer|apikey)(\s+)([A-Za-z0-9+/=._~-]{8,})/gi;

/** Looks like a credential rather than a word: a digit, base64's + / =, or a capital after a small letter. */
const credentialLike = (s: string): boolean => /[0-9+/=]/.test(s) || /[a-z][A-Z]/.test(s);

/** The text with every quoted credential replaced by "…". */
export function redactCredentials(text: string): string {
  return text
    .replace(HEADER, (_m, name: string, sep: string, quote: string, scheme?: string, space?: string) =>
      scheme ? `${name}${sep}${quote}${scheme}${space}…` : `${name}${sep}${quote}…`,
    )
    .replace(SCHEME, (m, scheme: string, space: string, value: string) =>
      credentialLike(value) ? `${scheme}${space}…` : m,
    );
}
