import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { runPlan } from "../../src/run.ts";
import { diffRoster } from "../../src/infiniti/diff.ts";
import type { InfinitiPlanFile } from "../../src/infiniti/planfile.ts";
import { parseState, stateCsv } from "../../src/infiniti/state.ts";
import { validateRoster } from "../../src/infiniti/validate.ts";
import { passwordFingerprint } from "../../src/infiniti/values.ts";
import { removeTempDirs, tempDir } from "../helpers/tmp.ts";

afterEach(removeTempDirs);

const ROSTER = [
  "UserName,GivenName,Surname,EmailAddress,GraduationYear,Password,Enabled,StaffMember",
  'zoe,Zoë,"Hartley, Jr.",zoe@school.example,2027,Secret-Zoe-1,Yes,N',
  "lukasz,Łukasz,Nowak,lukasz@school.example,2026,,y,n",
  "rachel,Rachel,Fairweather,rachel@school.example,,,y,y",
].join("\r\n");

function workspace(roster: string, extra = "", state?: string): string {
  const dir = tempDir("ps-inf-plan-");
  mkdirSync(join(dir, "data", "infiniti"), { recursive: true });
  writeFileSync(join(dir, "data", "infiniti", "users.csv"), roster);
  writeFileSync(
    join(dir, "patron-sync.yml"),
    `infiniti:\n  users: data/infiniti/users.csv\n  url: https://school.concordinfiniti.example\n${extra}`,
  );
  if (state !== undefined) {
    mkdirSync(join(dir, "state", "infiniti"), { recursive: true });
    writeFileSync(join(dir, "state", "infiniti", "applied.csv"), state);
  }
  return dir;
}

/** A state as apply writes it, from plain rows (passwords fingerprinted). */
function state(rows: Record<string, string>[]): string {
  const users = new Map<string, Record<string, string>>();
  for (const r of rows) {
    const v = { ...r };
    if (v.password !== undefined) v.password = passwordFingerprint(v.username!, v.password);
    users.set(v.username!.toLowerCase(), v);
  }
  return stateCsv({ columns: Object.keys(rows[0] ?? {}), users });
}

const APPLIED = [
  {
    username: "zoe",
    givenname: "Zoë",
    surname: "Hartley, Jr.",
    emailaddress: "zoe@school.example",
    graduationyear: "2027",
    password: "Secret-Zoe-1",
    enabled: "y",
    staffmember: "n",
  },
  {
    username: "Rachel",
    givenname: "Rachel",
    surname: "Fairweather",
    emailaddress: "rachel.old@school.example",
    graduationyear: "",
    password: "",
    enabled: "y",
    staffmember: "y",
  },
  {
    username: "gone",
    givenname: "Gone",
    surname: "Away",
    emailaddress: "gone@school.example",
    graduationyear: "2025",
    password: "",
    enabled: "y",
    staffmember: "n",
  },
];

async function plan(dir: string) {
  const log = memoryLogger();
  const outcome = await runPlan({ cwd: dir, env: {}, log, out: "plans/p" });
  const p = JSON.parse(
    readFileSync(join(outcome.planDir, "infiniti", "plan.json"), "utf8"),
  ) as InfinitiPlanFile;
  const csv = readFileSync(join(outcome.planDir, "infiniti", "import.csv"), "utf8");
  const md = readFileSync(join(outcome.planDir, "plan.md"), "utf8");
  const section = outcome.sections.find((s) => s.system === "infiniti")!;
  return { outcome, plan: p, csv, md, section, log };
}

const actions = (p: InfinitiPlanFile) => Object.fromEntries(p.users.map((u) => [u.username, u.action]));

describe("Infiniti plan: first run (no applied state)", () => {
  it("plans every user as create and writes the exact bytes to post", async () => {
    const { plan: p, csv, section, outcome } = await plan(workspace(ROSTER));
    expect(actions(p)).toEqual({ zoe: "create", lukasz: "create", rachel: "create" });
    expect(csv).toBe(
      [
        "username,givenname,surname,emailaddress,graduationyear,password,enabled,staffmember",
        'zoe,Zoë,"Hartley, Jr.",zoe@school.example,2027,Secret-Zoe-1,y,n',
        "lukasz,Łukasz,Nowak,lukasz@school.example,2026,,y,n",
        "rachel,Rachel,Fairweather,rachel@school.example,,,y,y",
        "",
      ].join("\n"),
    );
    expect(p.import.sha256).toBe(createHash("sha256").update(csv).digest("hex"));
    expect(p.import).toMatchObject({ rows: 3, line_endings: "LF", file: "infiniti/import.csv" });
    expect(p.users.map((u) => [u.username, u.import_row, u.line])).toEqual([
      ["zoe", 1, 2],
      ["lukasz", 2, 3],
      ["rachel", 3, 4],
    ]);
    expect(p).toMatchObject({ mode: "incremental", disable_missing: false, sent: 3, counts: { create: 3 } });
    expect(p.state).toMatchObject({ file: "state/infiniti/applied.csv", existed: false });
    expect(section).toMatchObject({
      system: "infiniti",
      counts: { create: 3 },
      changes: 3,
      headline: "3 create · 0 update · 0 disable",
      files: ["infiniti/import.csv", "infiniti/plan.json", "infiniti/changes.csv"],
    });
    expect(outcome.title).toBe("Patron sync plan: Infiniti 3 create · 0 update · 0 disable");
  });

  it("never writes a password into plan.json or plan.md (but import.csv carries it)", async () => {
    const { plan: p, csv, md, outcome } = await plan(workspace(ROSTER));
    const planJson = readFileSync(join(outcome.planDir, "infiniti", "plan.json"), "utf8");
    const manifest = readFileSync(join(outcome.planDir, "plan.json"), "utf8");
    for (const text of [planJson, md, manifest]) expect(text).not.toContain("Secret-Zoe-1");
    expect(csv).toContain("Secret-Zoe-1");
    expect(p.users[0]!.changes).toContainEqual({ field: "password", old: "", new: "•••" });
    // New users are a table of their columns: the password column shows •••.
    expect(md).toMatch(
      /\| zoe \| 1 \| 2 \| Zoë \| Hartley, Jr\. \| zoe@\u2060school\.example \| 2027 \| ••• \|/,
    );
    const changes = readFileSync(join(outcome.planDir, "infiniti", "changes.csv"), "utf8");
    expect(changes).not.toContain("Secret-Zoe-1");
    expect(changes).toContain(
      'zoe,"Zoë Hartley, Jr.",create,Zoë,"Hartley, Jr.",zoe@school.example,2027,•••,y,n',
    );
  });

  it("renders the headline and counts first, then new users as a table of their columns", async () => {
    const { md } = await plan(workspace(ROSTER));
    const section = md.slice(md.indexOf("## Concord Infiniti"));
    expect(section).toContain("**3 create · 0 update · 0 disable**");
    expect(section.indexOf("| `create` | 3 |")).toBeGreaterThan(0);
    expect(section.indexOf("| `create` | 3 |")).toBeLessThan(section.indexOf("### New (3)"));
    expect(section).toContain(
      "| Username | Row | Line | givenname | surname | emailaddress | graduationyear | password | enabled | staffmember |",
    );
    // E-mail addresses cannot autolink: a word joiner follows the @.
    expect(section).not.toContain("zoe@school.example");
    expect(section).toContain("All 3 changes are in `infiniti/changes.csv`");
    expect(section).toContain("does not exist yet: nothing has been applied");
  });

  it("refuses an invalid roster with exit-2 input errors and writes no plan", async () => {
    const dir = workspace("username,enabled,staffmember\nzoe,maybe,y\n");
    await expect(runPlan({ cwd: dir, env: {}, log: memoryLogger(), out: "plans/p" })).rejects.toBeInstanceOf(
      InputError,
    );
    expect(existsSync(join(dir, "plans", "p", "infiniti", "import.csv"))).toBe(false);
  });
});

describe("Infiniti plan: incremental against the applied state", () => {
  it("sends only new and changed users, showing old → new", async () => {
    const { plan: p, csv, section, md } = await plan(workspace(ROSTER, "", state(APPLIED)));
    expect(actions(p)).toEqual({ zoe: "unchanged", lukasz: "create", rachel: "update" });
    expect(p.users.find((u) => u.username === "rachel")!.changes).toEqual([
      { field: "username", old: "Rachel", new: "rachel" },
      { field: "emailaddress", old: "rachel.old@school.example", new: "rachel@school.example" },
    ]);
    expect(csv.split("\n").map((l) => l.split(",")[0])).toEqual(["username", "lukasz", "rachel", ""]);
    expect(section).toMatchObject({ counts: { unchanged: 1, create: 1, update: 1 }, changes: 2 });
    expect(section.headline).toBe("1 create · 1 update · 0 disable, 1 unchanged");
    expect(md).toContain("emailaddress: rachel.old@\u2060school.example → rachel@\u2060school.example");
    expect(md).toContain("1 user in the applied state is no longer in the roster and left as they are");
    expect(p.users.find((u) => u.username === "zoe")).toMatchObject({ sent: false });
    expect(p.users.find((u) => u.username === "zoe")!.import_row).toBeUndefined();
  });

  it("compares normalised values: yes/Y/true and trimmed text are no change", async () => {
    const roster = "username , enabled,staffmember,givenname\n  zoe  ,TRUE,Yes,  Zoë \n";
    const applied = stateCsv({
      columns: ["username", "enabled", "staffmember", "givenname"],
      users: new Map([["zoe", { username: "zoe", enabled: "y", staffmember: "y", givenname: "Zoë" }]]),
    });
    const { plan: p, section } = await plan(workspace(roster, "", applied));
    expect(actions(p)).toEqual({ zoe: "unchanged" });
    expect(section).toMatchObject({ changes: 0, headline: "0 create · 0 update · 0 disable, 1 unchanged" });
  });

  it("notices a changed password without showing it", async () => {
    const roster = ROSTER.replace("Secret-Zoe-1", "Secret-Zoe-2");
    const { plan: p, md } = await plan(workspace(roster, "", state(APPLIED)));
    expect(p.users.find((u) => u.username === "zoe")).toMatchObject({
      action: "update",
      changes: [{ field: "password", old: "•••", new: "•••" }],
    });
    expect(md).not.toContain("Secret-Zoe");
    expect(md).toContain("password: ••• → •••");
  });

  it("says so when nothing changed, with an import of just the header", async () => {
    const applied = state([
      { ...APPLIED[0]! },
      { ...APPLIED[1]!, username: "rachel", emailaddress: "rachel@school.example" },
      {
        ...APPLIED[0]!,
        username: "lukasz",
        givenname: "Łukasz",
        surname: "Nowak",
        emailaddress: "lukasz@school.example",
        graduationyear: "2026",
        password: "",
      },
    ]);
    const { plan: p, csv, section, md } = await plan(workspace(ROSTER, "", applied));
    expect(p.counts).toEqual({ unchanged: 3 });
    expect(p.sent).toBe(0);
    expect(csv).toBe("username,givenname,surname,emailaddress,graduationyear,password,enabled,staffmember\n");
    expect(section.headline).toBe("0 create · 0 update · 0 disable, 3 unchanged");
    expect(md).toContain("Nothing to send: apply will post nothing.");
  });
});

describe("Infiniti plan: full mode and disable_missing", () => {
  it("full mode sends every roster user, unchanged ones marked as such", async () => {
    const { plan: p, csv, section, md } = await plan(workspace(ROSTER, "  mode: full\n", state(APPLIED)));
    expect(actions(p)).toEqual({ zoe: "unchanged", lukasz: "create", rachel: "update" });
    expect(p.users.every((u) => u.sent)).toBe(true);
    expect(p.users.map((u) => u.import_row)).toEqual([1, 2, 3]);
    expect(csv.trim().split("\n")).toHaveLength(4);
    expect(section).toMatchObject({ changes: 3, counts: { unchanged: 1, create: 1, update: 1 } });
    expect(section.headline).toBe("1 create · 1 update · 0 disable, 1 unchanged (sent again, full mode)");
    expect(md).toContain("| `unchanged` | 1 | as last applied: sent again (`mode: full`) |");
    expect(md).toContain("1 unchanged user also sent again (`mode: full`).");
  });

  it("disable_missing sends users gone from the roster with enabled=n and their last values", async () => {
    const {
      plan: p,
      csv,
      section,
    } = await plan(workspace(ROSTER, "  disable_missing: true\n", state(APPLIED)));
    expect(actions(p)).toMatchObject({ gone: "disable" });
    const gone = p.users.find((u) => u.username === "gone")!;
    expect(gone).toMatchObject({
      sent: true,
      import_row: 3,
      changes: [{ field: "enabled", old: "y", new: "n" }],
    });
    expect(gone.line).toBeUndefined();
    expect(csv.trim().split("\n").at(-1)).toBe("gone,Gone,Away,gone@school.example,2025,,n,n");
    expect(section.headline).toBe("1 create · 1 update · 1 disable, 1 unchanged");
  });

  it("does not disable a user twice", async () => {
    const applied = state([{ ...APPLIED[2]!, enabled: "n" }]);
    const { plan: p } = await plan(workspace(ROSTER, "  disable_missing: true\n", applied));
    expect(p.users.some((u) => u.username === "gone")).toBe(false);
    expect(p.state.missing).toBe(1);
  });
});

describe("diffRoster", () => {
  it("keys by username case-insensitively and treats a column new to the roster as changed only when set", () => {
    const roster = validateRoster("username,enabled,staffmember,formclass\nZOE,y,y,\nbob,y,y,7A\n", "r.csv");
    const st = parseState("username,enabled,staffmember\nzoe,y,y\nbob,y,y\n", "s.csv");
    const { users } = diffRoster(roster, st, { mode: "incremental", disableMissing: false });
    expect(users.map((u) => [u.username, u.action, u.changes])).toEqual([
      ["ZOE", "update", [{ field: "username", old: "zoe", new: "ZOE" }]],
      ["bob", "update", [{ field: "formclass", old: "", new: "7A" }]],
    ]);
  });
});

describe("Infiniti plan: hostile values in the roster", () => {
  it("cannot ping, link or embed from plan.md, and cannot run a formula from changes.csv", async () => {
    const roster = [
      "username,givenname,surname,emailaddress,graduationyear,enabled,staffmember",
      "zoe,@octocat,[click](https://evil.example) ![x](https://evil.example/i.png),zoe@school.example,2027,y,n",
      'bob,"=HYPERLINK(""https://evil.example"")",#42,bob@school.example,,y,y',
      "",
    ].join("\n");
    const { md, outcome } = await plan(workspace(roster));
    for (const bad of ["@octocat", "](https://", "![", "#42", "zoe@school", "https://"])
      expect(md).not.toContain(bad);
    expect(md).toContain("@\u2060octocat");
    const changes = readFileSync(join(outcome.planDir, "infiniti", "changes.csv"), "utf8");
    expect(changes).toContain(`"'=HYPERLINK(""https://evil.example"")"`);
    // import.csv keeps the roster's values as they are: Infiniti must receive them unchanged.
    expect(readFileSync(join(outcome.planDir, "infiniti", "import.csv"), "utf8")).toContain(
      `"=HYPERLINK(""https://evil.example"")"`,
    );
    // Staff first among the new users, and marked.
    const created = md.slice(md.indexOf("### New (2)"));
    expect(created.indexOf("| bob |")).toBeLessThan(created.indexOf("| zoe |"));
  });
});
