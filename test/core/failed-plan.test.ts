/** Issue 19 §6: a plan that fails leaves no partial plan directory (patron records) behind, and says so. */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { InterruptedError } from "../../src/core/errors.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { runPlan } from "../../src/core/run.ts";
import type { System } from "../../src/core/system.ts";
import { removeTempDirs, tempDir } from "../helpers/tmp.ts";
import { ledgerSystem } from "./ledger-system.ts";

afterEach(removeTempDirs);

/** The ledger, whose plan writes its record file and then fails with `error`. */
function failingLedger(error: Error): System {
  const { system } = ledgerSystem();
  return {
    ...system,
    async plan(ctx) {
      await system.plan(ctx);
      throw error;
    },
  };
}

function workspace(): string {
  const dir = tempDir("ps-failed-plan-");
  writeFileSync(join(dir, "ledger.txt"), "a|1\n");
  writeFileSync(join(dir, "patron-sync.yml"), "ledger:\n  file: ledger.txt\n");
  return dir;
}

describe("a plan that fails", () => {
  it("removes the directory it made, records included, and says so", async () => {
    const cwd = workspace();
    const log = memoryLogger();
    const systems = [failingLedger(new Error("the remote went away"))];
    await expect(runPlan({ systems, cwd, log })).rejects.toThrow("the remote went away");
    expect(readdirSync(join(cwd, "plans"))).toEqual([]);
    expect(log.lines.join("\n")).toMatch(
      /^warning: the plan did not finish: its partial directory plans\/\d{8}T\d{6}Z? ?.* was removed \(it held patron records\)$/m,
    );
  });

  it("in a directory that existed, removes only what it added", async () => {
    const cwd = workspace();
    mkdirSync(join(cwd, "out"));
    writeFileSync(join(cwd, "out", "notes.txt"), "mine\n");
    const log = memoryLogger();
    const systems = [failingLedger(new Error("the remote went away"))];
    await expect(runPlan({ systems, cwd, log, out: "out" })).rejects.toThrow("the remote went away");
    expect(readdirSync(join(cwd, "out"))).toEqual(["notes.txt"]);
    expect(log.lines).toContain(
      "warning: the plan did not finish: what it had written in out (ledger) was removed (it held patron records); the directory existed before, so it and its other files were kept",
    );
  });

  it("an interrupted plan is kept: running it again carries it on", async () => {
    const cwd = workspace();
    const systems = [failingLedger(new InterruptedError("The ledger plan"))];
    await expect(runPlan({ systems, cwd, log: memoryLogger(), out: "plans/p" })).rejects.toThrow(
      "interrupted",
    );
    expect(existsSync(join(cwd, "plans", "p", "ledger", "plan.json"))).toBe(true);
  });
});
