/**
 * Undo against the Alma simulator (issue #13): plan → apply → revert → apply restores every updated
 * user's identifiers exactly as before the apply; a user changed since the apply is skipped.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryLogger } from "../../src/core/log.ts";
import { runRevert } from "../../src/run.ts";
import { runApply, runPlan } from "../../src/run.ts";
import { barcodeFingerprint } from "../../src/alma/identifiers.ts";
import { parseUser } from "../../src/alma/xml.ts";
import { startAlmaSimulator, type AlmaSimulator, type SeedUser } from "../../src/simulators/alma.ts";
import type { AlmaUser } from "../../src/simulators/alma-model.ts";

const KEY = "test-key";
const user = (id: string, identifiers = "") =>
  `<user><record_type>PUBLIC</record_type><primary_id>${id}</primary_id><first_name>F ${id}</first_name><last_name>L</last_name><account_type>EXTERNAL</account_type><status>ACTIVE</status><user_identifiers>${identifiers}</user_identifiers></user>`;
// Alma returns each id_type with its description (as the seed records in test/fixtures/alma/users do).
const DESC: Record<string, string> = {
  BARCODE: "Barcode",
  UNIV_ID: "University ID",
  OTHER_ID_1: "Other ID 1",
};
const ident = (type: string, value: string, status = "ACTIVE", segment = "External", note = "") =>
  `<user_identifier segment_type="${segment}"><id_type desc="${DESC[type]}">${type}</id_type><value>${value}</value>${note ? `<note>${note}</note>` : ""}<status>${status}</status></user_identifier>`;

function seeds(): SeedUser[] {
  return [
    { xml: user("R-ADD", ident("UNIV_ID", "U-1")) },
    { xml: user("R-REACT", ident("BARCODE", "22220002", "INACTIVE") + ident("UNIV_ID", "U-2")) },
    {
      xml: user(
        "R-OLD",
        ident("UNIV_ID", "U-3") +
          ident("BARCODE", "OLD-3", "ACTIVE", "External", "from the SIS") +
          ident("OTHER_ID_1", "O-3"),
      ),
    },
    { xml: user("R-DRIFT") },
    { xml: user("R-SAME", ident("BARCODE", "22220005")) },
  ];
}
const PATRONS = "Primary Identifier\nR-ADD\nR-REACT\nR-OLD\nR-DRIFT\nR-SAME\nR-GONE\n";
const BARCODES = "R-ADD|22220001\nR-REACT|22220002\nR-OLD|22220003\nR-DRIFT|22220004\nR-SAME|22220005\n";

describe("revert of an Alma apply", () => {
  let sim: AlmaSimulator;
  let ws: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    sim = await startAlmaSimulator({ apiKey: KEY, users: seeds() });
    env = { ALMA_API_KEY: KEY, ALMA_BASE_URL: sim.url };
    ws = mkdtempSync(join(tmpdir(), "ps-revert-"));
  });
  afterEach(async () => {
    await sim.close();
    rmSync(ws, { recursive: true, force: true });
  });

  function workspace(mode: string) {
    mkdirSync(join(ws, "data"), { recursive: true });
    writeFileSync(join(ws, "data", "patrons.txt"), PATRONS);
    writeFileSync(join(ws, "data", "barcodes.txt"), BARCODES);
    writeFileSync(
      join(ws, "patron-sync.yml"),
      `alma:\n  patrons: data/patrons.txt\n  barcodes: data/barcodes.txt\n  existing_barcode: ${mode}\n  concurrency: 2\n  min_remaining: 0\n`,
    );
  }

  for (const mode of ["replace", "deactivate"]) {
    it(`restores every updated user's identifiers exactly (existing_barcode: ${mode}) and skips one changed since`, async () => {
      workspace(mode);
      const log = memoryLogger();
      const ids = ["R-ADD", "R-REACT", "R-OLD", "R-DRIFT", "R-SAME"];
      const before = Object.fromEntries(ids.map((id) => [id, sim.getUser(id)!]));

      await runPlan({ cwd: ws, env, log, out: "plans/p1" });
      const applied = await runApply({ cwd: ws, env, log, planDir: "plans/p1" });
      expect(applied.updated).toBe(4);
      for (const id of ["R-ADD", "R-REACT", "R-OLD", "R-DRIFT"])
        expect(sim.getUser(id)!.identifiers).not.toEqual(before[id]!.identifiers);

      // A librarian gives R-DRIFT another barcode after the apply.
      sim.editUser("R-DRIFT", (u) => {
        u.identifiers.push({ idType: "BARCODE", value: "HAND-9", status: "ACTIVE", segmentType: "Internal" });
      });
      const drifted = sim.getUser("R-DRIFT")!;

      const puts = sim.stats().byMethod.PUT ?? 0;
      const revert = await runRevert({ cwd: ws, log, planDir: "plans/p1", out: "plans/r1" });
      expect(sim.stats().byMethod.PUT ?? 0).toBe(puts); // planning a revert sends nothing
      const manifest = JSON.parse(readFileSync(join(revert.planDir, "plan.json"), "utf8"));
      expect(manifest).toMatchObject({ kind: "revert", reverts: "plans/p1", changes: 4 });
      const md = readFileSync(join(revert.planDir, "plan.md"), "utf8");
      expect(md).toContain("revert of `plans/p1`");
      expect(md).toContain("Plan directory: `plans/r1`."); // how the results comment finds the revert pull request
      for (const id of ["R-ADD", "R-REACT", "R-OLD", "R-DRIFT"]) expect(md).toContain(`| ${id} |`);
      expect(md).not.toContain("| R-SAME |"); // not written by p1: nothing to undo
      expect(md).toMatch(/did not write \(nothing to undo\): 2/); // R-SAME, R-GONE

      const undone = await runApply({ cwd: ws, env, log, planDir: "plans/r1" });
      expect(undone.updated).toBe(3);
      for (const id of ["R-ADD", "R-REACT", "R-OLD", "R-SAME"]) expect(sim.getUser(id)).toEqual(before[id]);
      expect(sim.getUser("R-DRIFT")).toEqual(drifted); // never overwritten
      const results = JSON.parse(readFileSync(join(revert.planDir, "alma", "results.json"), "utf8"));
      const drift = results.results.find((r: { primary_id: string }) => r.primary_id === "R-DRIFT");
      expect(drift.status).toBe("skipped");
      expect(drift.message).toMatch(/^changed-since-apply: .*HAND-9/);
      expect(undone.markdown).toMatch(/\| R-DRIFT \| changed-since-apply: /);

      // Applying the revert again sends nothing.
      const again = sim.stats().byMethod.PUT ?? 0;
      await runApply({ cwd: ws, env, log, planDir: "plans/r1" });
      expect(sim.stats().byMethod.PUT ?? 0).toBe(again);
    });
  }

  it("reverts only what a partly applied plan wrote, and refuses a revert plan edited by hand", async () => {
    workspace("deactivate");
    const log = memoryLogger();
    await runPlan({ cwd: ws, env, log, out: "plans/p1" });
    // Only R-ADD was written: keep that line of the journal (as if the apply stopped after it).
    await runApply({ cwd: ws, env, log, planDir: "plans/p1" });
    const journal = join(ws, "plans/p1/alma/journal.ndjson");
    const lines = readFileSync(journal, "utf8")
      .split("\n")
      .filter((l) => l.includes('"R-ADD"'));
    writeFileSync(journal, lines.join("\n") + "\n");
    rmSync(join(ws, "plans/p1/alma/results.json"));

    const revert = await runRevert({ cwd: ws, log, planDir: "plans/p1", out: "plans/r1" });
    expect(revert.changes).toBe(1);
    const planned = readFileSync(join(revert.planDir, "alma", "plan.json"), "utf8");
    expect(planned).toContain('"R-ADD"');
    expect(planned).not.toContain('"R-OLD"');

    // A hand edit of the revert plan: another user's snapshot swapped in.
    writeFileSync(
      join(revert.planDir, "alma", "plan.json"),
      planned.replace('"fingerprint":"', '"fingerprint":"x'),
    );
    const puts = sim.stats().byMethod.PUT ?? 0;
    await expect(runApply({ cwd: ws, env, log, planDir: "plans/r1" })).rejects.toThrow(
      /alma\/plan.json does not follow from the recorded results of plans\/p1/,
    );
    expect(sim.stats().byMethod.PUT ?? 0).toBe(puts);
  });

  it("a plan never applied gives a revert with nothing to send", async () => {
    workspace("deactivate");
    const log = memoryLogger();
    await runPlan({ cwd: ws, env, log, out: "plans/p1" });
    const revert = await runRevert({ cwd: ws, log, planDir: "plans/p1", out: "plans/r1" });
    expect(revert.changes).toBe(0);
    expect(revert.markdown).toMatch(/did not write \(nothing to undo\): 6/);
  });

  it("skips a user whose identifiers were edited since the apply in any way: a note, a segment_type, the case of a value", async () => {
    workspace("deactivate");
    writeFileSync(join(ws, "data", "barcodes.txt"), BARCODES.replace("R-DRIFT|22220004", "R-DRIFT|ab220004"));
    const log = memoryLogger();
    await runPlan({ cwd: ws, env, log, out: "plans/p1" });
    expect((await runApply({ cwd: ws, env, log, planDir: "plans/p1" })).updated).toBe(4);
    const barcode = (u: AlmaUser, v: string) =>
      u.identifiers.find((i) => i.idType === "BARCODE" && i.value.toLowerCase() === v)!;
    // After the apply, staff edit three of the four users' new barcodes: nothing but a note, a segment or a case.
    sim.editUser("R-ADD", (u) => {
      barcode(u, "22220001").note = "checked at the desk";
    });
    sim.editUser("R-OLD", (u) => {
      barcode(u, "22220003").segmentType = "External";
    });
    sim.editUser("R-DRIFT", (u) => {
      barcode(u, "ab220004").value = "AB220004";
    });
    const edited = Object.fromEntries(["R-ADD", "R-OLD", "R-DRIFT"].map((id) => [id, sim.getUser(id)!]));

    const revert = await runRevert({ cwd: ws, log, planDir: "plans/p1", out: "plans/r1" });
    const undone = await runApply({ cwd: ws, env, log, planDir: revert.planDir });
    expect(undone.updated).toBe(1); // R-REACT only
    for (const id of ["R-ADD", "R-OLD", "R-DRIFT"]) expect(sim.getUser(id)).toEqual(edited[id]);
    const results = JSON.parse(readFileSync(join(revert.planDir, "alma", "results.json"), "utf8")) as {
      results: { primary_id: string; status: string; message: string }[];
    };
    for (const id of ["R-ADD", "R-OLD", "R-DRIFT"]) {
      const r = results.results.find((x) => x.primary_id === id)!;
      expect(r.status).toBe("skipped");
      expect(r.message).toMatch(
        /^changed-since-apply: the user's BARCODE identifiers changed after the apply being reverted \(a value, its case, a status, a segment_type or a note; ACTIVE now: /,
      );
    }
  });

  it("reads the journal of an older patron-sync (value and status only) as before", async () => {
    workspace("deactivate");
    const log = memoryLogger();
    await runPlan({ cwd: ws, env, log, out: "plans/p1" });
    await runApply({ cwd: ws, env, log, planDir: "plans/p1" });
    // An older journal's fingerprint: "sha256:…" of the case-folded values and statuses.
    const journal = join(ws, "plans/p1/alma/journal.ndjson");
    const older = readFileSync(journal, "utf8")
      .split("\n")
      .map((l) => {
        if (!l.includes('"applied"')) return l;
        const line = JSON.parse(l) as { primary_id: string; applied: { after: string } };
        line.applied.after = barcodeFingerprint(parseUser(sim.getUserXml(line.primary_id)!), "BARCODE");
        return JSON.stringify(line);
      })
      .join("\n");
    writeFileSync(journal, older);
    rmSync(join(ws, "plans/p1/alma/results.json"));
    sim.editUser("R-ADD", (u) => {
      u.identifiers.find((i) => i.value === "22220001")!.note = "a note the old journal cannot see";
    });
    sim.editUser("R-OLD", (u) => {
      u.identifiers.find((i) => i.value === "22220003")!.status = "INACTIVE";
    });
    const revert = await runRevert({ cwd: ws, log, planDir: "plans/p1", out: "plans/r1" });
    const undone = await runApply({ cwd: ws, env, log, planDir: revert.planDir });
    expect(undone.updated).toBe(3); // R-ADD (its note is not in an older fingerprint), R-REACT, R-DRIFT
    const results = JSON.parse(readFileSync(join(revert.planDir, "alma", "results.json"), "utf8")) as {
      results: { primary_id: string; status: string; message: string }[];
    };
    expect(results.results.find((x) => x.primary_id === "R-OLD")!.message).toMatch(
      /^changed-since-apply: .*\(a value or a status; ACTIVE now: /,
    );
  });
});
