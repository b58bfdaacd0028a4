/**
 * The command line as staff run it, in a child process. The sources run through tsx, so a change is
 * tested before it is bundled; one smoke test runs the committed bundle behind `npx patron-sync`
 * (CI also checks that dist/ matches the sources).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startAlmaSimulator, type AlmaSimulator } from "../src/simulators/alma.ts";
import { bench } from "./helpers/apply-workspace.ts";
import { removeTempDirs, tempDir } from "./helpers/tmp.ts";

afterEach(removeTempDirs);

const BIN = resolve("bin/patron-sync.js");
const SOURCE = [
  "--import",
  pathToFileURL(resolve("node_modules/tsx/dist/loader.mjs")).href,
  resolve("src/cli.ts"),
];
const KEY = "l7xx-cli-test-secret-key";

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, entry: string[] = SOURCE) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [...entry, ...args], {
      cwd,
      env: { PATH: process.env.PATH, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => done({ code, stdout, stderr }));
  });
}

function workspace(patrons: string, barcodes: string): string {
  const dir = tempDir("ps-cli-");
  mkdirSync(join(dir, "data"), { recursive: true });
  writeFileSync(join(dir, "data", "patrons.txt"), patrons);
  writeFileSync(join(dir, "data", "barcodes.txt"), barcodes);
  writeFileSync(
    join(dir, "patron-sync.yml"),
    "alma:\n  patrons: data/patrons.txt\n  barcodes: data/barcodes.txt\n  rate_limit: 25\n  min_remaining: 0\n",
  );
  return dir;
}

let sim: AlmaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe("patron-sync (the CLI)", { timeout: 30_000 }, () => {
  it("bad input: exit 2, the file, line and column, and not one call", async () => {
    sim = await startAlmaSimulator({ apiKey: KEY });
    const ws = workspace("P00100\n", "P00100|2123400\nP00200|2123400\nbad line without separator\n");
    const r = await run(["plan"], ws, { ALMA_API_KEY: KEY, ALMA_BASE_URL: sim.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/data\/barcodes\.txt:3:\d+: /);
    expect(r.stderr).toContain("Nothing was sent.");
    expect(sim.stats().calls).toBe(0);
  });

  it("the settings are read once at the start: a SOCKS proxy is exit 2, its password masked, not one call", async () => {
    sim = await startAlmaSimulator({ apiKey: KEY });
    const ws = workspace("P00100\n", "P00100|2123400\n");
    const env = { ALMA_API_KEY: KEY, ALMA_BASE_URL: sim.url, HTTPS_PROXY: "socks5://u:sekret@127.0.0.1:1" };
    const r = await run(["plan"], ws, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("HTTPS_PROXY (socks5://***@127.0.0.1:1) is not supported");
    expect(r.stderr).toContain("Nothing was sent.");
    expect(r.stderr + r.stdout).not.toContain("sekret");
    expect(sim.stats().calls).toBe(0);
  });

  it("plan prints the plan directory last; apply carries it out; the key is never printed", async () => {
    sim = await startAlmaSimulator({ apiKey: KEY });
    const ws = workspace("P00100\n", "P00100|21234000555555\n");
    const env = { ALMA_API_KEY: KEY, ALMA_BASE_URL: sim.url };
    const plan = await run(["plan", "--out", "plans/cli"], ws, env);
    expect(plan.code).toBe(0);
    expect(plan.stdout.trim().split("\n").at(-1)).toBe(join("plans", "cli"));
    expect(existsSync(join(ws, "plans", "cli", "plan.md"))).toBe(true);
    const apply = await run(["apply", "--plan", "plans/cli"], ws, env);
    expect(apply.code).toBe(0);
    expect(apply.stdout).toMatch(/Patron sync results: Alma 1 updated; results in plans\/cli/);
    expect(sim.getUser("P00100")?.identifiers.some((i) => i.value === "21234000555555")).toBe(true);
    for (const out of [plan.stdout, plan.stderr, apply.stdout, apply.stderr]) expect(out).not.toContain(KEY);

    // revert writes a plan that undoes it (printed last), sending nothing; applying it restores the user.
    const puts = sim.stats().byMethod.PUT ?? 0;
    const revert = await run(["revert", "--plan", "plans/cli", "--out", "plans/undo"], ws, env);
    expect(revert.code).toBe(0);
    expect(revert.stdout.trim().split("\n").at(-1)).toBe(join("plans", "undo"));
    expect(sim.stats().byMethod.PUT ?? 0).toBe(puts);
    const undo = await run(["apply", "--plan", "plans/undo"], ws, env);
    expect(undo.code).toBe(0);
    expect(undo.stdout).toMatch(/Patron sync results: Alma 1 updated; results in plans\/undo/);
    expect(sim.getUser("P00100")?.identifiers.some((i) => i.value === "21234000555555")).toBe(false);
  });

  it("usage mistakes exit 2 and say what to do", async () => {
    const ws = workspace("P1\n", "P1|1\n");
    const noPlan = await run(["apply"], ws);
    expect(noPlan.code).toBe(2);
    expect(noPlan.stderr).toContain("apply needs --plan DIR");
    const noRevert = await run(["revert"], ws);
    expect(noRevert.code).toBe(2);
    expect(noRevert.stderr).toContain("revert needs --plan DIR");
    const help = await run(["--help"], ws);
    expect(help.stdout).toContain("patron-sync revert --plan DIR [--out DIR]");
    const unknown = await run(["plna"], ws);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'plna'");
    const noKey = await run(["plan"], ws);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("no Alma API key: a plan only reads");
  });

  it("an alias bomb or a path into .git in patron-sync.yml: exit 2 with the file, line and column", async () => {
    const ws = workspace("P00100\n", "P00100|2123400\n");
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++) {
      const [prev, name] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
      bomb.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    writeFileSync(join(ws, "bomb.yml"), `${bomb.join("\n")}\n`);
    const r = await run(["validate", "--config", "bomb.yml"], ws);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^bomb\.yml:2:\d+: not valid YAML: its aliases/);
    writeFileSync(join(ws, "git.yml"), "alma:\n  patrons: .git/config\n  barcodes: data/barcodes.txt\n");
    const g = await run(["validate", "--config", "git.yml"], ws);
    expect(g.code).toBe(2);
    expect(g.stderr).toMatch(/^git\.yml:2:12: 'alma\.patrons' \(\.git\/config\) is inside \.git/);
  });

  it("apply with INFINITI_PASSWORD unset: exit 2 before any write, and 'Nothing was sent.' is true", async () => {
    const b = await bench();
    try {
      const plan = await run(["plan", "--out", "plans/p1"], b.dir, b.env);
      expect(plan.code).toBe(0);
      const calls = b.alma.stats().calls;
      const r = await run(["apply", "--plan", "plans/p1"], b.dir, { ...b.env, INFINITI_PASSWORD: "" });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/INFINITI_PASSWORD is not set/);
      expect(r.stderr).toContain("Nothing was sent.");
      expect(b.alma.stats().calls).toBe(calls);
      expect(b.barcodes("E00417")).toEqual([]);
    } finally {
      await b.close();
    }
  });

  it("apply while another apply of the plan runs: exit 75 naming the holder; --wait waits for it", async () => {
    const b = await bench();
    try {
      expect((await run(["plan", "--out", "plans/p1"], b.dir, b.env)).code).toBe(0);
      const lock = join(b.dir, "plans", "p1", ".apply.lock");
      writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), started: "now" }));
      const busy = await run(["apply", "--plan", "plans/p1"], b.dir, b.env);
      expect(busy.code).toBe(75);
      expect(busy.stderr).toContain(
        `Another apply of this plan is running (pid ${process.pid} on ${hostname()}`,
      );
      expect(busy.stderr).toContain("Nothing was sent by this run.");
      expect(b.alma.stats().byMethod.PUT ?? 0).toBe(0);
      const waiting = run(["apply", "--plan", "plans/p1", "--wait"], b.dir, b.env);
      await new Promise((r) => setTimeout(r, 1500));
      expect(b.alma.stats().byMethod.PUT ?? 0).toBe(0);
      rmSync(lock);
      const done = await waiting;
      expect(done.code).toBe(0);
      expect(b.alma.stats().byMethod.PUT).toBe(3);
    } finally {
      await b.close();
    }
  });

  it("the committed bundle (bin/patron-sync.js) runs: bad input exits 2 before any call", async () => {
    sim = await startAlmaSimulator({ apiKey: KEY });
    const ws = workspace("P00100\n", "bad line without separator\n");
    const r = await run(["plan"], ws, { ALMA_API_KEY: KEY, ALMA_BASE_URL: sim.url }, [BIN]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/data\/barcodes\.txt:1:\d+: /);
    expect(sim.stats().calls).toBe(0);
  });
});
