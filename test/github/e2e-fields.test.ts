/**
 * Alma field updates through the action end to end (issue #20), against a fake GitHub API and the simulators
 * (see e2e-harness.ts): staff commit data/alma/user_updates.csv; the plan opens a pull request showing each
 * field; merging it applies exactly that (one PUT per user); the results go back to the pull request as a
 * comment; the revert pull request, merged, puts every field back.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detail, Harness } from "./e2e-harness.ts";

const TIMEOUT = 180_000;
const h = new Harness();
const REPO = "o/fields";
const repository = { full_name: REPO, private: true, default_branch: "main", fork: false };
const user = (id: string) => ({
  xml:
    `<user><record_type>PUBLIC</record_type><primary_id>${id}</primary_id><first_name>F</first_name><last_name>${id}</last_name>` +
    `<user_group desc="Undergraduate">UG</user_group><expiry_date>2026-06-30Z</expiry_date><account_type>INTERNAL</account_type><status>ACTIVE</status>` +
    `<user_roles><user_role><status>ACTIVE</status><scope>MAIN</scope><role_type>200</role_type></user_role></user_roles></user>`,
});

function pushEvent(before: string, after: string, files: string[]) {
  const commit = {
    id: after,
    message: "Staff update",
    added: files,
    modified: [],
    removed: [],
    author: { name: "Library Staff", email: "staff@library.example.edu" },
  };
  return {
    ref: "refs/heads/main",
    before,
    after,
    repository: { ...repository, name: "fields", owner: { login: "o", name: "o" } },
    pusher: { name: "staff" },
    commits: [commit],
    head_commit: commit,
  };
}

beforeAll(async () => {
  await h.start();
  for (const id of ["F1", "F2"]) h.alma.addUser(user(id));
}, TIMEOUT);
afterAll(() => h.stop());

describe("field updates through the action", () => {
  it(
    "commit the CSV, review the pull request, merge, see the results comment, revert",
    async () => {
      const remote = h.makeRemote("fields", {
        "patron-sync.yml":
          "alma:\n  updates: data/alma/user_updates.csv\n  rate_limit: 25\n  min_remaining: 0\n",
        "data/alma/user_updates.csv":
          "primary_id,expiry_date,user_group\nF1,2027-06-30,\nF2,2027-06-30,GRAD\n",
      });
      const staff = h.checkout(remote);
      const head = h.git(staff, "rev-parse", "HEAD");
      const p = await h.runAction({
        workspace: h.checkout(remote),
        repo: REPO,
        eventName: "push",
        event: pushEvent("0".repeat(40), head, ["patron-sync.yml", "data/alma/user_updates.csv"]),
        inputs: { command: "plan" },
      });
      expect(p.code, detail(p)).toBe(0);
      expect(p.outputs).toMatchObject({ "pull-request-operation": "created", changes: "2" });
      const planDir = p.outputs["plan-dir"]!;
      const pr = h.gh.pulls.get(REPO)![0]!;
      expect(pr.title).toContain("Alma 2 update: user_group 1 · expiry_date 2");
      expect(pr.body).toContain("## Alma user updates");
      expect(pr.body).toMatch(
        /\| F2 \| .* \| user group UG → GRAD \| user_group: UG → GRAD; expiry_date: 2026-06-30 → 2027-06-30 \|/,
      );
      expect(h.alma.stats().byMethod.PUT ?? 0).toBe(0);

      // Merge the pull request: apply writes the two users, and comments the results on it.
      const maintainer = h.checkout(remote);
      const before = h.git(maintainer, "rev-parse", "HEAD");
      h.git(maintainer, "merge", "-q", "--no-ff", "origin/patron-sync/plan", "-m", "Merge pull request #1");
      h.git(maintainer, "push", "-q", "origin", "HEAD:refs/heads/main");
      const merge = h.git(maintainer, "rev-parse", "HEAD");
      Object.assign(pr, { state: "closed", merged_at: new Date().toISOString(), merge_commit_sha: merge });
      const a = await h.runAction({
        workspace: h.checkout(remote),
        repo: REPO,
        eventName: "push",
        event: pushEvent(before, merge, [`${planDir}/plan.json`, `${planDir}/plan.md`]),
        inputs: { command: "apply" },
      });
      expect(a.code, detail(a)).toBe(0);
      expect(a.outputs).toMatchObject({ updated: "2", failed: "0" });
      expect(h.alma.stats().byMethod.PUT).toBe(2);
      expect([h.alma.getUser("F2")!.userGroup, h.alma.getUser("F2")!.expiryDate]).toEqual([
        "GRAD",
        "2027-06-30Z",
      ]);
      expect(h.alma.getUser("F2")!.roles).toHaveLength(1);
      const comments = h.gh.calls.filter(
        (c) => c.method === "POST" && c.path === `/repos/${REPO}/issues/${pr.number}/comments`,
      );
      expect(comments).toHaveLength(1);
      expect(String(comments[0]!.body?.body)).toMatch(/\| Alma \| 2 \| 0 \| 0 \| 0 \| 0 \|/);

      // Undo: the revert pull request, merged, puts every field back.
      const r = await h.runAction({
        workspace: h.checkout(remote),
        repo: REPO,
        eventName: "workflow_dispatch",
        event: { inputs: { revert: planDir, only: "both" }, ref: "refs/heads/main", repository },
        inputs: { command: "revert", "plan-dir": planDir },
      });
      expect(r.code, detail(r)).toBe(0);
      const revertDir = r.outputs["plan-dir"]!;
      const main = h.head(remote, "refs/heads/main");
      const m2 = h.checkout(remote);
      h.git(m2, "merge", "-q", "--no-ff", "origin/patron-sync/revert", "-m", "Merge the revert");
      h.git(m2, "push", "-q", "origin", "HEAD:refs/heads/main");
      const a2 = await h.runAction({
        workspace: h.checkout(remote),
        repo: REPO,
        eventName: "push",
        event: pushEvent(main, h.git(m2, "rev-parse", "HEAD"), [`${revertDir}/plan.json`]),
        inputs: { command: "apply" },
      });
      expect(a2.code, detail(a2)).toBe(0);
      expect(a2.outputs["plan-dir"]).toBe(revertDir);
      expect([h.alma.getUser("F2")!.userGroup, h.alma.getUser("F2")!.expiryDate]).toEqual([
        "UG",
        "2026-06-30Z",
      ]);
      expect(h.alma.getUser("F1")!.expiryDate).toBe("2026-06-30Z");
      const results = readFileSync(join(h.checkout(remote), revertDir, "alma", "results.csv"), "utf8");
      expect(results).toMatch(
        /F2,updated,put back user_group GRAD → UG; expiry_date 2027-06-30 → 2026-06-30/,
      );
    },
    TIMEOUT,
  );
});
