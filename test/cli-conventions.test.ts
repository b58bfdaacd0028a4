/** Issue 19 §6: the command line follows conventions (help, --version, one-line usage mistakes, keys, failed plans). */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startAlmaSimulator, type AlmaSimulator } from "../src/simulators/alma.ts";
import { runCli } from "./helpers/cli-run.ts";
import { removeTempDirs, tempDir } from "./helpers/tmp.ts";

afterEach(removeTempDirs);
const KEY = "l7xx-cli-conventions-key";
let sim: AlmaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function workspace(): string {
  const dir = tempDir("ps-cli-conv-");
  mkdirSync(join(dir, "data"), { recursive: true });
  writeFileSync(join(dir, "data", "patrons.txt"), "P00100\n");
  writeFileSync(join(dir, "data", "barcodes.txt"), "P00100|21234000555555\n");
  writeFileSync(
    join(dir, "patron-sync.yml"),
    "alma:\n  patrons: data/patrons.txt\n  barcodes: data/barcodes.txt\n  rate_limit: 25\n  min_remaining: 0\n",
  );
  return dir;
}

const VERSION = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;

describe("patron-sync help, --help and --version", { timeout: 30_000 }, () => {
  it("help lists every command; help COMMAND and COMMAND --help give that command's own text", async () => {
    const ws = workspace();
    const all = await runCli(["help"], ws);
    expect(all.code).toBe(0);
    for (const c of ["validate", "plan", "apply", "revert", "demo"])
      expect(all.stdout).toContain(`patron-sync ${c}`);
    const plan = await runCli(["help", "plan"], ws);
    expect(plan.code).toBe(0);
    expect(plan.stdout.split("\n")[0]).toBe(
      "patron-sync plan [--config FILE] [--out DIR] [--only alma|infiniti]",
    );
    expect(plan.stdout).toContain("a read-only Alma key is enough: ALMA_READ_API_KEY");
    expect(plan.stdout).not.toContain("--wait");
    expect((await runCli(["plan", "--help"], ws)).stdout).toBe(plan.stdout);
    const apply = await runCli(["apply", "-h"], ws);
    expect(apply.code).toBe(0);
    expect(apply.stdout.split("\n")[0]).toBe(
      "patron-sync apply --plan DIR [--config FILE] [--only alma|infiniti] [--wait]",
    );
    expect(apply.stdout).toContain("ALMA_API_KEY with read/write permission");
    expect(apply.stdout).not.toEqual(plan.stdout);
  });

  it("--version prints package.json's version", async () => {
    const r = await runCli(["--version"], workspace());
    expect(r).toMatchObject({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
  });
});

describe("usage mistakes: one clear line, exit 2", { timeout: 30_000 }, () => {
  const cases: [string[], string][] = [
    [
      ["plan", "--outt", "x"],
      "patron-sync plan: unknown option '--outt': did you mean '--out'? (see 'patron-sync help plan')",
    ],
    [
      ["validate", "--wait"],
      "patron-sync validate: the option '--wait' does not apply to 'validate': it takes --config, --only (see 'patron-sync help validate')",
    ],
    [
      ["plan", "foo"],
      "patron-sync plan: unexpected argument 'foo': 'plan' takes no arguments (see 'patron-sync help plan')",
    ],
    [
      ["plan", "--out"],
      "patron-sync plan: the option '--out' needs a value: --out DIR (see 'patron-sync help plan')",
    ],
    [
      ["apply", "--plan", "p", "--wait=yes"],
      "patron-sync apply: the option '--wait' takes no value (see 'patron-sync help apply')",
    ],
    [
      ["demo", "--only", "alma"],
      "patron-sync demo: the option '--only' does not apply to 'demo': it takes no options (see 'patron-sync help demo')",
    ],
    [
      ["help", "nope"],
      "patron-sync: unknown command 'nope': the commands are validate, plan, apply, revert, demo, simulate, help (see 'patron-sync help')",
    ],
  ];
  it.each(cases)("%j", async (args, line) => {
    const r = await runCli(args, workspace());
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${line}\n`);
    expect(r.stdout).toBe("");
  });
});

describe("keys and failed plans", { timeout: 30_000 }, () => {
  it("plan works with ALMA_READ_API_KEY alone; apply does not take it for ALMA_API_KEY", async () => {
    sim = await startAlmaSimulator({ apiKey: KEY });
    const ws = workspace();
    const plan = await runCli(["plan", "--out", "plans/p"], ws, {
      ALMA_READ_API_KEY: KEY,
      ALMA_BASE_URL: sim.url,
    });
    expect(plan.code, plan.stderr).toBe(0);
    expect(sim.stats().byMethod.GET ?? 0).toBeGreaterThan(0);
    const apply = await runCli(["apply", "--plan", "plans/p"], ws, {
      ALMA_READ_API_KEY: KEY,
      ALMA_BASE_URL: sim.url,
    });
    expect(apply.code).toBe(2);
    expect(apply.stderr).toContain("ALMA_API_KEY is not set");
    expect(sim.stats().byMethod.PUT ?? 0).toBe(0);
  });

  it("a plan with no key says a read-only key is enough, and leaves no plan directory", async () => {
    const ws = workspace();
    const r = await runCli(["plan"], ws, { ALMA_BASE_URL: "http://127.0.0.1:9" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "no Alma API key: a plan only reads, so a read-only key is enough: put an Alma API key with read permission for Users in ALMA_READ_API_KEY",
    );
    expect(existsSync(join(ws, "plans")) ? readdirSync(join(ws, "plans")) : []).toEqual([]);
  });

  it("a plan that fails after reading patrons removes its partial directory and says so", async () => {
    sim = await startAlmaSimulator({ apiKey: KEY });
    const ws = workspace();
    const r = await runCli(["plan", "--out", "plans/p"], ws, {
      ALMA_API_KEY: "wrong-key",
      ALMA_BASE_URL: sim.url,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Alma refused the API key in ALMA_API_KEY");
    expect(r.stderr).toContain(
      "the plan did not finish: its partial directory plans/p was removed (it held patron records)",
    );
    expect(existsSync(join(ws, "plans", "p"))).toBe(false);
  });
});
