/**
 * One apply of a plan at a time: an exclusive lock file in the plan directory.
 *
 * The lock file (`.apply.lock`) is created atomically (open with O_CREAT|O_EXCL, Node's `wx`) and
 * names its holder: pid, host and start time. A second apply finds it and stops with exit code 75
 * (EXIT.busy, sysexits' EX_TEMPFAIL: try again later) and a message naming the holder, or with `--wait` waits for it.
 *
 * A stale lock, left by an apply that was killed, is taken over with a warning when its holder is on
 * this host and its pid is no longer alive, or when it is older than STALE_LOCK_HOURS (for a holder
 * on another host, whose pid cannot be checked; an apply of 100,000 Alma records takes about 2 hours).
 * The lock is on one file system: two runners of GitHub Actions do not share it (the workflow's
 * concurrency group keeps their applies apart).
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "./log.ts";

export const LOCK_FILE = ".apply.lock";
export const STALE_LOCK_HOURS = 24;
const STALE_MS = STALE_LOCK_HOURS * 3600_000;

export interface LockHolder {
  pid: number;
  host: string;
  started: string;
  /** A random token: release removes the file only while it is still ours. */
  token: string;
}

/** Another apply holds the plan directory. Nothing was sent by this run. */
export class BusyError extends Error {
  constructor(
    readonly lockPath: string,
    readonly holder: Partial<LockHolder>,
  ) {
    super(
      `Another apply of this plan is running (pid ${holder.pid ?? "?"} on ${holder.host ?? "an unknown host"}, since ${holder.started ?? "an unknown time"}): only one apply of a plan runs at a time. Wait for it to finish, or run apply with --wait. If no apply is running, delete ${lockPath}.`,
    );
    this.name = "BusyError";
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readHolder(path: string): Partial<LockHolder> | undefined {
  try {
    const h = JSON.parse(readFileSync(path, "utf8")) as Partial<LockHolder>;
    return typeof h === "object" && h ? h : {};
  } catch (e) {
    // Gone meanwhile, or being written this instant: an empty holder (judged by the file's age).
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? undefined : {};
  }
}

/** Why a lock is stale, or undefined when its holder may still be running. */
export function staleReason(h: Partial<LockHolder>, ageMs: number, host = hostname()): string | undefined {
  if (h.host === host && typeof h.pid === "number" && !alive(h.pid))
    return `its holder (pid ${h.pid} on this host) is no longer running`;
  if (ageMs > STALE_MS) return `it is older than ${STALE_LOCK_HOURS} hours`;
  return undefined;
}

export interface LockOptions {
  log: Logger;
  /** Wait for the holder instead of throwing BusyError. */
  wait?: boolean;
  signal?: AbortSignal;
  pollMs?: number;
}

/** Takes the plan directory's lock; returns its release. Throws BusyError when it is held. */
export async function lockPlanDir(planDir: string, o: LockOptions): Promise<() => void> {
  const path = join(planDir, LOCK_FILE);
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    started: new Date().toISOString(),
    token: `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
  };
  let waiting = false;
  for (;;) {
    try {
      const fd = openSync(path, "wx");
      try {
        writeSync(fd, JSON.stringify(me) + "\n");
      } finally {
        closeSync(fd);
      }
      return () => {
        if (readHolder(path)?.token === me.token) unlinkSync(path);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const holder = readHolder(path);
    if (!holder) continue;
    let age = 0;
    try {
      age = Date.now() - statSync(path).mtimeMs;
    } catch {
      continue;
    }
    const stale = staleReason(holder, age);
    if (stale) {
      o.log.warn(`taking over the stale apply lock ${path}: ${stale}`);
      try {
        unlinkSync(path);
      } catch {
        // Another apply took it over first: try again.
      }
      continue;
    }
    if (!o.wait) throw new BusyError(path, holder);
    if (!waiting)
      o.log.info(
        `another apply of this plan is running (pid ${holder.pid ?? "?"} on ${holder.host ?? "?"}); waiting for it to finish`,
      );
    waiting = true;
    if (o.signal?.aborted) throw new BusyError(path, holder);
    await sleep(o.pollMs ?? 1000, undefined, { signal: o.signal }).catch(() => undefined);
  }
}
