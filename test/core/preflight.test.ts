/**
 * Every selected system's preflight passes before the first call of an apply, and no message says
 * that nothing was sent once something was.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { runApply, runPlan } from "../../src/run.ts";
import { bench, type Bench } from "../helpers/apply-workspace.ts";

let b: Bench;
afterEach(async () => {
  await b.close();
});

const plan = () => runPlan({ cwd: b.dir, env: b.env, log: memoryLogger(), out: "plans/p1" });
const apply = (planDir: string, env: NodeJS.ProcessEnv) =>
  runApply({ cwd: b.dir, env, log: memoryLogger(), planDir });

describe("apply's preflight", () => {
  it("INFINITI_PASSWORD unset: refused before the first Alma call (no record written)", async () => {
    b = await bench();
    const p = await plan();
    const calls = b.alma.stats().calls;
    const err = await apply(p.planDir, { ...b.env, INFINITI_PASSWORD: "" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/INFINITI_PASSWORD is not set/);
    expect(b.alma.stats().calls).toBe(calls);
    expect(b.infiniti.stats().requests).toBe(0);
    expect(b.barcodes("E00417")).toEqual([]);
    expect(existsSync(join(p.planDir, "alma", "results.json"))).toBe(false);
  });

  it("reports every system's problems at once", async () => {
    b = await bench();
    const p = await plan();
    const calls = b.alma.stats().calls;
    const env = { ...b.env, ALMA_API_KEY: "", INFINITI_USERNAME: "" };
    const err = (await apply(p.planDir, env).catch((e: unknown) => e)) as InputError;
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/ALMA_API_KEY is not set/);
    expect(err.message).toMatch(/INFINITI_USERNAME is not set/);
    expect(b.alma.stats().calls).toBe(calls);
    expect(b.infiniti.stats().requests).toBe(0);
  });

  it("refuses an Alma address over plain http to a host that is not loopback: the key would travel in clear", async () => {
    b = await bench();
    const p = await plan();
    const err = (await apply(p.planDir, { ...b.env, ALMA_BASE_URL: "http://alma.example.edu" }).catch(
      (e: unknown) => e,
    )) as InputError;
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/the Alma address must start with https:\/\//);
  });

  it("an input error after writes began is not reported as an input error (which would say nothing was sent)", async () => {
    // The plan's data are a commit; the working copy's applied state (merged into after the POST) is broken.
    b = await bench({ git: true });
    const p = await plan();
    mkdirSync(join(b.dir, "state", "infiniti"), { recursive: true });
    writeFileSync(join(b.dir, "state", "infiniti", "applied.csv"), 'username,enabled\n"unterminated,y\n');
    const err = await apply(p.planDir, b.env).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/the applied state is not valid CSV/);
    expect((err as Error).message).toMatch(/This apply stopped after it had started 4 write calls/);
    expect(b.alma.stats().byMethod.PUT).toBe(3);
    expect(b.infiniti.stats().posts).toBe(1);
  });
});
