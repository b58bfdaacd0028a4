/**
 * The one masking step for everything Infiniti echoes back (its summary, the row outcomes in
 * `details`, an error page, a key we could not place). Every such text passes through an EchoMask
 * before it is used in a message, so before it is written (results.csv/json/md), logged or thrown,
 * and before any truncation: a password cut in half by a shortened message can never show.
 *
 * It hides the admin password (INFINITI_PASSWORD), the Basic Authorization header value and its
 * base64 part, and the password of every posted row, in any of the forms an answer may quote them in,
 * character by character and mixed: as is, JSON-escaped (`\"`, `\u0027`), URL-encoded (`%27`, `+`),
 * HTML-escaped (`&quot;`, `&#39;`, `&#x27;`, `&apos;`), or CSV-quoted (`""`: an answer quoting the posted
 * import.csv row). Longest secrets are masked first, so a secret holding another never shows in part.
 */
import { redactCredentials } from "../core/credentials.ts";
import { MASK } from "./values.ts";

export type EchoMask = (text: string) => string;

const PLAIN = /^[A-Za-z0-9]$/;
const NAMED: Record<string, string> = { '"': "quot", "&": "amp", "<": "lt", ">": "gt", "'": "apos" };
const JSON_SHORT: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "/": "\\/",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
/** A hexadecimal number in either case, with optional leading zeros (`0*` is added by the caller). */
const hexPattern = (n: number, width = 0) =>
  [...n.toString(16).padStart(width, "0")]
    .map((d) => (/[a-f]/.test(d) ? `[${d}${d.toUpperCase()}]` : d))
    .join("");

/** Every form one character of a secret may take in an answer, as a regular expression. */
function charForms(c: string): string {
  if (PLAIN.test(c)) return c;
  const cp = c.codePointAt(0)!;
  const forms = new Set<string>([reEscape(c)]);
  if (c === '"') forms.add('""'); // CSV
  if (JSON_SHORT[c]) forms.add(reEscape(JSON_SHORT[c]));
  if (cp <= 0xffff) forms.add(`\\\\[uU]${hexPattern(cp, 4)}`);
  forms.add(
    [...Buffer.from(c, "utf8")].map((b) => `%${hexPattern(b, 2)}`).join(""), // URL
  );
  if (c === " ") forms.add("\\+");
  if (NAMED[c]) forms.add(`&${NAMED[c]};`);
  forms.add(`&#0*${cp};`);
  forms.add(`&#[xX]0*${hexPattern(cp)};`);
  return `(?:${[...forms].join("|")})`;
}

/** Replaces one secret, in any of its forms, by MASK. */
function secretMask(secret: string): (text: string) => string {
  const chars = [...secret];
  if (chars.every((c) => PLAIN.test(c)))
    return (text) => (text.includes(secret) ? text.split(secret).join(MASK) : text);
  // Letters and digits only ever appear as themselves: a text without the longest run of them cannot
  // hold the secret, and the expression is made only when one might (a roster has many passwords).
  const anchor = (secret.match(/[A-Za-z0-9]+/g) ?? []).reduce((a, b) => (b.length > a.length ? b : a), "");
  let re: RegExp | undefined;
  return (text) => {
    if (anchor && !text.includes(anchor)) return text;
    re ??= new RegExp(chars.map(charForms).join(""), "g");
    return text.replace(re, MASK);
  };
}

/** An EchoMask hiding every non-empty secret given (in any of its forms). */
export function echoMask(secrets: Iterable<string | undefined>): EchoMask {
  const all = new Set<string>();
  for (const s of secrets) if (s) all.add(s);
  const masks = [...all].sort((a, b) => b.length - a.length).map(secretMask);
  return (text) => {
    let out = text;
    for (const m of masks) out = m(out);
    // And any credential quoted after a header name or Basic/Bearer/apikey, even one not ours (a proxy's).
    return redactCredentials(out);
  };
}

/** The secrets of a Basic Authorization header value: the value itself and its base64 part. */
export function authorizationSecrets(authorization: string): string[] {
  const base64 = /^\s*basic\s+(\S+)\s*$/i.exec(authorization)?.[1];
  return base64 ? [authorization, base64] : [authorization];
}
