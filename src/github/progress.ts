/**
 * Logging in the Actions log.
 *
 * The core's progress (src/core/progress.ts) already writes a plain line every 5 s to stderr when it
 * is not a terminal, as in Actions: `alma apply: 1200/20000 (6%), 19.8/s, about 14m 8s left`. It only
 * writes when a record finishes, so a stalled call (a long retry, a slow Infiniti import) would leave
 * the log silent; the heartbeat here fills such gaps with a line every few seconds.
 */
import * as core from "@actions/core";
import { formatEta } from "../core/progress.ts";
import type { Logger } from "../core/log.ts";

/**
 * A line that starts with `::` would be read by the runner as a workflow command; data in a message
 * (an ID, an error from Alma) must never be. Such lines get a harmless prefix.
 */
export function neutralizeCommands(message: string): string {
  return message
    .split("\n")
    .map((l) => (/^\s*::/.test(l) ? `> ${l}` : l))
    .join("\n");
}

export function actionLogger(): Logger {
  return {
    info: (m) => core.info(neutralizeCommands(m)),
    // core.warning and core.error escape their message (a workflow command's data).
    warn: (m) => core.warning(m),
    error: (m) => core.error(m),
  };
}

export interface Heartbeat {
  /** What the run is doing now, shown in the heartbeat line. */
  phase(label: string): void;
  stop(): void;
}

type Write = (...args: unknown[]) => boolean;

/**
 * Writes `patron-sync: still <phase> (2m 5s so far)` whenever nothing was written to stdout or
 * stderr for `quietMs`. Checks every `everyMs`.
 */
export function startHeartbeat(
  opts: { everyMs?: number; quietMs?: number; now?: () => number; out?: (line: string) => void } = {},
): Heartbeat {
  const now = opts.now ?? (() => Date.now());
  const out = opts.out ?? ((line: string) => core.info(line));
  const start = now();
  let last = start;
  let label = "working";
  const restore: (() => void)[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const own = Object.getOwnPropertyDescriptor(stream, "write");
    const original = stream.write.bind(stream) as Write;
    const wrapped: Write = (...args) => {
      last = now();
      return original(...args);
    };
    Object.defineProperty(stream, "write", { value: wrapped, configurable: true, writable: true });
    restore.push(() => {
      if (own) Object.defineProperty(stream, "write", own);
      else delete (stream as { write?: unknown }).write;
    });
  }
  const timer = setInterval(() => {
    if (now() - last < (opts.quietMs ?? 8_000)) return;
    out(`patron-sync: still ${label} (${formatEta(now() - start)} so far)`);
    last = now();
  }, opts.everyMs ?? 2_000);
  timer.unref();
  return {
    phase(l) {
      label = l;
    },
    stop() {
      clearInterval(timer);
      for (const r of restore) r();
    },
  };
}
