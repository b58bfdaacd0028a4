/**
 * The one masking step for everything Infiniti echoes back (its summary, the row outcomes in
 * `details`, an error page, a key we could not place). Every such text passes through an EchoMask
 * before it is used in a message, so before it is written (results.csv/json/md), logged or thrown,
 * and before any truncation: a password cut in half by a shortened message can never show.
 *
 * It hides the admin password (INFINITI_PASSWORD), the Basic Authorization header value and its
 * base64 part, and the password of every posted row; each also in its JSON-escaped, URL-encoded and
 * HTML-escaped forms. Longest secrets are masked first, so a secret holding another never shows in part.
 */
import { MASK } from "./values.ts";

export type EchoMask = (text: string) => string;

const htmlEscaped = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The forms a secret may take in an answer body. */
function formsOf(secret: string): string[] {
  return [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), htmlEscaped(secret)];
}

/** An EchoMask hiding every non-empty secret given (in any of its forms). */
export function echoMask(secrets: Iterable<string | undefined>): EchoMask {
  const all = new Set<string>();
  for (const s of secrets) if (s) for (const f of formsOf(s)) if (f) all.add(f);
  const ordered = [...all].sort((a, b) => b.length - a.length);
  if (!ordered.length) return (text) => text;
  return (text) => {
    let out = text;
    for (const s of ordered) if (out.includes(s)) out = out.split(s).join(MASK);
    return out;
  };
}

/** The secrets of a Basic Authorization header value: the value itself and its base64 part. */
export function authorizationSecrets(authorization: string): string[] {
  const base64 = /^\s*basic\s+(\S+)\s*$/i.exec(authorization)?.[1];
  return base64 ? [authorization, base64] : [authorization];
}
