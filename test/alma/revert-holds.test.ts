/**
 * A revert stays reverted (issue #19) against the Alma simulator: after plan → apply → revert → apply,
 * a plan from the same data plans none of it again (`held`); a changed barcode is planned as usual; a
 * later apply that writes the user releases the hold; deleting the hold's line releases it too.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryLogger } from "../../src/core/log.ts";
import { runApply, runPlan, runRevert } from "../../src/run.ts";
import { startAlmaSimulator, type AlmaSimulator } from "../../src/simulators/alma.ts";
import { runCli } from "../helpers/cli-run.ts";

const KEY = "test-key";
const barcode = (value: string, status = "ACTIVE") =>
  `<user_identifier segment_type="Internal"><id_type desc="Barcode">BARCODE</id_type><value>${value}</value><status>${status}</status></user_identifier>`;
const user = (id: string, identifiers = "") =>
  `<user><record_type>PUBLIC</record_type><primary_id>${id}</primary_id><first_name>F</first_name><last_name>${id}</last_name><account_type>INTERNAL</account_type><status>ACTIVE</status><user_identifiers>${identifiers}</user_identifiers></user>`;

describe("a revert stays reverted (Alma)", () => {
  let sim: AlmaSimulator;
  let ws: string;
  let env: NodeJS.ProcessEnv;
  const log = memoryLogger();
  beforeEach(async () => {
    sim = await startAlmaSimulator({
      apiKey: KEY,
      users: [{ xml: user("H-ADD") }, { xml: user("H-OLD", barcode("OLD-2")) }, { xml: user("H-KEEP") }],
    });
    env = { ALMA_API_KEY: KEY, ALMA_BASE_URL: sim.url };
    ws = mkdtempSync(join(tmpdir(), "ps-holds-"));
    mkdirSync(join(ws, "data"), { recursive: true });
    writeFileSync(join(ws, "data", "patrons.txt"), "Primary Identifier\nH-ADD\nH-OLD\nH-KEEP\n");
    writeFileSync(
      join(ws, "patron-sync.yml"),
      "alma:\n  patrons: data/patrons.txt\n  barcodes: data/barcodes.txt\n  existing_barcode: deactivate\n  min_remaining: 0\n",
    );
  });
  afterEach(async () => {
    await sim.close();
    rmSync(ws, { recursive: true, force: true });
  });
  const barcodes = (lines: string[]) =>
    writeFileSync(join(ws, "data", "barcodes.txt"), lines.join("\n") + "\n");
  const actions = (dir: string) =>
    Object.fromEntries(
      (
        JSON.parse(readFileSync(join(ws, dir, "alma", "plan.json"), "utf8")).patrons as {
          primary_id: string;
          action: string;
        }[]
      ).map((e) => [e.primary_id, e.action]),
    );
  const puts = () => sim.stats().byMethod.PUT ?? 0;

  it("plans nothing a revert undid from the same data, and plans a changed barcode as usual", async () => {
    barcodes(["H-ADD|1001", "H-OLD|1002"]);
    await runPlan({ cwd: ws, env, log, out: "plans/p1" });
    expect((await runApply({ cwd: ws, env, log, planDir: "plans/p1" })).updated).toBe(2);
    const r = await runRevert({ cwd: ws, log, planDir: "plans/p1", out: "plans/r1" });
    expect(r.sections[0]!.files).toContain("alma/holds.json");
    expect(r.markdown).toContain(
      "Once applied, it stays applied: later plans leave out what it undid while the data still give it (they list those users as `held`; `alma/holds.json`).",
    );
    const holds = JSON.parse(readFileSync(join(ws, "plans/r1/alma/holds.json"), "utf8"));
    expect(holds).toEqual({
      version: 1,
      system: "alma",
      reverts: "plans/p1",
      holds: [
        { key: "h-add", id: "H-ADD", changes: { barcode: "1001" } },
        { key: "h-old", id: "H-OLD", changes: { barcode: "1002" } },
      ],
    });

    // Not applied yet: the revert holds nothing, the same data plan the same changes.
    const early = await runPlan({ cwd: ws, env, log, out: "plans/p1b" });
    expect(early.changes).toBe(0); // p1 is in Alma: unchanged
    expect((await runApply({ cwd: ws, env, log, planDir: "plans/r1" })).updated).toBe(2);
    expect(sim.getUser("H-ADD")!.identifiers).toEqual([]);

    // Right after the revert, the same data: nothing is planned again.
    const p2 = await runPlan({ cwd: ws, env, log, out: "plans/p2" });
    expect(p2.changes).toBe(0);
    expect(actions("plans/p2")).toEqual({ "H-ADD": "held", "H-OLD": "held", "H-KEEP": "no-barcode" });
    expect(p2.sections[0]!.counts).toMatchObject({ held: 2 });
    expect(p2.sections[0]!.headline).toContain("2 held");
    expect(p2.markdown).toContain("held: undone by revert plans/r1; change the data to plan it again");
    const before = puts();
    const a2 = await runApply({ cwd: ws, env, log, planDir: "plans/p2" });
    expect(puts()).toBe(before);
    const results = JSON.parse(readFileSync(join(ws, "plans/p2/alma/results.json"), "utf8")).results;
    expect(results[0]).toMatchObject({
      primary_id: "H-ADD",
      status: "skipped",
      message: "held: undone by revert plans/r1; change the data to plan it again",
    });
    expect(a2.updated).toBe(0);

    // A deliberate change after the revert: a new barcode for H-ADD is planned; H-OLD stays held.
    barcodes(["H-ADD|1091", "H-OLD|1002", "H-KEEP|1003"]);
    const p3 = await runPlan({ cwd: ws, env, log, out: "plans/p3" });
    expect(actions("plans/p3")).toEqual({ "H-ADD": "add", "H-OLD": "held", "H-KEEP": "add" });
    expect(p3.changes).toBe(2);
    expect((await runApply({ cwd: ws, env, log, planDir: "plans/p3" })).updated).toBe(2);

    // p3 wrote H-ADD: its hold is released, so going back to 1001 is planned as any change.
    barcodes(["H-ADD|1001", "H-OLD|1002", "H-KEEP|1003"]);
    expect(
      actions((await runPlan({ cwd: ws, env, log, out: "plans/p4" })).planDir.slice(ws.length + 1)),
    ).toEqual({
      "H-ADD": "deactivate",
      "H-OLD": "held",
      "H-KEEP": "unchanged",
    });

    // Deleting a hold's line (here the last one, leaving its comma) releases it.
    const file = join(ws, "plans/r1/alma/holds.json");
    writeFileSync(
      file,
      readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => !l.includes('"H-OLD"'))
        .join("\n"),
    );
    expect(
      actions((await runPlan({ cwd: ws, env, log, out: "plans/p5" })).planDir.slice(ws.length + 1)),
    ).toMatchObject({
      "H-OLD": "deactivate",
    });
  });

  it("'patron-sync help revert' says a revert stays applied and how to plan its changes again", async () => {
    const help = await runCli(["help", "revert"], ws);
    expect(help.code).toBe(0);
    expect(help.stdout.replace(/\s+/g, " ")).toContain(
      "Once applied, it stays applied: later plans leave out (as held) what it undid while the data still give it; change the data, or delete a line of DIR2's <system>/holds.json, to plan it again.",
    );
  });

  it("a holds file that cannot be read stops the plan with its name", async () => {
    barcodes(["H-ADD|1001"]);
    await runPlan({ cwd: ws, env, log, out: "plans/p1" });
    await runApply({ cwd: ws, env, log, planDir: "plans/p1" });
    await runRevert({ cwd: ws, log, planDir: "plans/p1", out: "plans/r1" });
    writeFileSync(join(ws, "plans/r1/alma/holds.json"), "{ not json");
    await expect(runPlan({ cwd: ws, env, log, out: "plans/p2" })).rejects.toThrow(
      /plans\/r1\/alma\/holds\.json: is not a holds file patron-sync can read/,
    );
  });

  it("apply refuses a revert whose holds.json was edited before it was applied", async () => {
    barcodes(["H-ADD|1001"]);
    await runPlan({ cwd: ws, env, log, out: "plans/p1" });
    await runApply({ cwd: ws, env, log, planDir: "plans/p1" });
    await runRevert({ cwd: ws, log, planDir: "plans/p1", out: "plans/r1" });
    const file = join(ws, "plans/r1/alma/holds.json");
    writeFileSync(file, readFileSync(file, "utf8").replace('"1001"', '"9999"'));
    const before = puts();
    await expect(runApply({ cwd: ws, env, log, planDir: "plans/r1" })).rejects.toThrow(
      /alma\/holds\.json does not follow from the recorded results of plans\/p1/,
    );
    expect(puts()).toBe(before);
  });
});
