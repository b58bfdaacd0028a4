/**
 * `patron-sync simulate`, as the README's "Try it by hand" shows it: started in one process, then plan,
 * apply, revert and apply run from other processes against what it printed, then Ctrl-C (SIGINT).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { cpSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { memoryLogger } from "../src/core/log.ts";
import { runSimulate } from "../src/simulate.ts";
import { removeTempDirs, tempDir } from "./helpers/tmp.ts";

afterEach(removeTempDirs);

const CLI = [
  "--import",
  pathToFileURL(resolve("node_modules/tsx/dist/loader.mjs")).href,
  resolve("src/cli.ts"),
];

function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; out: string }>((done) => {
    const child = spawn(process.execPath, [...CLI, ...args], {
      cwd,
      env: { PATH: process.env.PATH, ...env },
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => done({ code, out }));
  });
}

/** Starts `patron-sync simulate` and resolves with the variables it printed, once it says how to stop it. */
function startSimulate(args: string[] = []) {
  const child = spawn(process.execPath, [...CLI, "simulate", ...args], { env: { PATH: process.env.PATH } });
  let out = "";
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  const ready = new Promise<Record<string, string>>((done, fail) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (!out.includes("Press Ctrl-C")) return;
      const env: Record<string, string> = {};
      for (const m of out.matchAll(/^export ([A-Z_]+)=(.*)$/gm)) env[m[1]!] = m[2]!;
      done(env);
    });
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    void exited.then((code) => fail(new Error(`simulate exited ${code} before it was ready:\n${out}`)));
  });
  return { child, ready, exited, output: () => out };
}

let running: ChildProcessWithoutNullStreams | undefined;
afterEach(() => {
  if (running && running.exitCode === null) running.kill("SIGKILL");
  running = undefined;
});

describe("patron-sync simulate", { timeout: 90_000 }, () => {
  it("prints the variables; plan, apply, revert and apply from other processes work against it; Ctrl-C ends it with 0", async () => {
    const sim = startSimulate();
    running = sim.child;
    const env = await sim.ready;
    expect(Object.keys(env).sort()).toEqual([
      "ALMA_API_KEY",
      "ALMA_BASE_URL",
      "INFINITI_PASSWORD",
      "INFINITI_URL",
      "INFINITI_USERNAME",
    ]);
    expect(env.ALMA_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.INFINITI_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    // A copy of this repository's sample config and data, as a user's folder would hold them.
    const ws = tempDir("ps-simulate-");
    cpSync("patron-sync.yml", join(ws, "patron-sync.yml"));
    cpSync("data", join(ws, "data"), { recursive: true });

    const plan = await cli(["plan", "--out", "plans/try"], ws, env);
    expect(plan.code, plan.out).toBe(0);
    expect(plan.out).toMatch(/Patron sync plan: Alma \d+ add .*; Infiniti 12 create/);

    const apply = await cli(["apply", "--plan", "plans/try"], ws, env);
    expect(apply.code, apply.out).toBe(0);
    const added = Number(/alma: (\d+) updated/.exec(apply.out)?.[1]);
    expect(added).toBeGreaterThan(0);
    expect(apply.out).toContain("infiniti: 12 created");

    // The simulators kept what apply wrote: planning again finds nothing left to add.
    const again = await cli(["plan", "--out", "plans/again"], ws, env);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(
      /Patron sync plan: Alma 0 add · 0 deactivate · 0 replace.*; Infiniti 0 create · 0 update/,
    );

    const revert = await cli(["revert", "--plan", "plans/try", "--out", "plans/try-revert"], ws, env);
    expect(revert.code, revert.out).toBe(0);
    const undo = await cli(["apply", "--plan", "plans/try-revert"], ws, env);
    expect(undo.code, undo.out).toBe(0);
    const results = readFileSync(join(ws, "plans/try-revert/alma/results.csv"), "utf8");
    expect(results.match(/,updated,/g)).toHaveLength(added);
    // Infiniti cannot delete: the users apply created are sent again with enabled=n.
    expect(Number(/infiniti: (\d+) updated/.exec(undo.out)?.[1])).toBeGreaterThan(0);

    sim.child.kill("SIGINT");
    expect(await sim.exited).toBe(0);
    expect(sim.output()).toContain("Simulators stopped.");
  });

  it("--alma-port and --infiniti-port choose the ports; a bad or busy port is exit 2 with one sentence", async () => {
    const log = memoryLogger();
    const stop = new AbortController();
    expect(await runSimulate({ log, signal: stop.signal, almaPort: "80a" })).toBe(2);
    expect(log.lines).toContain("error: --alma-port must be a port number from 1 to 65535, not '80a'");

    // Two free ports, found by binding port 0 and letting go.
    const free = async () => {
      const s = createServer();
      await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
      const port = (s.address() as { port: number }).port;
      await new Promise<void>((r) => s.close(() => r()));
      return port;
    };
    const [a, i] = [await free(), await free()];
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(i, "127.0.0.1", () => r()));
    try {
      const log2 = memoryLogger();
      expect(
        await runSimulate({ log: log2, signal: stop.signal, almaPort: String(a), infinitiPort: String(i) }),
      ).toBe(2);
      expect(log2.lines.join("\n")).toContain("is in use on 127.0.0.1");
    } finally {
      await new Promise<void>((r) => busy.close(() => r()));
    }

    const log3 = memoryLogger();
    const done = runSimulate({
      log: log3,
      signal: stop.signal,
      almaPort: String(a),
      infinitiPort: String(i),
    });
    await expect.poll(() => log3.lines.join("\n")).toContain("Press Ctrl-C");
    expect(log3.lines).toContain(`export ALMA_BASE_URL=http://127.0.0.1:${a}`);
    expect(log3.lines).toContain(`export INFINITI_URL=http://127.0.0.1:${i}`);
    const answer = await fetch(`http://127.0.0.1:${a}/almaws/v1/users/P00100`, {
      headers: { Authorization: "apikey demo-api-key", Accept: "application/json" },
    });
    expect(answer.status).toBe(200);
    stop.abort();
    expect(await done).toBe(0);
    // Stopped: the port is closed.
    await expect(fetch(`http://127.0.0.1:${a}/almaws/v1/users/P00100`)).rejects.toThrow();
  });
});
