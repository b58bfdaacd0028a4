/**
 * The small pure parts of the transport's retry policy: what is worth retrying, how long to wait,
 * how to describe a failure without leaking anything secret.
 */

export interface BackoffOptions {
  /** First retry waits up to this. Default 250 ms. */
  baseMs?: number;
  /** No retry waits longer than this. Default 8 s. */
  capMs?: number;
}

export const DEFAULT_BACKOFF = { baseMs: 250, capMs: 8_000 } as const;

/**
 * Exponential backoff with full jitter: after the n-th failure (n ≥ 1), wait a random time in
 * [0, min(cap, base·2^(n-1))).
 */
export function backoffDelay(failures: number, random: () => number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? DEFAULT_BACKOFF.baseMs;
  const cap = opts.capMs ?? DEFAULT_BACKOFF.capMs;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, failures - 1));
  return Math.floor(clamp01(random()) * ceiling);
}

/** How long a call refused with PER_SECOND_THRESHOLD waits before it is sent again: waitMs × [0.5, 1.5). */
export function throttleDelay(random: () => number, waitMs: number): number {
  return Math.floor(waitMs * (0.5 + clamp01(random())));
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(Math.max(x, 0), 1) : 0;
}

/** Retry-After in seconds (the only form Alma's gateway would use), as ms, capped at a minute. */
export function retryAfterMs(headers: Headers): number | undefined {
  const raw = headers.get("retry-after")?.trim();
  if (!raw || !/^\d+(\.\d+)?$/.test(raw)) return undefined;
  return Math.min(Number(raw) * 1000, 60_000);
}

/** X-Exl-Api-Remaining: the institution's API calls left today. */
export function remainingOf(headers: Headers): number | undefined {
  const raw = headers.get("x-exl-api-remaining")?.trim();
  if (!raw || !/^-?\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/**
 * Whether an error answer (any status) is Alma's DAILY_THRESHOLD: its errorCode, in the XML or the JSON
 * form. The status is not documented: a public client's test serves it with 400 (UIUCLibrary
 * alma-user-tools-experimental test/alma_batch_api.rb, whose Api.rb says "not clear what http code"),
 * dcb-service's alma-hosting.md lists 429 (issue #19: a 400 made every remaining patron fail separately).
 */
export function isDailyThreshold(body: string): boolean {
  return /<errorCode>\s*DAILY_THRESHOLD\s*<\/errorCode>|"errorCode"\s*:\s*"DAILY_THRESHOLD"/.test(body);
}

/** Which kind of 429 Alma sent. Both XML and JSON bodies carry the code as plain text. */
export function throttleKind(body: string): "daily" | "per-second" {
  return /DAILY_THRESHOLD/.test(body) ? "daily" : "per-second";
}

/**
 * The code of a network failure (ECONNRESET, UND_ERR_SOCKET, ECONNREFUSED...), if `err` is one.
 * fetch reports them as a TypeError ("fetch failed", or "terminated" mid-body) with the cause chained.
 * Node's own argument errors (ERR_INVALID_URL...) are not network failures: retrying cannot help.
 */
export function networkErrorCode(err: unknown): string | undefined {
  if (!(err instanceof TypeError)) return undefined;
  let e: unknown = err.cause;
  for (let depth = 0; depth < 5 && e && typeof e === "object"; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code && !code.startsWith("ERR_")) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

const NETWORK_WORDS: Record<string, string> = {
  ECONNRESET: "the connection was reset",
  UND_ERR_SOCKET: "the connection was closed before the answer was complete",
  UND_ERR_CLOSED: "the connection was closed",
  EPIPE: "the connection was closed while sending",
  ECONNREFUSED: "the connection was refused",
  ENOTFOUND: "the host name could not be found",
  EAI_AGAIN: "the host name could not be looked up",
  ETIMEDOUT: "connecting timed out",
  UND_ERR_CONNECT_TIMEOUT: "connecting timed out",
  UND_ERR_HEADERS_TIMEOUT: "the answer's headers did not arrive in time",
  UND_ERR_BODY_TIMEOUT: "the answer's body did not arrive in time",
  EHOSTUNREACH: "the host could not be reached",
  ENETUNREACH: "the network could not be reached",
};

/** A network failure in words, e.g. "the connection was reset (ECONNRESET)". */
export function describeNetworkError(code: string): string {
  return `${NETWORK_WORDS[code] ?? "a network error"} (${code})`;
}

/** A URL fit for a log or an error: any `apikey` query parameter and any user:password removed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    for (const key of [...u.searchParams.keys()]) {
      if (key.toLowerCase() === "apikey") u.searchParams.delete(key);
    }
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return url
      .replace(/([?&])apikey=[^&#]*&?/gi, "$1")
      .replace(/[?&]+(#|$)/, "$1")
      .replace(/\/\/[^/@]*@/, "//");
  }
}
