/**
 * Issue #17, end to end through the action: the plan branch is not a way in. Someone who can push to
 * patron-sync/plan or patron-sync/revert (on GitHub, anyone who can write to the repository) tries each
 * way of the security review; apply refuses every one with exit 2 and nothing sent.
 *
 * - A. A revert re-derived from a journal edited on the revert branch; and a second plan directory,
 *   a hand-made revert of a fake plan under docs/, pushed on the plan branch.
 * - B. The Infiniti URL (and plan.json's endpoints) changed on the plan branch.
 * - C. The manifest's source commit set back to an older commit whose data had a mistaken barcode.
 * - D. One push raises the auto_apply policy and changes the data: never auto-applied.
 *
 * Spawned as the runner does, against the fake GitHub API and the simulators (e2e-harness.ts). The
 * attacker's own tools are patron-sync's: the revert plans are made with runRevert, as the CLI would.
 */
import { createHash } from "node:crypto";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryLogger } from "../../src/core/log.ts";
import { runRevert } from "../../src/core/revert.ts";
import { builtInSystems } from "../../src/systems.ts";
import { detail, Harness, type ActionRun } from "./e2e-harness.ts";

const TIMEOUT = 180_000;
const ZERO = "0".repeat(40);
const h = new Harness();
const puts = () => h.alma.stats().byMethod.PUT ?? 0;
const barcodesOf = (id: string) =>
  h.alma.getUser(id)!.identifiers.map((i) => `${i.value}:${i.status ?? "ACTIVE"}`);

const user = (id: string, barcode?: string) => ({
  xml: `<user><record_type>PUBLIC</record_type><primary_id>${id}</primary_id><first_name>F</first_name><last_name>${id}</last_name><account_type>INTERNAL</account_type><status>ACTIVE</status>${barcode ? `<user_identifiers><user_identifier segment_type="Internal"><id_type>BARCODE</id_type><value>${barcode}</value><status>ACTIVE</status></user_identifier></user_identifiers>` : ""}</user>`,
});

const ALMA = (extra = "") =>
  `alma:\n  patrons: data/alma/patrons.txt\n  barcodes: data/alma/barcodes.txt\n  rate_limit: 25\n  min_remaining: 0\n${extra}`;
const almaData = (rows: [string, string][]) => ({
  "data/alma/patrons.txt": `Primary Identifier\n${rows.map(([id]) => id).join("\n")}\n`,
  "data/alma/barcodes.txt": rows.map(([id, bc]) => `${id}|${bc}`).join("\n") + "\n",
});

/** A captured request of the attacker's server (B). */
interface Captured {
  authorization?: string;
  body: string;
}
let evil: Server;
let evilUrl = "";
const captured: Captured[] = [];

beforeAll(async () => {
  await h.start();
  for (const u of [
    user("EMP-A1", "OLD-A1"),
    user("EMP-A2"),
    user("VICTIM-9", "VB-VICTIM"),
    user("EMP-C1"),
    user("EMP-D1"),
    user("EMP-D2"),
    user("EMP-D3"),
  ])
    h.alma.addUser(u);
  // B: the host the attacker points the Infiniti URL at; it records what it is sent.
  evil = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      captured.push({ authorization: req.headers.authorization, body });
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((r) => evil.listen(0, "127.0.0.1", r));
  evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
}, TIMEOUT);
afterAll(async () => {
  await new Promise((r) => evil?.close(r));
  await h.stop();
});

function pushEvent(repo: string, before: string, after: string) {
  const commit = { id: after, message: "push", added: [], modified: [], removed: [] };
  return {
    ref: "refs/heads/main",
    before,
    after,
    repository: {
      name: repo.split("/")[1],
      full_name: repo,
      owner: { login: repo.split("/")[0], name: repo.split("/")[0] },
      private: true,
      fork: false,
      default_branch: "main",
    },
    commits: [commit],
    head_commit: commit,
  };
}
const dispatchEvent = (repo: string, inputs: Record<string, string> = {}) => ({
  inputs,
  ref: "refs/heads/main",
  repository: { full_name: repo, private: true, default_branch: "main", fork: false },
});

/** The plan workflow on a push of main's newest commit; returns its workspace and plan directory. */
async function plan(remote: string, repo: string, before = ZERO, inputs: Record<string, string> = {}) {
  const ws = h.checkout(remote);
  const head = h.git(ws, "rev-parse", "HEAD");
  const r = await h.runAction({
    workspace: ws,
    repo,
    eventName: "push",
    event: pushEvent(repo, before, head),
    inputs: { command: "plan", ...inputs },
  });
  expect(r.code, detail(r)).toBe(0);
  return { ws, dir: r.outputs["plan-dir"]!, head, run: r };
}

/** A maintainer merges `branch` into main with a merge commit, as GitHub's merge button does. */
function merge(remote: string, branch: string): { before: string; after: string } {
  const m = h.checkout(remote);
  const before = h.git(m, "rev-parse", "HEAD");
  h.git(m, "merge", "-q", "--no-ff", `origin/${branch}`, "-m", `Merge pull request from o/${branch}`);
  h.git(m, "push", "-q", "origin", "HEAD:refs/heads/main");
  return { before, after: h.git(m, "rev-parse", "HEAD") };
}

/** The apply workflow on the push of that merge. */
function applyPush(remote: string, repo: string, push: { before: string; after: string }, inputs = {}) {
  return h.runAction({
    workspace: h.checkout(remote),
    repo,
    eventName: "push",
    event: pushEvent(repo, push.before, push.after),
    inputs: { command: "apply", ...inputs },
  });
}

/** A checkout of `branch` where the attacker works, and how they push it back. */
function onBranch(remote: string, branch: string) {
  const ws = h.checkout(remote);
  h.git(ws, "checkout", "-q", "-B", branch, `origin/${branch}`);
  return {
    ws,
    push(message: string) {
      h.git(ws, "add", "-A", "--force", ".");
      h.git(ws, "commit", "-q", "-m", message);
      h.git(ws, "push", "-q", "--force", "origin", `HEAD:refs/heads/${branch}`);
    },
  };
}

/** The attacker's own patron-sync: a revert plan made offline, as `patron-sync revert` makes it. */
async function makeRevert(cwd: string, planDir: string, out: string): Promise<void> {
  await runRevert({ systems: builtInSystems(), cwd, planDir, out, log: memoryLogger() });
}

function refused(r: ActionRun, ...texts: string[]): void {
  expect(r.code, detail(r)).toBe(2);
  for (const t of texts) expect(r.stdout + r.stderr, detail(r)).toContain(t);
  expect(r.summary).toContain("Nothing was sent");
}

let appliedA1 = "";
/** EMP-A1 after its genuine apply: the old barcode kept INACTIVE (existing_barcode: deactivate), the new one added. */
const A1_APPLIED = ["OLD-A1:INACTIVE", "NEWBC-A1:ACTIVE"];
/** Alma's barcode fingerprint (src/alma/identifiers.ts) of a user whose one barcode is `value`, ACTIVE. */
const fingerprintOf = (value: string) =>
  "sha256:" + createHash("sha256").update(`${value.toLowerCase()}|ACTIVE`).digest("hex").slice(0, 16); // a checkout of the A repository after its genuine apply, for A's second variant

describe("issue #17: the plan branch is not a way in (the action end to end)", () => {
  it(
    "A: a journal edited on the revert branch does not steer the revert: refused, nothing sent",
    async () => {
      const REPO = "o/a1";
      const remote = h.makeRemote("a1", { "patron-sync.yml": ALMA(), ...almaData([["EMP-A1", "NEWBC-A1"]]) });
      // The genuine plan, merged and applied: EMP-A1 gets NEWBC-A1.
      const p = await plan(remote, REPO);
      const first = await applyPush(remote, REPO, merge(remote, "patron-sync/plan"));
      expect(first.code, detail(first)).toBe(0);
      expect(barcodesOf("EMP-A1")).toEqual(A1_APPLIED);
      appliedA1 = h.checkout(remote);

      // Staff ask for its revert: a pull request on patron-sync/revert.
      const rv = await h.runAction({
        workspace: h.checkout(remote),
        repo: REPO,
        eventName: "workflow_dispatch",
        event: dispatchEvent(REPO, { revert: p.dir }),
        inputs: { command: "revert", "plan-dir": p.dir },
      });
      expect(rv.code, detail(rv)).toBe(0);
      const revertDir = rv.outputs["plan-dir"]!;

      // The attacker edits the reverted plan's journal on the revert branch ("before": ATTACKER-9999)
      // and makes the revert plan again from it, so that the two agree.
      const a = onBranch(remote, "patron-sync/revert");
      const journal = join(a.ws, p.dir, "alma", "journal.ndjson");
      const lines = readFileSync(journal, "utf8").trim().split("\n");
      const edited = lines.map((l) => {
        const j = JSON.parse(l);
        if (j.primary_id === "EMP-A1" && j.applied)
          j.applied.before = JSON.parse(
            JSON.stringify(j.applied.before).replaceAll("OLD-A1", "ATTACKER-9999"),
          );
        return JSON.stringify(j);
      });
      expect(edited.join("\n")).toContain("ATTACKER-9999");
      writeFileSync(journal, edited.join("\n") + "\n");
      rmSync(join(a.ws, revertDir), { recursive: true });
      await makeRevert(a.ws, p.dir, revertDir);
      expect(readFileSync(join(a.ws, revertDir, "alma", "plan.json"), "utf8")).toContain("ATTACKER-9999");
      a.push("Small fix to the revert");

      const putsBefore = puts();
      const push = merge(remote, "patron-sync/revert");
      const r = await applyPush(remote, REPO, push);
      refused(r, `also changed '${p.dir}/alma/journal.ndjson'`);
      expect(puts()).toBe(putsBefore);
      expect(barcodesOf("EMP-A1")).toEqual(A1_APPLIED);
      expect(h.head(remote, "refs/heads/main")).toBe(push.after); // no results commit

      // Run by hand (no push to check): the revert's own landing is refused all the same.
      const manual = await h.runAction({
        workspace: h.checkout(remote),
        repo: REPO,
        eventName: "workflow_dispatch",
        event: dispatchEvent(REPO, { "plan-dir": revertDir }),
        inputs: { command: "apply", "plan-dir": revertDir },
      });
      refused(manual, `${revertDir}/plan.json: came onto the default branch with the merge commit`);
      expect(barcodesOf("EMP-A1")).toEqual(A1_APPLIED);
    },
    TIMEOUT,
  );

  it(
    "A: a second plan directory (a hand-made revert of a fake plan under docs/) on the plan branch is refused",
    async () => {
      expect(appliedA1, "the first test's applied repository").not.toBe("");
      const REPO = "o/a2";
      const remote = h.makeRemote("a2", { "patron-sync.yml": ALMA(), ...almaData([["EMP-A2", "NEWBC-A2"]]) });
      await plan(remote, REPO);

      // The fake "applied plan": the A repository's applied plan, with a user in no list and its barcode.
      const a = onBranch(remote, "patron-sync/plan");
      const appliedDir = h.git(appliedA1, "ls-tree", "--name-only", "HEAD", "plans/").split("\n")[0]!;
      cpSync(join(appliedA1, appliedDir), join(a.ws, "docs", "fake"), { recursive: true });
      const fake = (f: string) => join(a.ws, "docs", "fake", f);
      writeFileSync(
        fake("alma/plan.json"),
        readFileSync(fake("alma/plan.json"), "utf8").replaceAll("EMP-A1", "VICTIM-9"),
      );
      // The journal says the apply wrote VICTIM-9, leaving it as it is now (its one barcode VB-VICTIM).
      const lines = readFileSync(fake("alma/journal.ndjson"), "utf8").trim().split("\n");
      const forged = lines.map((l) => {
        const j = JSON.parse(l.replaceAll("EMP-A1", "VICTIM-9").replaceAll("OLD-A1", "OLD-VICTIM"));
        if (j.applied) j.applied.after = fingerprintOf("VB-VICTIM");
        return JSON.stringify(j);
      });
      writeFileSync(fake("alma/journal.ndjson"), forged.join("\n") + "\n");
      await makeRevert(a.ws, "docs/fake", "plans/29991231T000000Z");
      a.push("Plan");

      const putsBefore = puts();
      const push = merge(remote, "patron-sync/plan");
      const r = await applyPush(remote, REPO, push);
      refused(r, "brought 2 plans", "a push that merges a plan may change only that one plan's directory");
      expect(puts()).toBe(putsBefore);
      expect(barcodesOf("VICTIM-9")).toEqual(["VB-VICTIM:ACTIVE"]);
      expect(barcodesOf("EMP-A2")).toEqual([]);

      // Run by hand on the fake revert: it came in with more than its own directory, and docs/fake is no plan of the default branch.
      const manual = await h.runAction({
        workspace: h.checkout(remote),
        repo: REPO,
        eventName: "workflow_dispatch",
        event: dispatchEvent(REPO, { "plan-dir": "plans/29991231T000000Z" }),
        inputs: { command: "apply", "plan-dir": "plans/29991231T000000Z" },
      });
      refused(manual, "which also changed 'docs/fake/", "'docs/fake/alma/journal.ndjson'");
      expect(barcodesOf("VICTIM-9")).toEqual(["VB-VICTIM:ACTIVE"]);
    },
    TIMEOUT,
  );

  it(
    "B: the Infiniti URL changed on the plan branch (with plan.json's endpoints): nothing is posted anywhere",
    async () => {
      const REPO = "o/b";
      const roster =
        "username,givenname,surname,emailaddress,graduationyear,password,enabled,staffmember\nnew.student,New,Student,ns@students.example.edu,2030,Initial-Pw-77,y,n\n";
      const remote = h.makeRemote("b", {
        "patron-sync.yml": `infiniti:\n  users: data/infiniti/users.csv\n  url: ${h.infiniti.url}\n`,
        "data/infiniti/users.csv": roster,
      });
      // No infiniti-url input: the config's URL is the one used.
      const p = await plan(remote, REPO, ZERO, { "infiniti-url": "" });
      const a = onBranch(remote, "patron-sync/plan");
      const yml = join(a.ws, "patron-sync.yml");
      writeFileSync(yml, readFileSync(yml, "utf8").replace(h.infiniti.url, evilUrl));
      const manifest = join(a.ws, p.dir, "plan.json");
      const m = JSON.parse(readFileSync(manifest, "utf8"));
      m.endpoints.infiniti = `${evilUrl}/api/import/users`;
      writeFileSync(manifest, JSON.stringify(m, null, 2));
      a.push("Point the import at the new server");

      const posts = h.infiniti.stats().posts;
      const r = await applyPush(remote, REPO, merge(remote, "patron-sync/plan"), { "infiniti-url": "" });
      refused(r, "also changed 'patron-sync.yml'");
      expect(captured).toEqual([]);
      expect(h.infiniti.stats().posts).toBe(posts);
      expect(r.stdout + r.stderr).not.toContain("Initial-Pw-77");
    },
    TIMEOUT,
  );

  it(
    "C: a plan set back to an older commit of the default branch is stale: refused, naming the commit that superseded it",
    async () => {
      const REPO = "o/c";
      const remote = h.makeRemote("c", { "patron-sync.yml": ALMA(), ...almaData([["EMP-C1", "MISTAKE-1"]]) });
      const c1 = h.head(remote, "refs/heads/main");
      // C2 corrects the barcode; the plan (and its pull request) shows the correction.
      const staff = h.checkout(remote);
      writeFileSync(join(staff, "data/alma/barcodes.txt"), "EMP-C1|RIGHT-1\n");
      h.git(staff, "commit", "-q", "-am", "Correct EMP-C1's barcode");
      h.git(staff, "push", "-q", "origin", "HEAD:refs/heads/main");
      const c2 = h.git(staff, "rev-parse", "HEAD");
      const p = await plan(remote, REPO, c1);
      expect(p.run.outputs.changes).toBe("1");

      // The attacker sets source.commit back to C1 and edits the plan to match C1's data.
      const a = onBranch(remote, "patron-sync/plan");
      const manifest = join(a.ws, p.dir, "plan.json");
      const m = JSON.parse(readFileSync(manifest, "utf8"));
      expect(m.source.commit).toBe(c2);
      m.source.commit = c1;
      writeFileSync(manifest, JSON.stringify(m, null, 2));
      const almaPlan = join(a.ws, p.dir, "alma", "plan.json");
      writeFileSync(almaPlan, readFileSync(almaPlan, "utf8").replaceAll("RIGHT-1", "MISTAKE-1"));
      a.push("Plan");

      const r = await applyPush(remote, REPO, merge(remote, "patron-sync/plan"));
      refused(
        r,
        `was made from commit ${c1.slice(0, 12)}, but commit ${c2.slice(0, 12)} of the default branch changed its data ('data/alma/barcodes.txt') before the plan was merged: the plan is stale, superseded by ${c2.slice(0, 12)}`,
      );
      expect(barcodesOf("EMP-C1")).toEqual([]);

      // The refused plan stays on main with no results; it does not keep the next merged plan from being applied.
      const again = await plan(remote, REPO);
      expect(again.dir).not.toBe(p.dir);
      const next = await applyPush(remote, REPO, merge(remote, "patron-sync/plan"));
      expect(next.code, detail(next)).toBe(1);
      expect(next.stdout).toContain(`::warning::${p.dir} was not applied, nothing was sent for it:`);
      expect(next.stdout).toContain(
        `${p.dir} is a merged plan that apply refuses (see the warnings above): nothing was sent for it. Remove that directory`,
      );
      expect(next.outputs).toMatchObject({ "plan-dir": again.dir, updated: "1", failed: "0" });
      expect(barcodesOf("EMP-C1")).toEqual(["RIGHT-1:ACTIVE"]);
    },
    TIMEOUT,
  );

  it(
    "D: a push that raises the auto_apply policy with the data is never auto-applied: a pull request instead",
    async () => {
      const REPO = "o/d";
      const policy = "auto_apply:\n  alma: { max_changes: 1, actions: [add] }\n";
      const remote = h.makeRemote("d", { "patron-sync.yml": ALMA(policy), ...almaData([]) });
      const before = h.head(remote, "refs/heads/main");
      // One push: the policy raised to 100000 with every action, and three barcodes to write.
      const staff = h.checkout(remote);
      writeFileSync(
        join(staff, "patron-sync.yml"),
        ALMA("auto_apply:\n  alma: { max_changes: 100000, actions: [add, deactivate, replace] }\n"),
      );
      for (const [f, text] of Object.entries(
        almaData([
          ["EMP-D1", "BC-D1"],
          ["EMP-D2", "BC-D2"],
          ["EMP-D3", "BC-D3"],
        ]),
      ))
        writeFileSync(join(staff, f), text);
      h.git(staff, "commit", "-q", "-am", "More barcodes");
      h.git(staff, "push", "-q", "origin", "HEAD:refs/heads/main");

      const p = await plan(remote, REPO, before);
      expect(p.run.outputs).toMatchObject({
        changes: "3",
        "auto-apply": "false",
        "pull-request-operation": "created",
      });
      expect(p.run.summary).toContain(
        "**Not auto-applied:** the push that made this plan changed the config (patron-sync.yml: the auto_apply policy, the rules and the addresses)",
      );
      expect(h.gh.count("POST", `/repos/${REPO}/pulls`)).toBe(1);

      // Were the auto-apply job run anyway (by the same push), it refuses too.
      const ws = h.checkout(remote);
      cpSync(join(p.ws, p.dir), join(ws, p.dir), { recursive: true });
      const a = await h.runAction({
        workspace: ws,
        repo: REPO,
        eventName: "push",
        event: pushEvent(REPO, before, p.head),
        inputs: { command: "apply", "auto-apply": "true", "plan-dir": p.dir },
      });
      refused(a, "auto-apply refused: the push that made this plan changed the config");
      for (const id of ["EMP-D1", "EMP-D2", "EMP-D3"]) expect(barcodesOf(id)).toEqual([]);
    },
    TIMEOUT,
  );
});
