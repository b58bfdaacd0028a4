/**
 * Plan and apply against the Alma simulator on an ephemeral port: the whole Alma flow, as staff run it.
 */
import { parse } from "csv-parse/sync";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { runApply, runPlan } from "../../src/run.ts";
import { startAlmaSimulator, type AlmaSimulator } from "../../src/simulators/alma.ts";
import type { SeedUser } from "../../src/simulators/alma.ts";
import { fixture } from "../helpers/fixtures.ts";
import { removeTempDirs, tempDir } from "../helpers/tmp.ts";

afterEach(removeTempDirs);

const KEY = "test-key";

/** Three users modelled on real records: staff with role parameters, an external SIS student, a guest. */
function users(): SeedUser[] {
  return [
    { xml: fixture("alma/users/staff_roles.xml") },
    { xml: fixture("alma/users/external_sis.xml") },
    { xml: fixture("alma/users/guest_inactive.xml") },
    // Holds a barcode that the list gives to someone else: planned held-by-other (never PUT).
    {
      xml: '<user><record_type>PUBLIC</record_type><primary_id>HOLDER1</primary_id><first_name>Hold</first_name><last_name>Er</last_name><account_type>INTERNAL</account_type><status>ACTIVE</status><user_identifiers><user_identifier segment_type="Internal"><id_type>BARCODE</id_type><value>TAKEN-0001</value><status>ACTIVE</status></user_identifier></user_identifiers></user>',
    },
    {
      xml: "<user><record_type>PUBLIC</record_type><primary_id>P-TAKER</primary_id><first_name>Ta</first_name><last_name>Ker</last_name><account_type>INTERNAL</account_type><status>ACTIVE</status></user>",
    },
  ];
}

function workspace(patrons: string, barcodes: string, extra = ""): string {
  const dir = tempDir("ps-flow-");
  mkdirSync(join(dir, "data", "alma"), { recursive: true });
  writeFileSync(join(dir, "data", "alma", "patronlist_no_barcode.txt"), patrons);
  writeFileSync(join(dir, "data", "alma", "library_barcode_full_list.txt"), barcodes);
  writeFileSync(
    join(dir, "patron-sync.yml"),
    `alma:\n  patrons: data/alma/patronlist_no_barcode.txt\n  barcodes: data/alma/library_barcode_full_list.txt\n  concurrency: 4\n  rate_limit: 25\n  min_remaining: 0\n${extra}`,
  );
  return dir;
}

const PATRONS = "Primary Identifier\r\nE00417\r\nS0071234\r\nG00042\r\nNOBODY\r\nP-TAKER\r\n\r\nE00417\r\n";
const BARCODES = "E00417|21234000123456\nS0071234|21234000999999\nG00042|bc0003x\nP-TAKER|TAKEN-0001\n";

describe("Alma plan and apply against the simulator", () => {
  let sim: AlmaSimulator;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    sim = await startAlmaSimulator({ apiKey: KEY, users: users() });
    env = { ALMA_API_KEY: KEY, ALMA_BASE_URL: sim.url };
  });
  afterEach(async () => {
    await sim.close();
  });

  const barcodes = (id: string) =>
    (sim.getUser(id)?.identifiers ?? [])
      .filter((i) => i.idType === "BARCODE")
      .map((i) => `${i.value}:${i.status}:${i.segmentType ?? ""}`);

  it("plans read-only, writes the four files, then applies only what the plan showed", async () => {
    const ws = workspace(PATRONS, BARCODES);
    const log = memoryLogger();
    const putsBefore = sim.stats().byMethod.PUT ?? 0;
    const plan = await runPlan({ cwd: ws, env, log, out: "plans/p1" });
    expect(sim.stats().byMethod.PUT ?? 0).toBe(putsBefore); // the plan never writes

    const almaPlan = JSON.parse(readFileSync(join(plan.planDir, "alma", "plan.json"), "utf8"));
    const byId = Object.fromEntries(
      almaPlan.patrons.map((p: { primary_id: string; action: string }) => [p.primary_id, p.action]),
    );
    expect(byId).toEqual({
      E00417: "add",
      S0071234: "deactivate",
      G00042: "add",
      NOBODY: "not-found",
      "P-TAKER": "held-by-other",
    });
    expect(almaPlan.patrons.find((p: { primary_id: string }) => p.primary_id === "P-TAKER").holder).toBe(
      "HOLDER1",
    );
    expect(almaPlan.patrons.find((p: { primary_id: string }) => p.primary_id === "G00042").reactivate).toBe(
      true,
    );

    const all = readFileSync(join(plan.planDir, "alma", "all_patrons.xml"), "utf8");
    expect(all).toMatch(/^<\?xml[^>]*\?>\n<users total_record_count="4">/);
    expect(all).toContain("<user_roles>"); // as fetched
    const processed = readFileSync(join(plan.planDir, "alma", "processed_results.xml"), "utf8");
    expect(processed).toContain('<users total_record_count="3">');
    expect(processed).not.toContain("<user_roles>");
    expect(processed).toContain("<value>21234000123456</value>");
    const md = readFileSync(join(plan.planDir, "plan.md"), "utf8");
    expect(md).toContain("Listed more than once");
    expect(md).toMatch(/\| `not-found` \| 1 \|/);
    expect(md).toMatch(/\| `held-by-other` \| 1 \|/);
    expect(md).toContain("already held by another Alma user (primary ID HOLDER1)");
    expect(plan.title).toBe(
      "Patron sync plan: Alma 2 add · 1 deactivate · 0 replace, 1 held-by-other, 1 not-found",
    );
    // Who is affected: the staff member (roles) is among the rows to look at first, marked.
    const first = md.slice(md.indexOf("### Look at these first"), md.indexOf("### Other changes"));
    expect(first).toMatch(
      /\| E00417 \| [^|]+ \| [^|]+ \| `add` \| none → 21234000123456 \| \*\*staff\*\*, \*\*2 roles\*\* \|/,
    );
    expect(first).toContain("| S0071234 |");
    expect(first).toContain("20000111 → 21234000999999; 20000111 (INACTIVE)");
    const changes = parse<Record<string, string>>(
      readFileSync(join(plan.planDir, "alma", "changes.csv"), "utf8"),
      {
        columns: true,
      },
    );
    expect(changes.map((r) => [r.primary_id, r.action])).toEqual([
      ["E00417", "add"],
      ["S0071234", "deactivate"],
      ["G00042", "add"],
    ]);
    expect(changes[0]).toMatchObject({ staff_or_roles: "staff, 2 roles", segment: "Internal" }); // Patron is not counted
    expect(changes[0]!.name).not.toBe("");
    expect(changes[0]!.user_group).not.toBe("");
    expect(changes[2]).toMatchObject({ barcodes_after: expect.stringContaining("(INACTIVE → ACTIVE)") });
    expect(md).toContain("All 3 planned changes are in `alma/changes.csv`");

    const applied = await runApply({ cwd: ws, env, log, planDir: plan.planDir });
    expect(applied.updated).toBe(3);
    expect(applied.failed).toBe(0);
    const results = readFileSync(join(plan.planDir, "alma", "results.csv"), "utf8");
    expect(results.split("\n")[0]).toBe("primary_id,status,message");
    expect(results).toMatch(
      /P-TAKER,skipped,"?held-by-other: BARCODE TAKEN-0001 is already held by another Alma user \(primary ID HOLDER1\)/,
    );
    expect(sim.getUser("P-TAKER")!.identifiers).toEqual([]);

    // Staff: roles with ServiceUnit/CirculationDesk parameters kept, barcode added as Internal.
    const staff = sim.getUser("E00417")!;
    expect(staff.roles.length).toBe(3);
    expect(barcodes("E00417")).toEqual(["21234000123456:ACTIVE:Internal"]);
    expect(staff.identifiers.find((i) => i.idType === "UNIV_ID")?.value).toBe("0099417");
    // External SIS user: old External barcode INACTIVE, new Internal one ACTIVE, external_id kept.
    expect(barcodes("S0071234")).toEqual(["20000111:INACTIVE:External", "21234000999999:ACTIVE:Internal"]);
    expect(sim.getUser("S0071234")!.externalId).toBe("SIS");
    // Guest: the INACTIVE copy reactivated, not duplicated; the PIN kept.
    expect(barcodes("G00042")).toEqual([
      "BC0001:INACTIVE:Internal",
      "BC0002:INACTIVE:Internal",
      "bc0003X:ACTIVE:Internal",
    ]);
    expect(sim.getUser("G00042")!.pinSet).toBe(true);
  });

  it("a second apply sends nothing and reports the done records unchanged", async () => {
    const ws = workspace(PATRONS, BARCODES);
    const plan = await runPlan({ cwd: ws, env, log: memoryLogger(), out: "plans/p" });
    await runApply({ cwd: ws, env, log: memoryLogger(), planDir: plan.planDir });
    const puts = sim.stats().byMethod.PUT ?? 0;
    const again = await runApply({ cwd: ws, env, log: memoryLogger(), planDir: plan.planDir });
    const alma = again.sections[0]!;
    expect(alma.counts.updated ?? 0).toBe(0);
    expect(alma.counts.unchanged).toBe(3);
    expect(sim.stats().byMethod.PUT ?? 0).toBe(puts); // nothing failed, so nothing is tried again
    // Each apply adds a dated section to results.md and an entry to results.json's history.
    expect(again.title).toBe("Patron sync results: Alma 3 unchanged · 2 skipped");
    const resultsMd = readFileSync(join(plan.planDir, "results.md"), "utf8");
    expect(resultsMd.split("\n")[0]).toBe(`# ${again.title}`);
    expect(resultsMd.match(/^## Apply of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/gm)).toHaveLength(2);
    const history = JSON.parse(readFileSync(join(plan.planDir, "alma", "results.json"), "utf8")).history;
    expect(history.map((h: { counts: Record<string, number> }) => h.counts.updated ?? 0)).toEqual([3, 0]);
    expect(barcodes("E00417")).toEqual(["21234000123456:ACTIVE:Internal"]);
  });

  it("a user whose barcodes changed since the plan is skipped, never overwritten", async () => {
    const ws = workspace("S0071234\nE00417\n", BARCODES);
    const plan = await runPlan({ cwd: ws, env, log: memoryLogger(), out: "plans/p" });
    // A librarian edits the student between plan and apply.
    sim.editUser("S0071234", (u) => {
      u.identifiers.push({
        idType: "BARCODE",
        value: "HAND-ENTERED",
        status: "ACTIVE",
        segmentType: "Internal",
      });
    });
    // ...and someone renames the staff member: not a barcode change, so the edit must survive.
    sim.editUser("E00417", (u) => {
      u.firstName = "Zoé";
    });
    const applied = await runApply({ cwd: ws, env, log: memoryLogger(), planDir: plan.planDir });
    const results = readFileSync(join(plan.planDir, "alma", "results.csv"), "utf8");
    expect(results).toMatch(/S0071234,skipped,"?changed-since-plan/);
    expect(applied.updated).toBe(1);
    expect(barcodes("S0071234")).toContain("HAND-ENTERED:ACTIVE:Internal");
    expect(barcodes("S0071234")).not.toContain("21234000999999:ACTIVE:Internal");
    expect(sim.getUser("E00417")!.firstName).toBe("Zoé");
    expect(barcodes("E00417")).toEqual(["21234000123456:ACTIVE:Internal"]);
  });

  it("conflicting barcode lines are reported and neither entry is applied", async () => {
    const ws = workspace(
      "E00417\nS0071234\nG00042\n",
      "E00417|B-1\nE00417|B-2\nS0071234|SAME\nG00042|same\n",
    );
    const plan = await runPlan({ cwd: ws, env, log: memoryLogger(), out: "plans/p" });
    expect(plan.sections[0]!.counts).toEqual({ conflict: 3 });
    expect(plan.changes).toBe(0);
    const md = readFileSync(join(plan.planDir, "plan.md"), "utf8");
    expect(md).toContain("Conflicts in");
    const puts = sim.stats().byMethod.PUT ?? 0;
    await runApply({ cwd: ws, env, log: memoryLogger(), planDir: plan.planDir });
    expect(sim.stats().byMethod.PUT ?? 0).toBe(puts);
  });

  it("bad input: exit-2 error naming file and line, and not one API call", async () => {
    const ws = workspace("E00417\nbad id here\n", "E00417|B1\nS0071234\n");
    const calls = sim.stats().calls;
    const err = await runPlan({ cwd: ws, env, log: memoryLogger(), out: "plans/p" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    const text = (err as InputError).message;
    expect(text).toMatch(/data\/alma\/patronlist_no_barcode.txt:2:\d+/);
    expect(text).toMatch(/data\/alma\/library_barcode_full_list.txt:2/);
    expect(sim.stats().calls).toBe(calls);
  });

  it("a missing file or a missing API key is refused before any call", async () => {
    const ws = workspace("E00417\n", "E00417|B1\n");
    writeFileSync(join(ws, "patron-sync.yml"), "alma:\n  patrons: data/alma/missing.txt\n");
    await expect(runPlan({ cwd: ws, env, log: memoryLogger(), out: "plans/p" })).rejects.toThrow(
      /missing.txt/,
    );
    const ws2 = workspace("E00417\n", "E00417|B1\n");
    await expect(
      runPlan({ cwd: ws2, env: { ALMA_BASE_URL: sim.url }, log: memoryLogger(), out: "plans/p" }),
    ).rejects.toThrow(
      /no Alma API key: a plan only reads, so a read-only key is enough: .* ALMA_READ_API_KEY/,
    );
    expect(sim.stats().calls).toBe(0);
    expect(existsSync(join(ws2, "plans", "p"))).toBe(false);
  });

  it("a record that arrives cut short is failed: nothing is planned from it or written back", async () => {
    // A proxy in front of the simulator answers HTTP 200 with half of E00417's record.
    let cutGets = true;
    const proxy = createServer((req, res) => {
      const upstream = request(
        new URL(req.url!, sim.url),
        { method: req.method, headers: req.headers },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on("data", (c: Buffer) => chunks.push(c));
          answer.on("end", () => {
            let body = Buffer.concat(chunks);
            if (cutGets && req.method === "GET" && req.url!.includes("/E00417"))
              body = body.subarray(0, body.length >> 1);
            res.writeHead(answer.statusCode!, { ...answer.headers, "content-length": body.length });
            res.end(body);
          });
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((ok) => proxy.listen(0, "127.0.0.1", ok));
    const viaProxy = { ...env, ALMA_BASE_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` };
    try {
      const ws = workspace("E00417\nS0071234\n", BARCODES);
      const cutPlan = await runPlan({ cwd: ws, env: viaProxy, log: memoryLogger(), out: "plans/cut" });
      const entries = JSON.parse(readFileSync(join(cutPlan.planDir, "alma", "plan.json"), "utf8")).patrons;
      const staff = entries.find((p: { primary_id: string }) => p.primary_id === "E00417");
      expect(staff.action).toBe("failed");
      expect(staff.message).toMatch(/could not be read: not well-formed XML/);
      expect(entries.find((p: { primary_id: string }) => p.primary_id === "S0071234").action).toBe(
        "deactivate",
      );

      // Planned from a whole record, then cut short on apply's re-read: not sent.
      cutGets = false;
      const plan = await runPlan({ cwd: ws, env: viaProxy, log: memoryLogger(), out: "plans/whole" });
      cutGets = true;
      const puts = sim.stats().byMethod.PUT ?? 0;
      const applied = await runApply({ cwd: ws, env: viaProxy, log: memoryLogger(), planDir: plan.planDir });
      const results = readFileSync(join(plan.planDir, "alma", "results.csv"), "utf8");
      expect(results).toMatch(/E00417,failed,.*not well-formed XML/);
      expect(applied.updated).toBe(1);
      expect(sim.stats().byMethod.PUT ?? 0).toBe(puts + 1); // S0071234 only
      expect(sim.getUser("E00417")!.roles.length).toBe(3);
      expect(barcodes("E00417")).toEqual([]);
    } finally {
      await new Promise((ok) => proxy.close(ok));
    }
  });
});
