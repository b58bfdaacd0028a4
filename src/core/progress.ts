/**
 * Progress of a long loop of API calls.
 *
 * On a terminal: one line redrawn in place (bar, done/total, percentage, rate, ETA).
 * Elsewhere (GitHub Actions logs, files): a plain line every few seconds, e.g.
 *   alma apply: 1200/20000 (6%), 19.8/s, about 14m 8s left
 * and a last line when done, if any line was written. Short runs write nothing.
 */

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  label: string;
  total: number;
  /** Default process.stderr (stdout stays clean for what a command prints). */
  stream?: ProgressStream;
  /** Default: whether the stream is a terminal. */
  isTTY?: boolean;
  /** Least time between two writes: default 5 s for plain lines, 100 ms for the redrawn bar. */
  intervalMs?: number;
  /** Monotonic ms. */
  now?: () => number;
}

export interface Progress {
  tick(n?: number): void;
  done(): void;
}

export interface ProgressSnapshot {
  label: string;
  done: number;
  total: number;
  elapsedMs: number;
  /** True for the last line. */
  finished?: boolean;
}

/** A duration for people: "42s", "14m 8s", "2h 5m". */
export function formatEta(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "unknown";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** Calls per second so far (0 before any time has passed). */
export function progressRate(s: ProgressSnapshot): number {
  return s.elapsedMs > 0 ? s.done / (s.elapsedMs / 1000) : 0;
}

/** Time left at the rate so far, or undefined when it cannot be known yet. */
export function progressEtaMs(s: ProgressSnapshot): number | undefined {
  const rate = progressRate(s);
  if (rate <= 0) return undefined;
  return (Math.max(0, s.total - s.done) / rate) * 1000;
}

function percent(s: ProgressSnapshot): number {
  if (s.total <= 0) return 100;
  return Math.min(100, Math.floor((s.done / s.total) * 100));
}

/** The plain line: `alma apply: 1200/20000 (6%), 19.8/s, about 14m 8s left`. */
export function formatProgressLine(s: ProgressSnapshot): string {
  const head = `${s.label}: ${s.done}/${s.total} (${percent(s)}%), ${progressRate(s).toFixed(1)}/s`;
  if (s.finished) return `${head}, took ${formatEta(s.elapsedMs)}`;
  const eta = progressEtaMs(s);
  return eta === undefined ? head : `${head}, about ${formatEta(eta)} left`;
}

/** The terminal line: `alma apply [#####---------------] 1200/20000 6% 19.8/s ETA 14m 8s`. */
export function formatProgressBar(s: ProgressSnapshot, barWidth = 24): string {
  const width = Math.max(5, barWidth);
  const filled = s.total > 0 ? Math.min(width, Math.floor((s.done / s.total) * width)) : width;
  const bar = "#".repeat(filled) + "-".repeat(width - filled);
  const eta = progressEtaMs(s);
  const tail = s.finished ? `in ${formatEta(s.elapsedMs)}` : eta === undefined ? "" : `ETA ${formatEta(eta)}`;
  return `${s.label} [${bar}] ${s.done}/${s.total} ${percent(s)}% ${progressRate(s).toFixed(1)}/s ${tail}`.trimEnd();
}

export function createProgress(opts: ProgressOptions): Progress {
  const stream: ProgressStream = opts.stream ?? process.stderr;
  const tty = opts.isTTY ?? stream.isTTY === true;
  const interval = opts.intervalMs ?? (tty ? 100 : 5000);
  const now = opts.now ?? (() => performance.now());
  const start = now();
  let done = 0;
  let lastWrite = start;
  let wrote = false;
  let finished = false;

  const snapshot = (last = false): ProgressSnapshot => ({
    label: opts.label,
    done,
    total: opts.total,
    elapsedMs: now() - start,
    finished: last,
  });

  const draw = (last = false) => {
    if (tty) {
      // Leave room for the rest of the line; a line wider than the terminal would wrap and not redraw.
      const columns = stream.columns ?? 80;
      const barWidth = Math.min(30, columns - opts.label.length - 45);
      stream.write(`\r${formatProgressBar(snapshot(last), barWidth)}\x1b[K${last ? "\n" : ""}`);
    } else {
      stream.write(`${formatProgressLine(snapshot(last))}\n`);
    }
    wrote = true;
    lastWrite = now();
  };

  return {
    tick(n = 1) {
      if (finished) return;
      done += n;
      if (opts.total > 0 && now() - lastWrite >= interval) draw();
    },
    done() {
      if (finished) return;
      finished = true;
      if (opts.total > 0 && (wrote || (tty && done > 0))) draw(true);
    },
  };
}
