/**
 * One apply of a plan at a time: the lock file in the plan directory.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
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
    expect(log.lines.join("\n")).toMatch(/taking over the stale apply lock .*no longer running/);
    expect(JSON.parse(readFileSync(path, "utf8")).pid).toBe(process.pid);
    release();
    expect(existsSync(path)).toBe(false);
  });

  it("a live holder on another host is respected, unless its lock is older than 24 hours", async () => {
    dir = mkdtempSync(join(tmpdir(), "ps-lock-"));
    const path = join(dir, LOCK_FILE);
    writeFileSync(
      path,
      JSON.stringify({ pid: 4242, host: "runner-elsewhere", started: "2026-01-01T00:00:00Z" }),
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
});
