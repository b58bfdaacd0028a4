/**
 * Field updates (alma.updates, issue #20 §3–§4) planned and applied against the Alma simulator: one GET
 * and one PUT per user, only the planned fields differ, drift is skipped, a user in both lists gets one PUT.
 */
import { parse } from "csv-parse/sync";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { runApply, runPlan, runRevert } from "../../src/run.ts";
import { startAlmaSimulator, type AlmaSimulator, type SeedUser } from "../../src/simulators/alma.ts";
import { removeTempDirs, tempDir } from "../helpers/tmp.ts";

afterEach(removeTempDirs);
const KEY = "k";

const user = (id: string, extra: string, account = "INTERNAL") =>
  `<user><record_type desc="Public">PUBLIC</record_type><primary_id>${id}</primary_id><first_name>F${id}</first_name><last_name>L${id}</last_name>` +
  `<job_category desc=""/><user_group desc="Undergraduate">UG</user_group><campus_code desc=""/><preferred_language desc="English">en</preferred_language>` +
  `<expiry_date>2026-06-30Z</expiry_date><purge_date>2027-06-30Z</purge_date><account_type desc="${account === "EXTERNAL" ? "External" : "Internal"}">${account}</account_type>` +
  (account === "EXTERNAL" ? "<external_id>SIS</external_id>" : "") +
  `<status desc="Active">ACTIVE</status><contact_info><emails><email preferred="true" segment_type="Internal"><email_address>${id.toLowerCase()}@old.example.edu</email_address><email_types><email_type desc="School">school</email_type></email_types></email></emails></contact_info>` +
  `<user_identifiers><user_identifier segment_type="Internal"><id_type desc="University ID">UNIV_ID</id_type><value>9${id}</value><status>ACTIVE</status></user_identifier>${extra}</user_identifiers>` +
  `<user_roles><user_role><status desc="Active">ACTIVE</status><scope desc="Main Library">MAIN</scope><role_type desc="Circulation Desk Manager">221</role_type><parameters><parameter><type>CirculationDesk</type><scope>MAIN</scope><value>DEFAULT_CIRC_DESK</value></parameter></parameters></user_role></user_roles></user>`;

function users(): SeedUser[] {
  return [
    { xml: user("U1", "") },
    { xml: user("U2", "") },
    { xml: user("U3", "", "EXTERNAL") },
    { xml: user("U4", "") },
  ];
}

function workspace(updates: string, extra = ""): string {
  const dir = tempDir("ps-fields-");
  mkdirSync(join(dir, "data", "alma"), { recursive: true });
  writeFileSync(join(dir, "data", "alma", "user_updates.csv"), updates);
  writeFileSync(
    join(dir, "patron-sync.yml"),
    `alma:\n  updates: data/alma/user_updates.csv\n  concurrency: 2\n  rate_limit: 25\n  min_remaining: 0\n${extra}`,
  );
  return dir;
}

const UPDATES =
  "primary_id,expiry_date,user_group,status,email\n" +
  "U1,2027-06-30,,,u1@new.example.edu\n" +
  "U2,2027-06-30,GRAD,INACTIVE,\n" +
  "U3,2027-06-30,GRAD,,\n" +
  "U4,2026-06-30,,,\n";

describe("field updates against the simulator", () => {
  let sim: AlmaSimulator;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    sim = await startAlmaSimulator({ apiKey: KEY, users: users() });
    env = { ALMA_API_KEY: KEY, ALMA_BASE_URL: sim.url };
  });
  afterEach(async () => {
    await sim.close();
  });

  it("plans every field before → after, headlines counts by field, and applies exactly the plan", async () => {
    sim.editUser("U1", (u) => {
      u.pinSet = true; // a PIN the PUT must keep (GET shows it empty)
    });
    const ws = workspace(UPDATES);
    const plan = await runPlan({ cwd: ws, env, log: memoryLogger(), out: "plans/p" });
    const entries = JSON.parse(readFileSync(join(plan.planDir, "alma", "plan.json"), "utf8")).patrons;
    const u2 = entries.find((e: { primary_id: string }) => e.primary_id === "U2");
    expect(u2.action).toBe("update");
    expect(u2.fields).toEqual([
      { field: "user_group", before: "UG", after: "GRAD", desc: "Graduate" },
      { field: "expiry_date", before: "2026-06-30", after: "2027-06-30" },
      { field: "status", before: "ACTIVE", after: "INACTIVE" },
    ]);
    const u4 = entries.find((e: { primary_id: string }) => e.primary_id === "U4");
    expect(u4).toMatchObject({ action: "unchanged", message: "every field is already as asked" });
    const u3 = entries.find((e: { primary_id: string }) => e.primary_id === "U3");
    expect(u3.override).toEqual(["user_group"]);
    expect(u3.warning).toMatch(/^EXTERNAL user .* a later SIS load may restore user_group, expiry_date/);

    // What auto_apply checks: each field's changes (issue #20 §6).
    const manifest = JSON.parse(readFileSync(join(plan.planDir, "plan.json"), "utf8"));
    expect(manifest.sections[0].policyCounts).toEqual({
      "update:user_group": 2,
      "update:expiry_date": 3,
      "update:status": 1,
      "update:email": 1,
    });
    const md = readFileSync(join(plan.planDir, "plan.md"), "utf8");
    expect(md).toContain("**3 update: user_group 2 · expiry_date 3 · status 1 · email 1, 1 unchanged**");
    const first = md.indexOf("#### Look at these first");
    expect(first).toBeGreaterThan(0);
    expect(md.slice(first, md.indexOf("#### Other field updates"))).toMatch(
      /\| U2 \| .* \| user group UG → GRAD; deactivated \(status INACTIVE\) \|/,
    );
    expect(md.slice(md.indexOf("#### Other field updates"))).toMatch(
      /\| U1 \| .*email: u1@\u2060old\.example\.edu → u1@\u2060new\.example\.edu/,
    );
    const csv = parse<Record<string, string>>(
      readFileSync(join(plan.planDir, "alma", "changes.csv"), "utf8"),
      {
        columns: true,
      },
    );
    expect(csv.map((r) => r.primary_id)).toEqual(["U1", "U2", "U3"]);
    expect(csv[1]).toMatchObject({
      user_group_old: "UG",
      user_group_new: "GRAD",
      status_old: "ACTIVE",
      status_new: "INACTIVE",
      email_old: "",
      email_new: "",
    });

    const before = { u1: sim.getUser("U1")!, u2: sim.getUser("U2")! };
    const gets = sim.stats().byMethod.GET ?? 0;
    const applied = await runApply({ cwd: ws, env, log: memoryLogger(), planDir: plan.planDir });
    expect(applied.updated).toBe(3);
    expect(applied.failed).toBe(0);
    expect(sim.stats().byMethod.PUT).toBe(3); // one PUT per changed user
    expect((sim.stats().byMethod.GET ?? 0) - gets).toBe(3); // one re-read each
    const u2After = sim.getUser("U2")!;
    expect([u2After.userGroup, u2After.status, u2After.expiryDate]).toEqual([
      "GRAD",
      "INACTIVE",
      "2027-06-30Z",
    ]);
    // Nothing outside the plan changed: roles, PIN and identifiers as they were.
    expect(u2After.roles).toEqual(before.u2.roles);
    expect(u2After.identifiers).toEqual(before.u2.identifiers);
    const u1After = sim.getUser("U1")!;
    expect(u1After.contactInfo.emails[0]!.emailAddress).toBe("u1@new.example.edu");
    expect(u1After.contactInfo.emails[0]!.emailTypes).toEqual(before.u1.contactInfo.emails[0]!.emailTypes);
    expect(u1After.pinSet).toBe(true);
    expect(u1After.userGroup).toBe("UG");
    // The EXTERNAL user's group is replaced because the PUT named it in override.
    expect(sim.getUser("U3")!.userGroup).toBe("GRAD");
  });

  it("a field changed since the plan is skipped as changed-since-plan; the others are written", async () => {
    const ws = workspace(UPDATES);
    const plan = await runPlan({ cwd: ws, env, log: memoryLogger(), out: "plans/p" });
    sim.editUser("U2", (u) => {
      u.userGroup = "STAFF";
    });
    const applied = await runApply({ cwd: ws, env, log: memoryLogger(), planDir: plan.planDir });
    expect(applied.failed).toBe(0);
    const u2 = sim.getUser("U2")!;
    expect(u2.userGroup).toBe("STAFF"); // never overwritten
    expect(u2.status).toBe("INACTIVE");
    const results = readFileSync(join(plan.planDir, "alma", "results.csv"), "utf8");
    expect(results).toMatch(
      /U2,updated,.*changed-since-plan: user_group is now 'STAFF', not 'UG' as planned/,
    );
  });

  it("a user in both the patron list and the updates gets one GET and one PUT carrying both changes", async () => {
    const ws = workspace(
      "primary_id,expiry_date\nU1,2027-06-30\n",
      "  patrons: data/alma/patrons.txt\n  barcodes: data/alma/barcodes.txt\n  check_holders: false\n",
    );
    writeFileSync(join(ws, "data", "alma", "patrons.txt"), "U1\n");
    writeFileSync(join(ws, "data", "alma", "barcodes.txt"), "9U1|B-0001\n");
    writeFileSync(
      join(ws, "patron-sync.yml"),
      readFileSync(join(ws, "patron-sync.yml"), "utf8") + "  match_on: UNIV_ID\n",
    );
    writeFileSync(join(ws, "data", "alma", "user_updates.csv"), "UNIV_ID,expiry_date\n9U1,2027-06-30\n");
    const plan = await runPlan({ cwd: ws, env, log: memoryLogger(), out: "plans/p" });
    const entries = JSON.parse(readFileSync(join(plan.planDir, "alma", "plan.json"), "utf8")).patrons;
    expect(entries[0]).toMatchObject({ primary_id: "U1", action: "add", new_barcode: "B-0001" });
    expect(entries[0].fields).toEqual([{ field: "expiry_date", before: "2026-06-30", after: "2027-06-30" }]);
    expect(entries[1]).toMatchObject({
      primary_id: "9U1",
      action: "unchanged",
      message: "user U1 is planned with line 1 of the patron list (one GET and one PUT)",
    });
    expect(entries[0].update_id).toBe("9U1");
    const puts = sim.stats().byMethod.PUT ?? 0;
    const applied = await runApply({ cwd: ws, env, log: memoryLogger(), planDir: plan.planDir });
    expect(applied.updated).toBe(1);
    expect((sim.stats().byMethod.PUT ?? 0) - puts).toBe(1);
    const u1 = sim.getUser("U1")!;
    expect(u1.expiryDate).toBe("2027-06-30Z");
    expect(u1.identifiers.map((i) => i.value)).toEqual(["9U1", "B-0001"]);
  });

  it("codes are checked against Alma's code tables before any user is read; an unknown one stops the plan at its cell", async () => {
    const ws = workspace("primary_id,user_group,preferred_language\nU1,GRAD,en\nU2,GRADD,xx\nU3,ALUMNI,\n");
    const gets = () => sim.requests().filter((r) => r.url.includes("/users/")).length;
    const e = await runPlan({ cwd: ws, env, log: memoryLogger(), out: "plans/p" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.message}`)).toEqual([
      "data/alma/user_updates.csv:3:4 user_group 'GRADD' is not a code in Alma's UserGroups code table",
      "data/alma/user_updates.csv:3:10 preferred_language 'xx' is not a code in Alma's UserPreferredLanguage code table",
      "data/alma/user_updates.csv:4:4 user_group 'ALUMNI' is not a code in Alma's UserGroups code table", // disabled
    ]);
    expect(gets()).toBe(0);
  });

  it("a key that may not read the configuration: the plan says once that codes were not checked, and Alma refuses a bad code at apply", async () => {
    sim.codeTables.configure({ allowed: false });
    const ws = workspace("primary_id,user_group,campus_code\nU1,GRAD,MAIN\nU2,NOPE,\n");
    const plan = await runPlan({ cwd: ws, env, log: memoryLogger(), out: "plans/p" });
    const md = readFileSync(join(plan.planDir, "plan.md"), "utf8");
    expect(md.match(/Codes not checked against Alma/g)).toHaveLength(1);
    expect(md).toContain(
      "Codes not checked against Alma: user_group (the API key may not read Alma's configuration: give it the Configuration API, read-only); campus_code (Alma has no code table for it). An unknown code is refused by Alma when the change is applied.",
    );
    const applied = await runApply({ cwd: ws, env, log: memoryLogger(), planDir: plan.planDir });
    expect(applied.updated).toBe(1);
    expect(applied.failed).toBe(1);
    expect(readFileSync(join(plan.planDir, "alma", "results.csv"), "utf8")).toMatch(
      /U2,failed,.*Given user_group type \(NOPE\) is invalid/,
    );
    const u1 = sim.getUser("U1")!;
    expect([u1.userGroup, u1.userGroupDesc, u1.campusCode]).toEqual(["GRAD", "Graduate", "MAIN"]);
  });

  it("revert puts each field back, skips one changed since the apply, and stays reverted", async () => {
    const ws = workspace(UPDATES);
    const log = memoryLogger();
    await runPlan({ cwd: ws, env, log, out: "plans/p1" });
    await runApply({ cwd: ws, env, log, planDir: "plans/p1" });
    sim.editUser("U1", (u) => {
      u.expiryDate = "2029-01-01Z"; // edited by hand after the apply
    });
    const before = sim.getUser("U2")!;
    const revert = await runRevert({ cwd: ws, log, planDir: "plans/p1", out: "plans/r1" });
    expect(revert.changes).toBe(3);
    const md = readFileSync(join(revert.planDir, "plan.md"), "utf8");
    expect(md).toContain("Fields the apply set (user group, dates, status, …) are put back");
    expect(md).toMatch(
      /\| U2 \| \d+ \| undo plans\/p1 \(update\); put back user_group GRAD → UG; expiry_date 2027-06-30 → 2026-06-30; status INACTIVE → ACTIVE \|/,
    );
    const undone = await runApply({ cwd: ws, env, log, planDir: "plans/r1" });
    expect(undone.failed).toBe(0);
    const u2 = sim.getUser("U2")!;
    expect([u2.userGroup, u2.expiryDate, u2.status]).toEqual(["UG", "2026-06-30Z", "ACTIVE"]);
    expect(u2.roles).toEqual(before.roles);
    const u1 = sim.getUser("U1")!;
    expect(u1.expiryDate).toBe("2029-01-01Z"); // drift: not overwritten
    expect(u1.contactInfo.emails[0]!.emailAddress).toBe("u1@old.example.edu"); // the other field put back
    expect(readFileSync(join(revert.planDir, "alma", "results.csv"), "utf8")).toMatch(
      /U1,updated,.*changed-since-apply: expiry_date is now '2029-01-01', not '2027-06-30' as the apply set it/,
    );
    expect(sim.getUser("U3")!.userGroup).toBe("UG"); // EXTERNAL: put back through override

    // The next plan from the same updates file does not set the reverted fields again.
    const next = await runPlan({ cwd: ws, env, log, out: "plans/p2" });
    const entries = JSON.parse(readFileSync(join(next.planDir, "alma", "plan.json"), "utf8")).patrons;
    const n2 = entries.find((e: { primary_id: string }) => e.primary_id === "U2");
    expect(n2.action).toBe("held");
    expect(
      n2.fields.every((f: { held?: string }) => f.held?.startsWith("held: undone by revert plans/r1")),
    ).toBe(true);
    // U1 is held whole, the hand-edited expiry_date too: the revert's intent (undo) is kept, not re-set.
    const n1 = entries.find((e: { primary_id: string }) => e.primary_id === "U1");
    expect(n1.fields.map((f: { field: string; held?: string }) => [f.field, !!f.held])).toEqual([
      ["expiry_date", true],
      ["email", true],
    ]);
  });
});
