/** Words for the transport's messages (transport.ts): counts, durations, HTTP statuses. */

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} seconds`;
}

export function statusText(status: number): string {
  const texts: Record<number, string> = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
  };
  const t = texts[status];
  return t ? `${status} (${t})` : String(status);
}
