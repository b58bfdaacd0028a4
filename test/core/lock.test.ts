/**
 * One apply of a plan at a time: the lock file in the plan directory.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { BusyError, LOCK_FILE, lockPlanDir } from "../../src/core/lock.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { runApply, runPlan } from "../../src/run.ts";
import { bench, type Bench } from "../helpers/apply-workspace.ts";

/** The pid of a process that has exited (a child node that ran nothing). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "0"]);
  return r.pid;
}

describe("the apply lock", () => {
  let b: Bench | undefined;
  let dir = "";
  afterEach(async () => {
    await b?.close();
    b = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = "";
  });

  it("two applies of one plan started together: one applies, the other refuses; no user written twice, one POST", async () => {
    b = await bench();
    const bb = b;
    const p = await runPlan({ cwd: bb.dir, env: bb.env, log: memoryLogger(), out: "plans/p1" });
    const apply = () => runApply({ cwd: bb.dir, env: bb.env, log: memoryLogger(), planDir: p.planDir });
    const [one, two] = await Promise.allSettled([apply(), apply()]);
    const done = [one, two].filter((r) => r.status === "fulfilled");
    const refused = [one, two].filter((r) => r.status === "rejected");
    expect(done).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const reason = (refused[0] as PromiseRejectedResult).reason as Error;
    expect(reason).toBeInstanceOf(BusyError);
    expect(reason.message).toMatch(/Another apply of this plan is running \(pid \d+ on /);
    expect(bb.alma.stats().byMethod.PUT).toBe(3); // three planned users, each written once
    expect(bb.infiniti.stats().posts).toBe(1);
    expect(existsSync(join(p.planDir, LOCK_FILE))).toBe(false); // released
  });

  it("is released when apply refuses the plan, so a corrected run is not locked out", async () => {
    b = await bench();
    const p = await runPlan({ cwd: b.dir, env: b.env, log: memoryLogger(), out: "plans/p1" });
    const env = { ...b.env, ALMA_API_KEY: "" };
    await expect(runApply({ cwd: b.dir, env, log: memoryLogger(), planDir: p.planDir })).rejects.toThrow(
      /ALMA_API_KEY is not set/,
    );
    expect(existsSync(join(p.planDir, LOCK_FILE))).toBe(false);
  });

  it("takes over a stale lock (this host, its pid gone) with a warning", async () => {
    dir = mkdtempSync(join(tmpdir(), "ps-lock-"));
    const path = join(dir, LOCK_FILE);
    writeFileSync(
      path,
      JSON.stringify({ pid: deadPid(), host: hostname(), started: "2026-01-01T00:00:00Z" }),
    );
    const log = memoryLogger();
    const release = await lockPlanDir(dir, { log });
    expect(log.lines.join("\n")).toMatch(/took over the stale apply lock .*no longer running/);
    expect(JSON.parse(readFileSync(path, "utf8")).pid).toBe(process.pid);
    release();
    expect(existsSync(path)).toBe(false);
  });

  it("a live holder on another host is respected, unless its lock is older than 24 hours", async () => {
    dir = mkdtempSync(join(tmpdir(), "ps-lock-"));
    const path = join(dir, LOCK_FILE);
    writeFileSync(
      path,
      JSON.stringify({ pid: 4242, host: "runner-elsewhere", started: new Date().toISOString() }),
    );
    const err = await lockPlanDir(dir, { log: memoryLogger() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusyError);
    expect((err as Error).message).toContain("pid 4242 on runner-elsewhere");
    const old = (Date.now() - 25 * 3600_000) / 1000;
    utimesSync(path, old, old);
    const log = memoryLogger();
    const release = await lockPlanDir(dir, { log });
    expect(log.lines.join("\n")).toMatch(/older than 24 hours/);
    release();
  });

  it("a live holder on this host is respected; --wait waits for it to finish", async () => {
    dir = mkdtempSync(join(tmpdir(), "ps-lock-"));
    const first = await lockPlanDir(dir, { log: memoryLogger() });
    await expect(lockPlanDir(dir, { log: memoryLogger() })).rejects.toBeInstanceOf(BusyError);
    let got = false;
    const waiting = lockPlanDir(dir, { log: memoryLogger(), wait: true, pollMs: 20 }).then((r) => {
      got = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toBe(false);
    first();
    const second = await waiting;
    expect(got).toBe(true);
    second();
  });

  it("many takers against a stale lock (20 rounds × 4 processes, a dead-pid lock planted): never two holders", async () => {
    dir = mkdtempSync(join(tmpdir(), "ps-lock-"));
    const loader = pathToFileURL(resolve("node_modules/tsx/dist/loader.mjs")).href;
    const takers = Array.from({ length: 4 }, () =>
      spawn(process.execPath, ["--import", loader, resolve("test/core/lock-taker.ts")], {
        stdio: ["pipe", "pipe", "inherit"],
      }),
    );
    const answers = new Map<string, string[]>();
    const waiters: (() => void)[] = [];
    let ready = 0;
    for (const t of takers)
      createInterface({ input: t.stdout }).on("line", (line) => {
        if (line === "ready") ready++;
        else {
          const [word, d] = [line.slice(0, line.indexOf(" ")), line.slice(line.indexOf(" ") + 1)];
          answers.set(d, [...(answers.get(d) ?? []), word]);
        }
        waiters.splice(0).forEach((w) => w());
      });
    const until = async (ok: () => boolean) => {
      while (!ok()) await new Promise<void>((r) => waiters.push(r));
    };
    try {
      await until(() => ready === takers.length);
      const doubles: string[] = [];
      for (let round = 0; round < 20; round++) {
        const d = join(dir, `r${round}`);
        mkdirSync(d);
        writeFileSync(
          join(d, LOCK_FILE),
          JSON.stringify({ pid: deadPid(), host: hostname(), started: new Date().toISOString() }),
        );
        for (const t of takers) t.stdin.write(d + "\n");
        await until(() => (answers.get(d)?.length ?? 0) === takers.length);
        const got = answers.get(d) ?? [];
        expect(got.filter((w) => w !== "held" && w !== "busy")).toEqual([]);
        if (got.filter((w) => w === "held").length !== 1) doubles.push(`round ${round}: ${got.join(", ")}`);
        // No private lock file or claim is left behind beside the lock.
        expect(readdirSync(d).filter((f) => f !== LOCK_FILE)).toEqual([]);
      }
      expect(doubles).toEqual([]);
    } finally {
      for (const t of takers) t.stdin.end();
      await Promise.all(takers.map((t) => new Promise((r) => t.once("exit", r))));
    }
  }, 60_000);

  it("a lock file committed to git and checked out never blocks apply: it is taken over with a warning", async () => {
    dir = mkdtempSync(join(tmpdir(), "ps-lock-"));
    const git = (cwd: string, ...args: string[]) => {
      const r = spawnSync("git", args, { cwd, encoding: "utf8" });
      if (r.status !== 0) throw new Error(r.stderr);
    };
    const repo = join(dir, "repo");
    mkdirSync(join(repo, "plans", "p1"), { recursive: true });
    git(repo, "init", "-q");
    // A live apply's lock (this process holds it) committed by mistake.
    const held = await lockPlanDir(join(repo, "plans", "p1"), { log: memoryLogger() });
    git(repo, "add", "--all");
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "oops");
    git(dir, "clone", "-q", repo, "clone");
    const planDir = join(dir, "clone", "plans", "p1");
    const path = join(planDir, LOCK_FILE);
    expect(JSON.parse(readFileSync(path, "utf8")).pid).toBe(process.pid); // a holder that is alive
    const log = memoryLogger();
    const release = await lockPlanDir(planDir, { log });
    expect(log.lines.join("\n")).toMatch(
      /took over the stale apply lock .*not created by an apply on this file system \(a lock file committed to git/,
    );
    release();
    held();
  });

  it("a lock from another host judged by the start it records: a checkout's fresh mtime does not make it young", async () => {
    dir = mkdtempSync(join(tmpdir(), "ps-lock-"));
    const path = join(dir, LOCK_FILE);
    const started = new Date(Date.now() - 3 * 24 * 3600_000).toISOString();
    writeFileSync(path, JSON.stringify({ pid: 4242, host: "runner-elsewhere", started }));
    const log = memoryLogger();
    const release = await lockPlanDir(dir, { log });
    expect(log.lines.join("\n")).toMatch(/older than 24 hours/);
    release();
    // A copy of a live lock (a new file, as a checkout makes) is not obeyed either.
    const a = join(dir, "a");
    const b2 = join(dir, "b");
    mkdirSync(a);
    mkdirSync(b2);
    const live = await lockPlanDir(a, { log: memoryLogger() });
    copyFileSync(join(a, LOCK_FILE), join(b2, LOCK_FILE));
    const r2 = await lockPlanDir(b2, { log: memoryLogger() });
    r2();
    live();
  });
});
