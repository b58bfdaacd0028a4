/**
 * A revert stays reverted, through the action end to end (issue #19 §3), against a fake GitHub API and the
 * simulators (see e2e-harness.ts): a plan within the auto_apply policy is applied at once; a revert pull
 * request is merged and applied; then the daily scheduled plan, from the same data, proposes nothing
 * (every undone record `held`), opens no pull request and auto-applies nothing; a changed barcode after
 * the revert is planned and auto-applied as usual; deleting the revert's holds.json releases its holds.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detail, Harness } from "./e2e-harness.ts";

const TIMEOUT = 180_000;
const h = new Harness();
const REPO = "o/holds";
const puts = () => h.alma.stats().byMethod.PUT ?? 0;
const posts = () => h.infiniti.stats().posts;
const scheduleEvent = { schedule: "23 5 * * *" };
const repository = { full_name: REPO, private: true, default_branch: "main", fork: false };
const user = (id: string) => ({
  xml: `<user><record_type>PUBLIC</record_type><primary_id>${id}</primary_id><first_name>F</first_name><last_name>${id}</last_name><account_type>INTERNAL</account_type><status>ACTIVE</status></user>`,
});
const active = (id: string) =>
  h.alma
    .getUser(id)!
    .identifiers.filter((i) => (i.status ?? "ACTIVE") === "ACTIVE")
    .map((i) => i.value);
const ROSTER = "username,givenname,surname,graduationyear,enabled,staffmember\nkit.new,Kit,New,2029,y,n\n";

function pushEvent(before: string, after: string, files: string[]) {
  const commit = {
    id: after,
    message: "Merge",
    added: files,
    modified: [],
    removed: [],
    author: { name: "Library Staff", email: "staff@library.example.edu" },
  };
  return {
    ref: "refs/heads/main",
    before,
    after,
    repository: { ...repository, name: "holds", owner: { login: "o", name: "o" } },
    pusher: { name: "staff" },
    commits: [commit],
    head_commit: commit,
  };
}

beforeAll(async () => {
  await h.start();
  for (const id of ["HX1", "HX2"]) h.alma.addUser(user(id));
}, TIMEOUT);
afterAll(() => h.stop());

describe("a revert stays reverted, through the action", () => {
  it(
    "plan, auto-apply, revert, apply, then the scheduled plan writes none of it back",
    async () => {
      const remote = h.makeRemote("holds", {
        "patron-sync.yml":
          "alma:\n  patrons: data/alma/patrons.txt\n  barcodes: data/alma/barcodes.txt\n  rate_limit: 25\n  min_remaining: 0\n" +
          "infiniti:\n  users: data/infiniti/users.csv\n" +
          "auto_apply:\n  alma: { max_changes: 5, actions: [add] }\n  infiniti: { max_changes: 5, actions: [create, update] }\n",
        "data/alma/patrons.txt": "Primary Identifier\nHX1\nHX2\n",
        "data/alma/barcodes.txt": "HX1|HB-1\nHX2|HB-2\n",
        "data/infiniti/users.csv": ROSTER,
      });

      // 1. The scheduled plan fits the policy; the auto-apply job applies it and commits it to main.
      const autoApply = async (planWs: string, dir: string) => {
        const ws = h.checkout(remote);
        cpSync(join(planWs, dir), join(ws, dir), { recursive: true }); // the run's artifact
        return h.runAction({
          workspace: ws,
          repo: REPO,
          eventName: "schedule",
          event: scheduleEvent,
          inputs: { command: "apply", "auto-apply": "true", "plan-dir": dir },
        });
      };
      const ws1 = h.checkout(remote);
      const p1 = await h.runAction({
        workspace: ws1,
        repo: REPO,
        eventName: "schedule",
        event: scheduleEvent,
        inputs: { command: "plan" },
      });
      expect(p1.code, detail(p1)).toBe(0);
      expect(p1.outputs).toMatchObject({ changes: "3", "auto-apply": "true" });
      const dir1 = p1.outputs["plan-dir"]!;
      const a1 = await autoApply(ws1, dir1);
      expect(a1.code, detail(a1)).toBe(0);
      expect(active("HX1")).toEqual(["HB-1"]);
      expect(h.infiniti.user("kit.new")!.values.enabled).toBe("y");

      // 2. Undo: the revert pull request, merged, is applied.
      const r = await h.runAction({
        workspace: h.checkout(remote),
        repo: REPO,
        eventName: "workflow_dispatch",
        event: { inputs: { revert: dir1, only: "both" }, ref: "refs/heads/main", repository },
        inputs: { command: "revert", "plan-dir": dir1 },
      });
      expect(r.code, detail(r)).toBe(0);
      const revertDir = r.outputs["plan-dir"]!;
      const branch = h.head(remote, "refs/heads/patron-sync/revert");
      const files = h.treeFiles(remote, branch);
      expect(files).toContain(`${revertDir}/alma/holds.json`);
      expect(files).toContain(`${revertDir}/infiniti/holds.json`);
      const main = h.head(remote, "refs/heads/main");
      const maintainer = h.checkout(remote);
      h.git(maintainer, "merge", "-q", "--no-ff", "origin/patron-sync/revert", "-m", "Merge the revert");
      h.git(maintainer, "push", "-q", "origin", "HEAD:refs/heads/main");
      const a2 = await h.runAction({
        workspace: h.checkout(remote),
        repo: REPO,
        eventName: "push",
        event: pushEvent(main, h.git(maintainer, "rev-parse", "HEAD"), [`${revertDir}/plan.json`]),
        inputs: { command: "apply" },
      });
      expect(a2.code, detail(a2)).toBe(0);
      expect(a2.outputs["plan-dir"]).toBe(revertDir);
      expect(active("HX1")).toEqual([]);
      expect(active("HX2")).toEqual([]);
      expect(h.infiniti.user("kit.new")!.values.enabled).toBe("n");

      // 3. The next morning's scheduled plan, data unchanged: nothing to send, nothing auto-applied.
      const [putsBefore, postsBefore] = [puts(), posts()];
      const pullsBefore = h.gh.count("POST", `/repos/${REPO}/pulls`);
      const mainBefore = h.head(remote, "refs/heads/main");
      const ws3 = h.checkout(remote);
      const p3 = await h.runAction({
        workspace: ws3,
        repo: REPO,
        eventName: "schedule",
        event: scheduleEvent,
        inputs: { command: "plan" },
      });
      expect(p3.code, detail(p3)).toBe(0);
      expect(p3.outputs).toMatchObject({
        changes: "0",
        "auto-apply": "false",
        "pull-request-operation": "none",
      });
      const md = readFileSync(join(ws3, p3.outputs["plan-dir"]!, "plan.md"), "utf8");
      expect(md).toContain(`held: undone by revert ${revertDir}; change the data to plan it again`);
      expect(md).toMatch(/0 add · 0 deactivate · 0 replace, 2 held/);
      expect(md).toMatch(/0 create · 0 update · 0 disable, 1 held/);
      expect(h.gh.count("POST", `/repos/${REPO}/pulls`)).toBe(pullsBefore);
      expect(h.head(remote, "refs/heads/main")).toBe(mainBefore);
      expect([puts(), posts()]).toEqual([putsBefore, postsBefore]);

      // 4. A deliberate change after the revert: HX1's new barcode is planned and auto-applied; HX2 stays held.
      const staff = h.checkout(remote);
      writeFileSync(join(staff, "data/alma/barcodes.txt"), "HX1|HB-1-NEW\nHX2|HB-2\n");
      h.git(staff, "commit", "-qam", "HX1 has a new card");
      h.git(staff, "push", "-q", "origin", "HEAD:refs/heads/main");
      const ws4 = h.checkout(remote);
      const p4 = await h.runAction({
        workspace: ws4,
        repo: REPO,
        eventName: "schedule",
        event: scheduleEvent,
        inputs: { command: "plan" },
      });
      expect(p4.code, detail(p4)).toBe(0);
      expect(p4.outputs).toMatchObject({ changes: "1", "auto-apply": "true" });
      const a4 = await autoApply(ws4, p4.outputs["plan-dir"]!);
      expect(a4.code, detail(a4)).toBe(0);
      expect(active("HX1")).toEqual(["HB-1-NEW"]);
      expect(active("HX2")).toEqual([]);
      expect(h.infiniti.user("kit.new")!.values.enabled).toBe("n");

      // 5. Releasing a hold: a commit deletes the revert's alma/holds.json. Apply does not take that push
      // for a deleted plan (GitHub's Revert button); the next scheduled plan plans HX2 again.
      const release = h.checkout(remote);
      const beforeRelease = h.git(release, "rev-parse", "HEAD");
      h.git(release, "rm", "-q", `${revertDir}/alma/holds.json`);
      h.git(release, "commit", "-qm", "The revert of HX2 was a mistake: release its hold");
      h.git(release, "push", "-q", "origin", "HEAD:refs/heads/main");
      const a5 = await h.runAction({
        workspace: h.checkout(remote),
        repo: REPO,
        eventName: "push",
        event: {
          ...pushEvent(beforeRelease, h.git(release, "rev-parse", "HEAD"), []),
          commits: [],
          head_commit: null,
        },
        inputs: { command: "apply" },
      });
      expect(a5.code, detail(a5)).toBe(0);
      expect(a5.stdout).not.toContain("deletes plan files");
      const ws6 = h.checkout(remote);
      const p6 = await h.runAction({
        workspace: ws6,
        repo: REPO,
        eventName: "schedule",
        event: scheduleEvent,
        inputs: { command: "plan" },
      });
      expect(p6.code, detail(p6)).toBe(0);
      expect(p6.outputs).toMatchObject({ changes: "1", "auto-apply": "true" });
      const md6 = readFileSync(join(ws6, p6.outputs["plan-dir"]!, "plan.md"), "utf8");
      expect(md6).toMatch(/\*\*1 add · 0 deactivate · 0 replace, 1 unchanged\*\*/); // HX2 again; HX1 done
      expect(md6).toMatch(/0 create · 0 update · 0 disable, 1 held/); // Infiniti's hold stays
    },
    TIMEOUT,
  );
});
