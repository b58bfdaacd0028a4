/**
 * An interrupted command line, in a child process (the sources through tsx): SIGINT stops the run, which
 * exits 130 with how to carry on. The handling itself (and a second signal's exit at once) is
 * src/core/entry.ts, tested in test/core/entry.test.ts; this checks the CLI is wired to it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startAlmaSimulator, type AlmaSimulator } from "../src/simulators/alma.ts";
import { removeTempDirs, tempDir } from "./helpers/tmp.ts";

afterEach(removeTempDirs);

const KEY = "l7xx-cli-signal-test-key";
const PATRONS = 40;
const LOADER = pathToFileURL(resolve("node_modules/tsx/dist/loader.mjs")).href;

let sim: AlmaSimulator | undefined;
let child: ChildProcessWithoutNullStreams | undefined;
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  child = undefined;
  await sim?.close();
  sim = undefined;
});

function workspace(): string {
  const dir = tempDir("ps-cli-signal-");
  mkdirSync(join(dir, "data"), { recursive: true });
  const ids = Array.from({ length: PATRONS }, (_, i) => `P${String(100 + i).padStart(5, "0")}`);
  writeFileSync(join(dir, "data", "patrons.txt"), ids.join("\n") + "\n");
  writeFileSync(
    join(dir, "data", "barcodes.txt"),
    ids.map((id, i) => `${id}|2123400055${5000 + i}`).join("\n") + "\n",
  );
  writeFileSync(
    join(dir, "patron-sync.yml"),
    "alma:\n  patrons: data/patrons.txt\n  barcodes: data/barcodes.txt\n  concurrency: 2\n  rate_limit: 25\n  min_remaining: 0\n",
  );
  return dir;
}

/** Starts `patron-sync plan` and resolves its exit code with everything it wrote to stderr. */
function startPlan(cwd: string, env: NodeJS.ProcessEnv) {
  const c = spawn(
    process.execPath,
    ["--import", LOADER, resolve("src/cli.ts"), "plan", "--out", "plans/p1"],
    {
      cwd,
      env: { PATH: process.env.PATH, ...env },
    },
  );
  child = c;
  const out = { stderr: "" };
  c.stderr.on("data", (d: Buffer) => (out.stderr += d.toString()));
  c.stdout.resume();
  const exited = new Promise<number | null>((done) => c.on("exit", (code) => done(code)));
  return { c, out, exited };
}

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const WARNING = "warning: SIGINT: finishing the calls in flight, then stopping (press again to stop at once)";

describe("patron-sync interrupted", { timeout: 40_000 }, () => {
  it("SIGINT during a plan: the warning with the CLI's hint, the plan stops short, exit 130 and how to carry on", async () => {
    sim = await startAlmaSimulator({ apiKey: KEY, latencyMs: [300, 300] });
    const { c, out, exited } = startPlan(workspace(), { ALMA_API_KEY: KEY, ALMA_BASE_URL: sim.url });
    await until("the first Alma call", () => sim!.stats().calls > 0);
    c.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(out.stderr).toContain(WARNING);
    expect(out.stderr).toContain(
      "The Alma plan was interrupted; what was done is recorded. Run the same command again to carry on where it stopped.",
    );
    expect(sim.stats().calls).toBeLessThan(PATRONS);
  });
});
