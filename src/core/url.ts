/**
 * The one rule for an address a secret travels to (Alma's API key, Infiniti's password): https, or
 * plain http only to a loopback host (a simulator on this machine). Each system words its own refusal.
 */

/** The loopback hosts as the messages name them. */
export const LOOPBACK_HOSTS = "127.0.0.1, ::1 or localhost";

/**
 * Whether a host name is this machine: localhost, any 127.x.x.x, or ::1. Takes URL.hostname, which
 * writes IPv6 in brackets ("[::1]") and normalises other spellings (127.1, [0:0:0:0:0:0:0:1], LOCALHOST);
 * a bare "::1" is accepted too.
 */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host === "[::1]" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Throws what `refuse` makes of the URL's protocol ("http:", "ftp:", …) unless the URL is https, or
 * plain http to a loopback host.
 */
export function requireHttps(url: URL, refuse: (protocol: string) => Error): void {
  if (url.protocol === "https:") return;
  if (url.protocol === "http:" && isLoopback(url.hostname)) return;
  throw refuse(url.protocol);
}
