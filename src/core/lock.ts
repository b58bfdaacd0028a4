/**
 * One apply of a plan at a time: an exclusive lock file in the plan directory.
 *
 * The lock file (`.apply.lock`) names its holder: pid, host, start time, a random token, and the file's own
 * identity (device and inode). It is written in full to a private file first and then linked to
 * `.apply.lock` (link(2) fails with EEXIST when the name exists, atomically), so no apply ever reads a
 * half-written lock. A second apply finds it and stops with exit code 75 (EXIT.busy, sysexits'
 * EX_TEMPFAIL: try again later) and a message naming the holder, or with `--wait` waits for it.
 *
 * A stale lock, left by an apply that was killed, is taken over with a warning when its holder is on
 * this host and its pid is no longer alive, or when it is older than STALE_LOCK_HOURS (for a holder
 * on another host, whose pid cannot be checked; an apply of 100,000 Alma records takes about 2 hours).
 * The age is the older of the file's mtime and the start time it records: a checkout refreshes the mtime.
 * A lock file whose recorded identity is not the file's own was not created by an apply here: it was
 * committed to git and checked out, or copied. It is taken over with a warning, never obeyed.
 *
 * Takeover without races. Judging a lock stale and replacing it are two steps; between them a competitor
 * may already have replaced it (issue #17 E: "judge, unlink, create" let two applies hold the lock).
 * So a taker first claims the stale lock: it hard-links `.apply.lock` to a claim name derived from the
 * stale lock's token, which fails with EEXIST when another taker claimed it first. The claim is then a name
 * for whatever file `.apply.lock` was at that instant; the taker checks through it that this is still the
 * stale lock it judged (same inode and same content). Only then does it rename its own lock over
 * `.apply.lock` (atomic), and remove the claim. A lock that is no longer the judged one is left alone.
 * proper-lockfile was not used: its takeover is the same judge-remove-create sequence (lib/lockfile.js,
 * acquireLock: stat, isLockStale, removeLock, mkdir), and it detects a stolen lock only afterwards.
 *
 * The lock is on one file system: two runners of GitHub Actions do not share it (the workflow's
 * concurrency group keeps their applies apart).
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  fstatSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "./log.ts";

export const LOCK_FILE = ".apply.lock";
export const STALE_LOCK_HOURS = 24;
const STALE_MS = STALE_LOCK_HOURS * 3600_000;
/** A claim older than this was left by a taker that died between claiming and renaming (milliseconds). */
const CLAIM_ABANDONED_MS = 60_000;

export interface LockHolder {
  pid: number;
  host: string;
  started: string;
  /** A random token: release removes the file only while it is still ours. */
  token: string;
  /** The lock file's own identity when created: a copy or a git checkout has another one. */
  dev?: number;
  ino?: number;
}

/** Another apply holds the plan directory. Nothing was sent by this run. */
export class BusyError extends Error {
  constructor(
    readonly lockPath: string,
    readonly holder: Partial<LockHolder>,
    extra = "",
  ) {
    super(
      `Another apply of this plan is running (pid ${holder.pid ?? "?"} on ${holder.host ?? "an unknown host"}, since ${holder.started ?? "an unknown time"}): only one apply of a plan runs at a time. Wait for it to finish, or run apply with --wait. If no apply is running, delete ${lockPath}.${extra}`,
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

interface Seen {
  text: string;
  holder: Partial<LockHolder>;
  stat: Stats;
}

/** The lock file as it is now, or undefined when it is gone. */
function look(path: string): Seen | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    const stat = fstatSync(fd);
    const text = readFileSync(fd, "utf8");
    let holder: Partial<LockHolder> = {};
    try {
      const h = JSON.parse(text) as unknown;
      if (typeof h === "object" && h) holder = h;
    } catch {
      // Not ours to read: judged by its age alone.
    }
    return { text, holder, stat };
  } finally {
    closeSync(fd);
  }
}

/** Why a lock is stale, or undefined when its holder may still be running. */
export function staleReason(
  h: Partial<LockHolder>,
  ageMs: number,
  host = hostname(),
  file?: { dev: number; ino: number },
): string | undefined {
  if (file && (h.dev !== undefined || h.ino !== undefined) && (h.dev !== file.dev || h.ino !== file.ino))
    return "it was not created by an apply on this file system (a lock file committed to git and checked out, or copied)";
  if (h.host === host && typeof h.pid === "number" && !alive(h.pid))
    return `its holder (pid ${h.pid} on this host) is no longer running`;
  if (ageMs > STALE_MS) return `it is older than ${STALE_LOCK_HOURS} hours`;
  return undefined;
}

/** The lock's age: the older of its mtime and its recorded start (a checkout refreshes the mtime). */
function ageOf(seen: Seen, now = Date.now()): number {
  const started = Date.parse(seen.holder.started ?? "");
  const born = Number.isFinite(started) ? Math.min(started, seen.stat.mtimeMs) : seen.stat.mtimeMs;
  return now - born;
}

export interface LockOptions {
  log: Logger;
  /** Wait for the holder instead of throwing BusyError. */
  wait?: boolean;
  signal?: AbortSignal;
  pollMs?: number;
}

/** Writes a complete lock for `me` to a private file; returns its path. */
function writeOwn(planDir: string, me: LockHolder): string {
  const tmp = join(planDir, `${LOCK_FILE}.${me.token}`);
  const fd = openSync(tmp, "wx", 0o644);
  try {
    const st = fstatSync(fd);
    me.dev = st.dev;
    me.ino = st.ino;
    writeSync(fd, JSON.stringify(me) + "\n");
  } finally {
    closeSync(fd);
  }
  return tmp;
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}

function sameFile(a: Seen, b: Seen): boolean {
  return a.stat.dev === b.stat.dev && a.stat.ino === b.stat.ino && a.text === b.text;
}

type Takeover = "taken" | "lost" | "claimed-by-other";

/** Replaces the judged stale lock with ours, unless it is no longer that lock. */
function takeOver(path: string, tmp: string, judged: Seen): Takeover {
  const id = createHash("sha256")
    .update(`${judged.stat.dev}:${judged.stat.ino}:${judged.text}`)
    .digest("hex")
    .slice(0, 16);
  const claim = `${path}.claim-${id}`;
  try {
    linkSync(path, claim);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return "lost"; // gone meanwhile: try again
    if (code === "EEXIST") return "claimed-by-other";
    throw e;
  }
  try {
    const now = look(claim);
    if (!now || !sameFile(now, judged)) return "lost"; // replaced meanwhile: not the lock we judged
    // Only the holder of this claim can replace the judged lock: everyone else gets EEXIST on the claim,
    // and `.apply.lock` cannot be created anew while it exists.
    renameSync(tmp, path);
    return "taken";
  } finally {
    unlinkQuiet(claim);
  }
}

/** A claim on the judged lock that its taker left behind (it died between claiming and renaming). */
function abandonedClaim(path: string, judged: Seen): boolean {
  // The claim is a hard link to the judged lock: linking updated that inode's ctime.
  try {
    const st = statSync(path);
    return st.ino === judged.stat.ino && Date.now() - st.ctimeMs > CLAIM_ABANDONED_MS;
  } catch {
    return false;
  }
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
  const tmp = writeOwn(planDir, me);
  const release = () => {
    if (look(path)?.holder.token === me.token) unlinkQuiet(path);
  };
  let waiting = false;
  try {
    for (;;) {
      try {
        linkSync(tmp, path);
        return release;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      const seen = look(path);
      if (!seen) continue;
      const stale = staleReason(seen.holder, ageOf(seen), hostname(), seen.stat);
      if (stale) {
        const r = takeOver(path, tmp, seen);
        if (r === "taken") {
          o.log.warn(`took over the stale apply lock ${path}: ${stale}`);
          return release;
        }
        if (r === "lost") continue;
        // Another apply is taking it over this instant: look again shortly.
        if (abandonedClaim(path, seen))
          throw new BusyError(
            path,
            seen.holder,
            ` A takeover of this stale lock was interrupted: if no apply is running, delete ${path} and the ${LOCK_FILE}.claim-* files beside it.`,
          );
        await sleep(5 + Math.random() * 20);
        continue;
      }
      if (!o.wait) throw new BusyError(path, seen.holder);
      if (!waiting)
        o.log.info(
          `another apply of this plan is running (pid ${seen.holder.pid ?? "?"} on ${seen.holder.host ?? "?"}); waiting for it to finish`,
        );
      waiting = true;
      if (o.signal?.aborted) throw new BusyError(path, seen.holder);
      await sleep(o.pollMs ?? 1000, undefined, { signal: o.signal }).catch(() => undefined);
    }
  } finally {
    unlinkQuiet(tmp);
  }
}
