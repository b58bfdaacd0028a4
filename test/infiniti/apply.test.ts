/**
 * Plan and apply against the Infiniti simulator on an ephemeral port: the whole Infiniti flow, as
 * staff run it, through the orchestrator (runPlan / runApply).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { runApply, runPlan } from "../../src/run.ts";
import { startInfinitiSimulator, type InfinitiSimulator } from "../../src/simulators/infiniti.ts";
import { removeTempDirs, tempDir } from "../helpers/tmp.ts";

afterEach(removeTempDirs);

const USER = "autoimport";
const PASS = "test-password";

const ROSTER = [
  "username,givenname,surname,emailaddress,graduationyear,password,enabled,staffmember",
  "zoe,Zoë,Hartley,zoe@school.example,2027,Secret-Zoe-1,y,n",
  "bob,Bob,Builder,bob@school.example,2026,,y,n",
  'ann,Ann,"Lee, Jr.",ann@school.example,,,y,y',
  "",
].join("\n");

function workspace(roster = ROSTER, extra = ""): string {
  const dir = tempDir("ps-inf-apply-");
  mkdirSync(join(dir, "data", "infiniti"), { recursive: true });
  writeFileSync(join(dir, "data", "infiniti", "users.csv"), roster);
  writeFileSync(
    join(dir, "patron-sync.yml"),
    `infiniti:\n  users: data/infiniti/users.csv\n  url: https://school.concordinfiniti.example\n${extra}`,
  );
  return dir;
}

const statePath = (dir: string) => join(dir, "state", "infiniti", "applied.csv");
const readCsv = (path: string) => readFileSync(path, "utf8").trim().split("\n");

describe("Infiniti apply against the simulator", () => {
  let sim: InfinitiSimulator;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    sim = await startInfinitiSimulator({ username: USER, password: PASS });
    env = { INFINITI_URL: sim.url, INFINITI_USERNAME: USER, INFINITI_PASSWORD: PASS };
  });
  afterEach(async () => {
    await sim.close();
  });

  const plan = (dir: string, out: string, e = env) => runPlan({ cwd: dir, env: e, log: memoryLogger(), out });
  const apply = (dir: string, planDir: string, e = env, log = memoryLogger()) =>
    runApply({ cwd: dir, env: e, log, planDir });

  it("posts exactly the planned CSV, reports every row, and records the applied state", async () => {
    const dir = workspace();
    const p = await plan(dir, "plans/p1");
    expect(sim.stats().posts).toBe(0); // planning never calls Infiniti
    const log = memoryLogger();
    const a = await apply(dir, p.planDir, env, log);

    const posted = readFileSync(join(p.planDir, "infiniti", "import.csv"), "utf8");
    expect(sim.stats()).toMatchObject({
      posts: 1,
      lastCsv: posted,
      lastFilename: "import.csv",
      lastFieldName: "file",
      lastPartContentType: "text/csv",
    });
    expect(a).toMatchObject({
      updated: 3,
      failed: 0,
      pending: 0,
      stateFiles: ["state/infiniti/applied.csv"],
    });
    const section = a.sections[0]!;
    expect(section.counts).toEqual({ created: 3 });
    expect(section.files).toEqual(["infiniti/results.csv", "infiniti/results.json", "infiniti/applied.json"]);
    expect(readCsv(join(p.planDir, "infiniti", "results.csv"))).toEqual([
      "username,status,message",
      "zoe,created,created",
      "bob,created,created",
      "ann,created,created",
    ]);
    const results = JSON.parse(readFileSync(join(p.planDir, "infiniti", "results.json"), "utf8"));
    expect(results).toMatchObject({
      summary: "3 users processed. 3 users created. 0 users updated. 0 users failed.",
      success: true,
      complete: true,
      http_status: 200,
    });
    expect(section.markdown).toContain("### Concord Infiniti patron import");
    expect(section.markdown).toContain("**3 created**"); // the table's own word
    expect(results.history).toHaveLength(1);
    expect(results.history[0]).toMatchObject({ counts: { created: 3 }, failures: [] });
    expect(results.warnings).toEqual([]);
    expect(section.markdown).toContain(
      "“3 users processed. 3 users created. 0 users updated. 0 users failed.”",
    );

    expect(sim.users().map((u) => u.username)).toEqual(["ann", "bob", "zoe"]);
    expect(sim.user("zoe")).toMatchObject({
      passwordSet: true,
      values: { givenname: "Zoë", staffmember: "n" },
    });
    expect(sim.user("ann")!.values.surname).toBe("Lee, Jr.");

    const state = readFileSync(statePath(dir), "utf8");
    expect(state).not.toContain("Secret-Zoe-1"); // a fingerprint, never the password
    expect(state).toMatch(/^zoe,Zoë,Hartley,zoe@school\.example,2027,sha256:[0-9a-f]{64},y,n$/m);
    expect(log.lines.join("\n")).not.toContain(PASS);
    expect(log.lines.join("\n")).not.toContain("Secret-Zoe-1");
  });

  it("applying the same plan again posts nothing and reports the users unchanged", async () => {
    const dir = workspace();
    const p = await plan(dir, "plans/p1");
    await apply(dir, p.planDir);
    const log = memoryLogger();
    const again = await apply(dir, p.planDir, env, log);
    expect(sim.stats().posts).toBe(1);
    expect(again).toMatchObject({ updated: 0, failed: 0, stateFiles: [] });
    expect(again.sections[0]!.counts).toEqual({ unchanged: 3 });
    expect(log.lines.some((l) => /already applied/.test(l))).toBe(true);
    // results.md quotes the earlier post's answer as such, not as if Infiniti had answered again.
    expect(again.sections[0]!.markdown).toContain("Infiniti's answer to the earlier post: “");
    expect(again.sections[0]!.markdown).not.toMatch(/Infiniti answered/);
  });

  it("partial failure: state keeps only the rows imported; the next plan sends just the failed row", async () => {
    const dir = workspace();
    sim.setReject((row) => (row.username === "bob" ? "Field (emailAddress) is not valid." : undefined));
    const p1 = await plan(dir, "plans/p1");
    const a1 = await apply(dir, p1.planDir);
    const why =
      "Field (emailAddress) is not valid. User failed to import: Field (emailAddress) is not valid.";
    // The simulator answered as the vendor documents: every row listed, User Created for the good ones.
    expect(sim.stats().lastResponse).toMatchObject({
      success: false,
      summary: "3 users processed. 2 users created. 0 users updated. 1 user failed.",
      details: { "1": "User Created", "3": "User Created" },
    });
    expect(a1).toMatchObject({ updated: 2, failed: 1 }); // failed > 0: the CLI exits 1
    expect(a1.sections[0]!.failures).toEqual([{ id: "bob", message: why }]);
    expect(a1.sections[0]!.counts).toEqual({ created: 2, failed: 1 });
    expect(a1.sections[0]!.markdown).toContain(`| bob | 2 | ${why} |`);
    expect(a1.sections[0]!.markdown).toContain(
      "“3 users processed. 2 users created. 0 users updated. 1 user failed.”",
    );
    expect(readCsv(join(p1.planDir, "infiniti", "results.csv"))).toEqual([
      "username,status,message",
      "zoe,created,created",
      `bob,failed,${why}`,
      "ann,created,created",
    ]);
    expect(readCsv(statePath(dir)).map((l) => l.split(",")[0])).toEqual(["username", "ann", "zoe"]);
    expect(sim.user("bob")).toBeUndefined();
    expect(sim.user("zoe")).toBeDefined(); // rows that pass are stored even when others fail

    // Applying the same plan again re-posts nothing; it points to a new plan.
    const again = await apply(dir, p1.planDir);
    expect(sim.stats().posts).toBe(1);
    expect(again.failed).toBe(1);
    expect(again.sections[0]!.failures[0]!.message).toMatch(/Run a new plan to send it again/);

    sim.setReject(undefined);
    const p2 = await plan(dir, "plans/p2");
    const plan2 = JSON.parse(readFileSync(join(p2.planDir, "infiniti", "plan.json"), "utf8"));
    expect(plan2.counts).toEqual({ unchanged: 2, create: 1 });
    const a2 = await apply(dir, p2.planDir);
    expect(sim.stats().lastCsv!.trim().split("\n")).toEqual([
      "username,givenname,surname,emailaddress,graduationyear,password,enabled,staffmember",
      "bob,Bob,Builder,bob@school.example,2026,,y,n",
    ]);
    expect(a2).toMatchObject({ updated: 1, failed: 0 });
    expect(readCsv(statePath(dir)).map((l) => l.split(",")[0])).toEqual(["username", "ann", "bob", "zoe"]);
  });

  it("partial import, then a leaver: the state knows the users created, so disable_missing disables them", async () => {
    const dir = workspace(ROSTER, "  disable_missing: true\n");
    sim.setReject((row) => (row.username === "ann" ? "No." : undefined));
    await apply(dir, (await plan(dir, "plans/p1")).planDir);
    expect(readCsv(statePath(dir)).map((l) => l.split(",")[0])).toEqual(["username", "bob", "zoe"]);

    // zoe leaves; ann is still on the roster and was never imported.
    sim.setReject(undefined);
    writeFileSync(join(dir, "data", "infiniti", "users.csv"), ROSTER.replace(/^zoe,.*\n/m, ""));
    const p2 = await plan(dir, "plans/p2");
    const plan2 = JSON.parse(readFileSync(join(p2.planDir, "infiniti", "plan.json"), "utf8"));
    expect(plan2.counts).toEqual({ unchanged: 1, create: 1, disable: 1 });
    const posted = readFileSync(join(p2.planDir, "infiniti", "import.csv"), "utf8")
      .trim()
      .split("\n");
    expect(posted.map((l) => l.split(",")[0])).toEqual(["username", "ann", "zoe"]);
    expect(posted.some((l) => l.startsWith("bob,"))).toBe(false); // bob was imported: not sent again
    const a2 = await apply(dir, p2.planDir);
    expect(a2).toMatchObject({ failed: 0 });
    expect(sim.user("zoe")!.values.enabled).toBe("n");
    expect(sim.user("ann")).toBeDefined();
  });

  it("refused credentials: every row failed, no state; the same plan can be applied again once fixed", async () => {
    const dir = workspace();
    const p = await plan(dir, "plans/p1");
    const wrong = { ...env, INFINITI_PASSWORD: "wrong" };
    const a = await apply(dir, p.planDir, wrong);
    expect(a).toMatchObject({ updated: 0, failed: 3, stateFiles: [] });
    expect(a.sections[0]!.failures.map((f) => f.message)).toEqual(
      Array(3).fill("Unauthorised. Check credentials."),
    );
    expect(existsSync(statePath(dir))).toBe(false);
    expect(sim.stats()).toMatchObject({ posts: 1, unauthorised: 1 });
    expect(sim.users()).toEqual([]);

    const fixed = await apply(dir, p.planDir);
    expect(fixed).toMatchObject({ updated: 3, failed: 0 });
    expect(sim.stats().posts).toBe(2);
    expect(existsSync(statePath(dir))).toBe(true);
  });

  it("a 5xx or non-JSON answer fails every row with the HTTP status and changes no state", async () => {
    const dir = workspace();
    const p = await plan(dir, "plans/p1");
    sim.queueResponse({ status: 502, body: "<html>Bad Gateway</html>", contentType: "text/html" });
    const a = await apply(dir, p.planDir);
    expect(a.failed).toBe(3);
    expect(a.sections[0]!.failures[0]!.message).toMatch(/HTTP 502/);
    expect(existsSync(statePath(dir))).toBe(false);
  });

  it("nothing changed: posts nothing, needs no credentials, and says so", async () => {
    const dir = workspace();
    await apply(dir, (await plan(dir, "plans/p1")).planDir);
    const p2 = await plan(dir, "plans/p2");
    expect(p2.changes).toBe(0);
    const log = memoryLogger();
    const a = await apply(dir, p2.planDir, {}, log);
    expect(sim.stats().posts).toBe(1);
    expect(a).toMatchObject({ updated: 0, failed: 0, stateFiles: [] });
    expect(a.sections[0]!.counts).toEqual({});
    expect(a.sections[0]!.markdown).toContain("Nothing to send");
    expect(log.lines.some((l) => /nothing was posted/.test(l))).toBe(true);
  });

  it("disable_missing: a user gone from the roster is disabled in Infiniti and in the state", async () => {
    const dir = workspace(ROSTER, "  disable_missing: true\n");
    await apply(dir, (await plan(dir, "plans/p1")).planDir);
    writeFileSync(join(dir, "data", "infiniti", "users.csv"), ROSTER.replace(/^bob,.*\n/m, ""));
    const p2 = await plan(dir, "plans/p2");
    expect(p2.sections[0]!.counts).toEqual({ unchanged: 2, disable: 1 });
    const a = await apply(dir, p2.planDir);
    expect(a.sections[0]!.counts).toEqual({ updated: 1 });
    expect(readCsv(join(p2.planDir, "infiniti", "results.csv"))[1]).toBe(
      "bob,updated,disabled (sent with enabled=n)",
    );
    expect(sim.user("bob")!.values.enabled).toBe("n");
    expect(sim.user("bob")!.values.givenname).toBe("Bob");
    expect(readCsv(statePath(dir)).find((l) => l.startsWith("bob,"))).toMatch(/,n,n$/);
    const p3 = await plan(dir, "plans/p3");
    expect(p3.changes).toBe(0);
  });

  it("refuses plain http:// to a host that is not loopback, before any call", async () => {
    const dir = workspace();
    const p = await plan(dir, "plans/p1");
    const e = { ...env, INFINITI_URL: "http://school.concordinfiniti.example" };
    await expect(apply(dir, p.planDir, e)).rejects.toThrow(/must start with https:\/\//);
    await expect(apply(dir, p.planDir, e)).rejects.toBeInstanceOf(InputError);
    const withCreds = { ...env, INFINITI_URL: `https://${USER}:${PASS}@school.example` };
    const err: unknown = await apply(dir, p.planDir, withCreds).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).not.toContain(PASS);
    expect(sim.stats().requests).toBe(0);
  });

  it("missing credentials are an input error, and nothing is sent", async () => {
    const dir = workspace();
    const p = await plan(dir, "plans/p1");
    const err = await apply(dir, p.planDir, { INFINITI_URL: sim.url, INFINITI_USERNAME: USER }).catch(
      (x: unknown) => x,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(/INFINITI_PASSWORD is not set/);
    expect(sim.stats().requests).toBe(0);
    expect(existsSync(join(p.planDir, "infiniti", "results.json"))).toBe(false);
  });

  it("refuses an import.csv changed after the plan", async () => {
    const dir = workspace();
    const p = await plan(dir, "plans/p1");
    const path = join(p.planDir, "infiniti", "import.csv");
    writeFileSync(path, readFileSync(path, "utf8").replace("Zoë", "Zoe"));
    await expect(apply(dir, p.planDir)).rejects.toThrow(/not the file the plan showed/);
    expect(sim.stats().requests).toBe(0);
  });

  it("accepts an import.csv whose line endings a CRLF checkout changed, and posts the planned bytes", async () => {
    const dir = workspace();
    const p = await plan(dir, "plans/p1");
    const path = join(p.planDir, "infiniti", "import.csv");
    const planned = readFileSync(path, "utf8");
    writeFileSync(path, planned.replace(/\n/g, "\r\n"));
    await apply(dir, p.planDir);
    expect(sim.stats().lastCsv).toBe(planned);
  });
});

describe("an interrupt during the Infiniti import", () => {
  it("lets the POST finish: what Infiniti did is recorded, and the next apply sends nothing again", async () => {
    const sim = await startInfinitiSimulator({ username: USER, password: PASS, importLatencyMs: 300 });
    try {
      const env = { INFINITI_URL: sim.url, INFINITI_USERNAME: USER, INFINITI_PASSWORD: PASS };
      const dir = workspace();
      const p = await runPlan({ cwd: dir, env, log: memoryLogger(), out: "plans/p1" });
      const stop = new AbortController();
      // Interrupt once Infiniti has received the import and before it answers.
      const timer = setInterval(() => {
        if (sim.stats().imports > 0) stop.abort();
      }, 1);
      const applied = await runApply({
        cwd: dir,
        env,
        log: memoryLogger(),
        planDir: p.planDir,
        signal: stop.signal,
      });
      clearInterval(timer);
      expect(stop.signal.aborted).toBe(true);
      expect(applied.sections[0]!.counts).toEqual({ created: 3 });
      expect(readCsv(statePath(dir))).toHaveLength(4); // the header and the three users imported
      const again = await runApply({ cwd: dir, env, log: memoryLogger(), planDir: p.planDir });
      expect(again.updated).toBe(0);
      expect(sim.stats().posts).toBe(1);
    } finally {
      await sim.close();
    }
  });
});
