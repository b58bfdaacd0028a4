/**
 * Core knows no system by name: a test-only system (test/core/ledger-system.ts) validates, plans,
 * applies and reverts through core unchanged, beside the built-in ones; and no file of src/core imports a
 * system's folder.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { decideAutoApply } from "../../src/core/auto-apply.ts";
import { InputError } from "../../src/core/errors.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { runRevert } from "../../src/core/revert.ts";
import { readManifest, runApply, runPlan, runValidate } from "../../src/core/run.ts";
import { builtInSystems } from "../../src/systems.ts";
import { removeTempDirs, tempDir } from "../helpers/tmp.ts";
import { ledgerSystem } from "./ledger-system.ts";

afterEach(removeTempDirs);

function workspace(lines: string[], extra = ""): string {
  const dir = tempDir("ps-ledger-");
  writeFileSync(join(dir, "ledger.txt"), lines.join("\n") + "\n");
  writeFileSync(join(dir, "patron-sync.yml"), `ledger:\n  file: ledger.txt\n${extra}`);
  return dir;
}

describe("a third system through core", () => {
  it("validates, plans, applies once and reports, with its own labels and files", async () => {
    const ledger = ledgerSystem(new Map([["b", "old"]]));
    const systems = [...builtInSystems(), ledger.system];
    const cwd = workspace(["a|1", "b|2", "c|3"]);
    const log = memoryLogger();

    const v = await runValidate({ systems, cwd, log });
    expect(v.systems.map((s) => s.name)).toEqual(["ledger"]);
    expect(log.lines).toContain("ledger: ledger.txt: 3 entries");

    const plan = await runPlan({ systems, cwd, log, out: "plans/p1" });
    expect(plan.title).toBe("Patron sync plan: Ledger 3 values to set");
    expect(plan.changes).toBe(3);
    expect(plan.markdown).toContain("| The Ledger | 3 | 3 values to set |");
    expect(plan.markdown).toContain("applies exactly what it shows; each ledger record is re-read first.");
    expect(plan.markdown).toContain("The ledger lives in memory.");
    const manifest = readManifest(plan.planDir);
    expect(manifest.sections.map((s) => s.system)).toEqual(["ledger"]);
    expect(manifest.endpoints).toEqual({ ledger: "memory://ledger" });
    expect(manifest.source?.files.map((f) => f.role)).toEqual(["config", "ledger.file"]);
    expect(ledger.writes).toEqual([]); // planning sends nothing

    const applied = await runApply({ systems, cwd, log, planDir: plan.planDir });
    expect(applied.updated).toBe(3);
    expect(applied.title).toBe("Patron sync results: Ledger 3 updated");
    expect(Object.fromEntries(ledger.remote)).toEqual({ a: "1", b: "2", c: "3" });
    expect(readFileSync(join(plan.planDir, "results.md"), "utf8")).toContain("Patron sync results: Ledger");

    // Applied again: each record is re-read, none matches its "before", nothing is written twice.
    const again = await runApply({ systems, cwd, log, planDir: plan.planDir });
    expect(again.updated).toBe(0);
    expect(again.sections[0]!.counts["changed-since-plan"]).toBe(3);
    expect(ledger.writes).toHaveLength(3);
  });

  it("refuses a plan file that does not follow from the plan's data, before any write", async () => {
    const ledger = ledgerSystem();
    const systems = [ledger.system];
    const cwd = workspace(["a|1"]);
    const plan = await runPlan({ systems, cwd, log: memoryLogger(), out: "plans/p1" });
    const file = join(plan.planDir, "ledger", "plan.json");
    writeFileSync(file, readFileSync(file, "utf8").replace('"after":"1"', '"after":"999"'));
    const e = await runApply({ systems, cwd, log: memoryLogger(), planDir: plan.planDir }).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toContain("sets a to '999', which does not follow from the data files");
    expect(ledger.writes).toEqual([]);
  });

  it("reverts through core: the revert plan is checked against the reverted plan and applied", async () => {
    const ledger = ledgerSystem(new Map([["a", "before"]]));
    const systems = [ledger.system];
    const cwd = workspace(["a|after"]);
    const plan = await runPlan({ systems, cwd, log: memoryLogger(), out: "plans/p1" });
    await runApply({ systems, cwd, log: memoryLogger(), planDir: plan.planDir });
    expect(ledger.remote.get("a")).toBe("after");

    const revert = await runRevert({
      systems,
      cwd,
      log: memoryLogger(),
      planDir: plan.planDir,
      out: "plans/r1",
    });
    expect(revert.markdown).toContain("| The Ledger | 1 | 1 values to restore |");
    expect(readManifest(revert.planDir)).toMatchObject({ kind: "revert", reverts: "plans/p1" });
    await runApply({ systems, cwd, log: memoryLogger(), planDir: revert.planDir });
    expect(ledger.remote.get("a")).toBe("before");
  });

  it("a plan of a system this patron-sync does not know is refused, naming it", async () => {
    const ledger = ledgerSystem();
    const cwd = workspace(["a|1"]);
    const plan = await runPlan({ systems: [ledger.system], cwd, log: memoryLogger(), out: "plans/p1" });
    const e = await runApply({
      systems: builtInSystems(),
      cwd,
      log: memoryLogger(),
      planDir: plan.planDir,
    }).catch((x: unknown) => x);
    // The config's ledger section is unknown to the built-in systems: refused before the plan is read.
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).problems[0]!.message).toBe("unknown key 'ledger'");
    expect(ledger.writes).toEqual([]);
  });

  it("its config section and auto_apply rule come from the system", async () => {
    const ledger = ledgerSystem();
    const systems = [ledger.system];
    const bad = workspace(["a|1"], "  colour: red\n");
    const e = await runValidate({ systems, cwd: bad, log: memoryLogger() }).catch((x: unknown) => x);
    expect((e as InputError).problems[0]).toMatchObject({ line: 3, message: "unknown key 'ledger.colour'" });

    const cwd = workspace(["a|1", "b|2"], "auto_apply:\n  ledger: { max_changes: 1, actions: [set] }\n");
    const plan = await runPlan({ systems, cwd, log: memoryLogger(), out: "plans/p1" });
    const { loaded } = await runValidate({ systems, cwd, log: memoryLogger() });
    expect(decideAutoApply(loaded.config.auto_apply, plan.sections, systems)).toEqual({
      apply: false,
      reason: "the Ledger plan sends 2 records, more than auto_apply.ledger.max_changes (1)",
    });
  });
});

describe("core imports no system", () => {
  it("no file of src/core imports a system's folder, the system list, the CLI or the action", () => {
    const dir = join(import.meta.dirname, "../../src/core");
    const offending: string[] = [];
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".ts"))) {
      const text = readFileSync(join(dir, f), "utf8");
      for (const m of text.matchAll(/from\s+"(\.\.\/[^"]+)"/g)) {
        offending.push(`${f}: ${m[1]!}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
