/**
 * The action end to end on a schedule and under an auto_apply policy (spawned as the runner does, against a
 * fake GitHub API and the simulators; see e2e-harness.ts):
 * - a scheduled plan with nothing to change opens no pull request and closes a stale one;
 * - a plan within the policy opens no pull request; the auto-apply job applies it and commits the plan
 *   and results to main;
 * - a plan beyond the policy opens the pull request and writes nothing, and apply refuses to auto-apply it.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detail, Harness } from "./e2e-harness.ts";

const TIMEOUT = 120_000;
const h = new Harness();
const puts = () => h.alma.stats().byMethod.PUT ?? 0;

const user = (id: string, barcode?: string) => ({
  xml: `<user><record_type>PUBLIC</record_type><primary_id>${id}</primary_id><first_name>F</first_name><last_name>${id}</last_name><account_type>INTERNAL</account_type><status>ACTIVE</status>${barcode ? `<user_identifiers><user_identifier segment_type="Internal"><id_type>BARCODE</id_type><value>${barcode}</value><status>ACTIVE</status></user_identifier></user_identifiers>` : ""}</user>`,
});

function files(ids: string[], policy: string): Record<string, string> {
  return {
    "patron-sync.yml": `alma:\n  patrons: data/alma/patronlist_no_barcode.txt\n  barcodes: data/alma/library_barcode_full_list.txt\n  rate_limit: 25\n  min_remaining: 0\n${policy}`,
    "data/alma/patronlist_no_barcode.txt": `Primary Identifier\n${ids.join("\n")}\n`,
    "data/alma/library_barcode_full_list.txt": ids.map((id) => `${id}|BC-${id}`).join("\n") + "\n",
  };
}

const scheduleEvent = { schedule: "23 5 * * *" };
const dispatchEvent = (repo: string) => ({
  inputs: {},
  ref: "refs/heads/main",
  repository: { full_name: repo, private: true, default_branch: "main", fork: false },
});
const barcodesOf = (id: string) => h.alma.getUser(id)!.identifiers.map((i) => `${i.value}:${i.status}`);

beforeAll(async () => {
  await h.start();
  for (const u of [
    user("DONE1", "BC-DONE1"),
    user("A1"),
    user("A2"),
    user("A3"),
    user("B1"),
    user("B2"),
    user("B3"),
  ])
    h.alma.addUser(u);
}, TIMEOUT);
afterAll(() => h.stop());

describe("the action on a schedule and with an auto_apply policy", () => {
  it(
    "a scheduled plan with nothing to change opens nothing and closes the stale pull request",
    async () => {
      const REPO = "o/idle";
      const remote = h.makeRemote("idle", files(["DONE1"], "auto_apply:\n  alma: { max_changes: 5 }\n"));
      const stale = h.gh.openStalePull(REPO);
      const main = h.head(remote, "refs/heads/main");
      const r = await h.runAction({
        workspace: h.checkout(remote),
        repo: REPO,
        eventName: "schedule",
        event: scheduleEvent,
        inputs: { command: "plan" },
      });
      expect(r.code, detail(r)).toBe(0);
      expect(r.outputs).toMatchObject({
        changes: "0",
        "auto-apply": "false",
        "pull-request-operation": "closed",
        "pull-request-number": String(stale.number),
      });
      expect(stale.state).toBe("closed");
      expect(h.gh.count("POST", `/repos/${REPO}/pulls`)).toBe(0);
      expect(h.refs(remote)).not.toContain("refs/heads/patron-sync/plan");
      expect(h.head(remote, "refs/heads/main")).toBe(main);
      expect(puts()).toBe(0);
    },
    TIMEOUT,
  );

  it(
    "a plan within the policy opens no pull request; the auto-apply job applies it and commits plan and results to main",
    async () => {
      const REPO = "o/auto";
      const remote = h.makeRemote(
        "auto",
        files(["A1", "A2", "A3", "DONE1"], "auto_apply:\n  alma: { max_changes: 5, actions: [add] }\n"),
      );
      const main = h.head(remote, "refs/heads/main");
      const planWs = h.checkout(remote);
      const p = await h.runAction({
        workspace: planWs,
        repo: REPO,
        eventName: "schedule",
        event: scheduleEvent,
        inputs: { command: "plan" },
      });
      expect(p.code, detail(p)).toBe(0);
      const dir = p.outputs["plan-dir"]!;
      const rule = "alma: 3 add (allowed: add; at most 5)";
      expect(p.outputs).toMatchObject({
        changes: "3",
        "auto-apply": "true",
        "auto-apply-rule": rule,
        "pull-request-operation": "none",
      });
      expect(p.summary).toContain(`**Auto-apply:** this plan fits the auto_apply policy (${rule})`);
      // The plan job wrote nothing anywhere: no pull request, no branch, no commit, no PUT.
      expect(h.gh.count("POST", `/repos/${REPO}/pulls`)).toBe(0);
      expect(h.refs(remote)).not.toContain("refs/heads/patron-sync/plan");
      expect(h.head(remote, "refs/heads/main")).toBe(main);
      expect(puts()).toBe(0);

      // The auto-apply job: a fresh checkout, the plan downloaded as the run's artifact.
      const applyWs = h.checkout(remote);
      cpSync(join(planWs, dir), join(applyWs, dir), { recursive: true });
      const a = await h.runAction({
        workspace: applyWs,
        repo: REPO,
        eventName: "schedule",
        event: scheduleEvent,
        inputs: { command: "apply", "auto-apply": "true", "plan-dir": dir },
      });
      expect(a.code, detail(a)).toBe(0);
      expect(a.outputs).toMatchObject({ "plan-dir": dir, updated: "3", failed: "0" });
      for (const id of ["A1", "A2", "A3"]) expect(barcodesOf(id)).toEqual([`BC-${id}:ACTIVE`]);
      expect(puts()).toBe(3);
      expect(a.summary).toContain(
        `**Auto-applied** without a pull request, by the auto_apply rule: ${rule}.`,
      );

      // Plan and results on main, in one bot commit on top of the planned commit; still no pull request.
      const results = h.head(remote, "refs/heads/main");
      expect(h.head(remote, `${results}^`)).toBe(main);
      const msg = h.git(h.tmp, "--git-dir", remote, "log", "-1", "--format=%B", results);
      expect(msg).toContain(`auto-applied plan and results of ${dir}`);
      expect(msg).toContain("[skip ci]");
      expect(msg).toContain(rule);
      const tree = h.treeFiles(remote, results);
      for (const f of ["plan.json", "plan.md", "alma/plan.json", "results.md", "alma/results.csv"])
        expect(tree).toContain(`${dir}/${f}`);
      // The patron records came with the artifact and stay out of git (commit_records is off).
      expect(tree).not.toContain(`${dir}/alma/all_patrons.xml`);
      expect(tree).not.toContain(`${dir}/alma/processed_results.xml`);
      expect(h.gh.count("POST", `/repos/${REPO}/pulls`)).toBe(0);
    },
    TIMEOUT,
  );

  it(
    "a plan beyond the policy opens the pull request and writes nothing; apply will not auto-apply it",
    async () => {
      const REPO = "o/review";
      const remote = h.makeRemote(
        "review",
        files(["B1", "B2", "B3"], "auto_apply:\n  alma: { max_changes: 2, actions: [add] }\n"),
      );
      const putsBefore = puts();
      const planWs = h.checkout(remote);
      const p = await h.runAction({
        workspace: planWs,
        repo: REPO,
        eventName: "workflow_dispatch",
        event: dispatchEvent(REPO),
        inputs: { command: "plan" },
      });
      expect(p.code, detail(p)).toBe(0);
      expect(p.outputs).toMatchObject({ changes: "3", "auto-apply": "false", "auto-apply-rule": "" });
      expect(p.outputs["pull-request-operation"]).toBe("created");
      expect(h.gh.count("POST", `/repos/${REPO}/pulls`)).toBe(1);
      expect(p.summary).toContain(
        "**Not auto-applied:** the Alma plan sends 3 records, more than auto_apply.alma.max_changes (2).",
      );
      expect(puts()).toBe(putsBefore);
      const main = h.head(remote, "refs/heads/main");

      // Even if a workflow asked for it, apply checks the policy again: exit 2, nothing sent, nothing committed.
      const dir = p.outputs["plan-dir"]!;
      const applyWs = h.checkout(remote);
      cpSync(join(planWs, dir), join(applyWs, dir), { recursive: true });
      const a = await h.runAction({
        workspace: applyWs,
        repo: REPO,
        eventName: "workflow_dispatch",
        event: dispatchEvent(REPO),
        inputs: { command: "apply", "auto-apply": "true", "plan-dir": dir },
      });
      expect(a.code, detail(a)).toBe(2);
      expect(a.stdout).toContain(
        "auto-apply refused: the Alma plan sends 3 records, more than auto_apply.alma.max_changes (2)",
      );
      expect(puts()).toBe(putsBefore);
      for (const id of ["B1", "B2", "B3"]) expect(barcodesOf(id)).toEqual([]);
      expect(h.head(remote, "refs/heads/main")).toBe(main);
    },
    TIMEOUT,
  );

  it(
    "a scheduled plan the day's API quota cannot finish does not start: a notice, a green run, nothing touched",
    async () => {
      const REPO = "o/quota";
      // min_remaining just under what the simulator has left: no plan of three patrons can finish above it.
      const floor = h.alma.stats().remaining - 2;
      const remote = h.makeRemote("quota", files(["A1", "B1", "B2"], ""));
      const ws = h.checkout(remote);
      const cfg = join(ws, "patron-sync.yml");
      writeFileSync(cfg, readFileSync(cfg, "utf8").replace("min_remaining: 0", `min_remaining: ${floor}`));
      const stale = h.gh.openStalePull(REPO);
      const putsBefore = puts();
      const r = await h.runAction({
        workspace: ws,
        repo: REPO,
        eventName: "schedule",
        event: scheduleEvent,
        inputs: { command: "plan" },
      });
      expect(r.code, detail(r)).toBe(0);
      expect(r.stdout).toMatch(
        /::notice::The scheduled Alma plan was not started: Alma reports \d+ API calls left today/,
      );
      expect(r.summary).toContain("**Not started.**");
      expect(r.outputs).toMatchObject({ "plan-dir": "", changes: "0", "pull-request-operation": "none" });
      expect(stale.state).toBe("open");
      expect(h.gh.count("POST", `/repos/${REPO}/pulls`)).toBe(0);
      expect(h.refs(remote)).not.toContain("refs/heads/patron-sync/plan");
      expect(puts()).toBe(putsBefore);
    },
    TIMEOUT,
  );
});
