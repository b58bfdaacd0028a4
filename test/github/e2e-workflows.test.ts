/**
 * The real .github/workflows/*.yml, run job by job as GitHub runs them (workflow-runner.ts: GitHub's own
 * parser and expression evaluator), against a fake GitHub that enforces GitHub's rules (fake-github.ts:
 * token permissions, artifact names, concurrency, pushes made with GITHUB_TOKEN) and the simulators.
 */
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_KEY, Harness } from "./e2e-harness.ts";
import { FakeGitHub } from "./fake-github.ts";
import { groupOf, WorkflowRunner, type WorkflowRun } from "./workflow-runner.ts";

const TIMEOUT = 400_000;
const h = new Harness();

const user = (id: string, barcode?: string) => ({
  xml: `<user><record_type>PUBLIC</record_type><primary_id>${id}</primary_id><first_name>F</first_name><last_name>${id}</last_name><account_type>INTERNAL</account_type><status>ACTIVE</status>${barcode ? `<user_identifiers><user_identifier segment_type="Internal"><id_type>BARCODE</id_type><value>${barcode}</value><status>ACTIVE</status></user_identifier></user_identifiers>` : ""}</user>`,
});
const barcodeOf = (id: string) => h.alma.getUser(id)!.identifiers.map((i) => i.value);

function files(ids: string[], policy = ""): Record<string, string> {
  return {
    "patron-sync.yml": `alma:\n  patrons: data/alma/patronlist_no_barcode.txt\n  barcodes: data/alma/library_barcode_full_list.txt\n  rate_limit: 25\n  min_remaining: 0\n${policy}`,
    "data/alma/patronlist_no_barcode.txt": `Primary Identifier\n${ids.join("\n")}\n`,
    "data/alma/library_barcode_full_list.txt": ids.map((id) => `${id}|BC-${id}`).join("\n") + "\n",
  };
}

const SECRETS = { ALMA_API_KEY: API_KEY, INFINITI_USERNAME: "autoimport", INFINITI_PASSWORD: "unused" };

let n = 0;
/** A repository on the fake GitHub with its workflows' runner. */
function repo(ids: string[], policy = ""): { runner: WorkflowRunner; remote: string; R: string } {
  const name = `wf${++n}`;
  for (const id of ids) if (!h.alma.getUser(id)) h.alma.addUser(user(id));
  const remote = h.makeRemote(name, files(ids, policy));
  const R = `o/${name}`;
  return { runner: new WorkflowRunner({ harness: h, remote, repo: R, secrets: SECRETS }), remote, R };
}

/** Staff add patrons to the list (and touch the config: such a plan is never auto-applied) and push to main. */
function pushPatrons(remote: string, ids: string[], o: { touchConfig?: boolean } = {}): void {
  for (const id of ids) if (!h.alma.getUser(id)) h.alma.addUser(user(id));
  const ws = h.checkout(remote);
  const list = "data/alma/patronlist_no_barcode.txt";
  const codes = "data/alma/library_barcode_full_list.txt";
  appendFileSync(join(ws, list), ids.map((i) => `${i}\n`).join(""));
  appendFileSync(join(ws, codes), ids.map((i) => `${i}|BC-${i}\n`).join(""));
  if (o.touchConfig) appendFileSync(join(ws, "patron-sync.yml"), "# reviewed\n");
  h.git(ws, "commit", "-q", "-am", `Patrons ${ids.join(" ")}`);
  h.git(ws, "push", "-q", "origin", "HEAD:refs/heads/main");
}

/** A maintainer merges the open plan (or revert) pull request (a merge commit pushed to main by a person). */
function mergePlanPull(remote: string, R: string, branch = "patron-sync/plan"): void {
  const ws = h.checkout(remote);
  h.git(ws, "merge", "-q", "--no-ff", `origin/${branch}`, "-m", `Merge pull request from ${branch}`);
  h.git(ws, "push", "-q", "origin", "HEAD:refs/heads/main");
  const pull = h.gh.pulls.get(R)!.find((p) => p.state === "open" && p.head.ref === branch)!;
  Object.assign(pull, {
    state: "closed",
    merged_at: new Date().toISOString(),
    merge_commit_sha: h.git(ws, "rev-parse", "HEAD"),
  });
}

/** Every run the pushes since the last look started, completed. */
async function runsOf(runner: WorkflowRunner): Promise<WorkflowRun[]> {
  const pushes = await runner.takePushes();
  return Promise.all(pushes.flatMap((p) => p.runs));
}

function why(run: WorkflowRun): string {
  return [...run.jobs.values()]
    .map(
      (j) =>
        `${j.id}: ${j.result}\n${j.steps.map((s) => `  ${s.uses} ${s.outcome} ${s.log.slice(-3000)}`).join("\n")}`,
    )
    .join("\n");
}

beforeAll(() => h.start(), 60_000);
afterAll(() => h.stop());

describe("the workflows as GitHub runs them", () => {
  it(
    "plan on a data push, merge, apply: the results comment lands on the merged pull request with the apply job's own token",
    async () => {
      const { runner, remote, R } = repo(["C0"]);
      pushPatrons(remote, ["C1", "C2"]);
      const [plan] = await runsOf(runner);
      expect(plan?.workflow).toBe(".github/workflows/plan.yml");
      expect(plan!.conclusion, why(plan!)).toBe("success");
      expect(plan!.jobs.get("auto-apply")!.result).toBe("skipped");
      const planJob = plan!.jobs.get("plan")!;
      expect(planJob.permissions).toEqual({ contents: "write", "pull-requests": "write" });
      const dir = planJob.outputs["plan-dir"]!;
      expect(dir).toMatch(/^plans\//);
      // The plan job's push of patron-sync/plan starts nothing (GITHUB_TOKEN), and the pull request is open.
      expect(await runsOf(runner)).toEqual([]);
      expect(h.gh.pulls.get(R)!.filter((p) => p.state === "open")).toHaveLength(1);
      // The plan artifact holds the plan directory (upload-artifact's root is the directory itself).
      const art = h.gh.download(R, plan!.runId, `patron-sync-plan-${plan!.runId}`)!;
      expect([...art.files.keys()]).toContain("plan.json");

      mergePlanPull(remote, R);
      const [apply] = await runsOf(runner);
      expect(apply?.workflow).toBe(".github/workflows/apply.yml");
      expect(apply!.conclusion, why(apply!)).toBe("success");
      expect(barcodeOf("C1")).toEqual(["BC-C1"]);
      const job = apply!.jobs.get("apply")!;
      // The comment: pulls.list and issues.createComment with the job's GITHUB_TOKEN, none refused.
      expect(h.gh.refused).toEqual([]);
      const comments = h.gh.calls.filter(
        (c) => c.method === "POST" && /\/issues\/\d+\/comments$/.test(c.path),
      );
      expect(comments.at(-1)!.auth).toBe(`token ${job.token}`);
      expect(String(comments.at(-1)!.body!.body)).toContain(`patron-sync applied \`${dir}\``);
      // The results commit, pushed with GITHUB_TOKEN, starts no workflow though it touches plans/.
      const pushes = await runner.takePushes();
      expect(pushes.map((p) => p.push.githubToken)).toEqual([true]);
      expect(pushes[0]!.runs).toEqual([]);
      expect(FakeGitHub.pushes(remote).at(-1)!.pusher).toBe("github-actions[bot]");
    },
    TIMEOUT,
  );

  it(
    "a scheduled run (its event has no repository) plans; under the policy the auto-apply job downloads the plan and applies it",
    async () => {
      const { runner, R } = repo(["S0"], "auto_apply:\n  alma: { max_changes: 5 }\n");
      const run = await runner.schedule(".github/workflows/plan.yml");
      expect(run.conclusion, why(run)).toBe("success");
      expect(run.jobs.get("plan")!.outputs["auto-apply"]).toBe("true");
      const auto = run.jobs.get("auto-apply")!;
      expect(auto.result).toBe("success");
      expect(auto.permissions).toEqual({ contents: "write" });
      expect(auto.steps.map((s) => `${s.uses.replace(/@.*/, "")} ${s.outcome}`)).toEqual([
        "actions/checkout success",
        "actions/download-artifact success",
        "./ success",
        "actions/upload-artifact success",
      ]);
      expect(barcodeOf("S0")).toEqual(["BC-S0"]);
      expect(h.gh.pulls.get(R) ?? []).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    '"Re-run failed jobs" after the default branch refused the results commit: each attempt keeps its results artifact',
    async () => {
      const { runner, remote, R } = repo(["D0"]);
      pushPatrons(remote, ["D1"]);
      const [plan] = await runsOf(runner);
      expect(plan!.conclusion, why(plan!)).toBe("success");
      mergePlanPull(remote, R);
      FakeGitHub.protect(remote, "main");
      const [first] = await runsOf(runner);
      expect(first!.conclusion).toBe("failure");
      const step = (run: WorkflowRun, name: string) =>
        run.jobs.get("apply")!.steps.find((s) => s.uses.startsWith(name))!;
      expect(step(first!, "./").log).toContain("GH006: Protected branch update failed");
      expect(step(first!, "actions/upload-artifact").outcome).toBe("success");
      expect(barcodeOf("D1")).toEqual(["BC-D1"]);

      // The maintainer lifts the protection (or sets a token that may push) and re-runs the failed job.
      FakeGitHub.unprotect(remote);
      const second = await runner.rerun(first!, "failed");
      expect(second.attempt).toBe(2);
      expect(second.conclusion, why(second)).toBe("success");
      expect(
        step(second, "actions/upload-artifact").outcome,
        step(second, "actions/upload-artifact").log,
      ).toBe("success");
      const names = h.gh.artifacts.get(`${R}#${first!.runId}`)!.map((a) => `${a.name}@${a.attempt}`);
      expect(names).toEqual([
        `patron-sync-results-${first!.runId}-1@1`,
        `patron-sync-results-${first!.runId}-2@2`,
      ]);
    },
    TIMEOUT,
  );

  it(
    'auto-apply: "Re-run failed jobs" downloads the plan of the first attempt; "Re-run all jobs" plans and uploads again',
    async () => {
      for (const which of ["failed", "all"] as const) {
        const { runner, remote, R } = repo([`E0${which}`], "auto_apply:\n  alma: { max_changes: 5 }\n");
        // A wrong write key: the plan (read key) works, the auto-apply job fails before sending anything.
        runner.o.secrets = { ...SECRETS, ALMA_READ_API_KEY: API_KEY, ALMA_API_KEY: "l8xx-wrong" };
        pushPatrons(remote, [`E1${which}`]);
        const [first] = await runsOf(runner);
        expect(first!.jobs.get("plan")!.result, why(first!)).toBe("success");
        expect(first!.jobs.get("plan")!.outputs["auto-apply"]).toBe("true");
        expect(first!.jobs.get("auto-apply")!.result).toBe("failure");
        expect(barcodeOf(`E1${which}`)).toEqual([]);

        runner.o.secrets = { ...SECRETS, ALMA_READ_API_KEY: API_KEY };
        const second = await runner.rerun(first!, which);
        expect(second.conclusion, why(second)).toBe("success");
        expect(second.jobs.get("plan")!.reused ?? false).toBe(which === "failed");
        const download = second.jobs
          .get("auto-apply")!
          .steps.find((s) => s.uses.startsWith("actions/download"))!;
        expect(download.outcome).toBe("success");
        expect(barcodeOf(`E1${which}`)).toEqual([`BC-E1${which}`]);
        const plan = h.gh.download(R, first!.runId, `patron-sync-plan-${first!.runId}`)!;
        expect(plan.attempt).toBe(which === "failed" ? 1 : 2);
        expect(h.treeFiles(remote, "refs/heads/main")).toContain(
          `${second.jobs.get("plan")!.outputs["plan-dir"]}/results.md`,
        );
      }
    },
    TIMEOUT,
  );
});

/** Waits until the group's pending place is held by a key that contains `part`. */
async function pendingHolds(group: string, part: string): Promise<void> {
  for (let i = 0; i < 6000; i++) {
    if (h.gh.pendingIn(group)?.includes(part)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing pending in ${group} holds ${part}: ${h.gh.pendingIn(group)}`);
}

describe("concurrency: whatever order GitHub cancels pending runs in, no merged plan is left unapplied", () => {
  const POLICY = "auto_apply:\n  alma: { max_changes: 5 }\n";

  /** A plan (K1, K2) in a pull request: its push changed the config, so it is not auto-applied. */
  async function reviewedPlan() {
    const r = repo(["C0"], POLICY);
    pushPatrons(r.remote, ["K1", "K2"], { touchConfig: true });
    const [plan] = await runsOf(r.runner);
    expect(plan!.conclusion, why(plan!)).toBe("success");
    expect(plan!.jobs.get("plan")!.outputs["auto-apply"]).toBe("false");
    return { ...r, dir: plan!.jobs.get("plan")!.outputs["plan-dir"]! };
  }

  it(
    "the auto-apply job replaces the pending apply run of a merge: it applies the merged plan too",
    async () => {
      const { runner, remote, R, dir } = await reviewedPlan();
      const APPLY = groupOf(R, "patron-sync-apply");
      await h.gh.acquire(APPLY, "an apply in progress");
      // While an apply runs: the merge (its apply run waits, pending), then a data push that auto-applies.
      mergePlanPull(remote, R);
      const [applyRun] = (await runner.takePushes()).flatMap((p) => p.runs);
      await pendingHolds(APPLY, "apply.yml");
      pushPatrons(remote, ["K3"]);
      const [planRun] = (await runner.takePushes()).flatMap((p) => p.runs);
      // The plan run's auto-apply job queues next: GitHub cancels the pending apply run.
      await pendingHolds(APPLY, "auto-apply");
      expect((await applyRun!).conclusion).toBe("cancelled");
      h.gh.release(APPLY, "an apply in progress");
      const plan = await planRun!;
      expect(plan.conclusion, why(plan)).toBe("success");
      expect(plan.jobs.get("plan")!.outputs["auto-apply"]).toBe("true");
      for (const id of ["K1", "K2", "K3"]) expect(barcodeOf(id)).toEqual([`BC-${id}`]);
      const main = h.treeFiles(remote, "refs/heads/main");
      expect(main).toContain(`${dir}/results.md`); // the merged plan, applied and recorded
      expect(main).toContain(`${plan.jobs.get("plan")!.outputs["plan-dir"]}/results.md`);
      // Its commit, pushed with GITHUB_TOKEN, started nothing.
      expect((await runner.takePushes()).flatMap((p) => p.runs)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    "the apply run of a merge replaces the pending auto-apply job: it applies the merged (revert) plan",
    async () => {
      // An applied plan (C5) and its revert pull request, waiting for review.
      const { runner, remote, R } = repo(["C0"], POLICY);
      pushPatrons(remote, ["C5"], { touchConfig: true });
      const [first] = await runsOf(runner);
      mergePlanPull(remote, R);
      const [applied] = await runsOf(runner);
      expect(applied!.conclusion, why(applied!)).toBe("success");
      expect(barcodeOf("C5")).toEqual(["BC-C5"]);
      const revert = await runner.dispatch(".github/workflows/plan.yml", {
        revert: first!.jobs.get("plan")!.outputs["plan-dir"]!,
      });
      expect(revert.conclusion, why(revert)).toBe("success");
      const revertDir = revert.jobs.get("plan")!.outputs["plan-dir"]!;

      const APPLY = groupOf(R, "patron-sync-apply");
      await h.gh.acquire(APPLY, "an apply in progress");
      pushPatrons(remote, ["C6"]);
      const [planRun] = (await runner.takePushes()).flatMap((p) => p.runs);
      await pendingHolds(APPLY, "auto-apply");
      // The revert is merged now: its apply run queues after the auto-apply job and replaces it.
      mergePlanPull(remote, R, "patron-sync/revert");
      const [applyRun] = (await runner.takePushes()).flatMap((p) => p.runs);
      const plan = await planRun!;
      // GitHub cancelled the auto-apply job, and the plan run says so. Its plan was never merged: the
      // next plan run plans C6 again.
      expect(plan.conclusion).toBe("cancelled");
      expect(plan.jobs.get("auto-apply")!.result).toBe("cancelled");
      h.gh.release(APPLY, "an apply in progress");
      const apply = await applyRun!;
      expect(apply.conclusion, why(apply)).toBe("success");
      expect(h.treeFiles(remote, "refs/heads/main")).toContain(`${revertDir}/results.md`);
      expect(barcodeOf("C5")).toEqual([]);
      expect(barcodeOf("C6")).toEqual([]);
    },
    TIMEOUT,
  );
});

describe("concurrency: no hand-started revert is lost to a data push, in either order", () => {
  async function appliedPlan() {
    const r = repo(["V0"]);
    pushPatrons(r.remote, [`V${++n}`]);
    const [plan] = await runsOf(r.runner);
    mergePlanPull(r.remote, r.R);
    const [apply] = await runsOf(r.runner);
    expect(apply!.conclusion, why(apply!)).toBe("success");
    return { ...r, dir: plan!.jobs.get("plan")!.outputs["plan-dir"]! };
  }

  for (const order of ["revert first", "data push first"] as const)
    it(
      `${order}, while a plan runs: both the revert and the new plan run`,
      async () => {
        const { runner, remote, R, dir } = await appliedPlan();
        const PLAN = groupOf(R, "patron-sync-plan");
        await h.gh.acquire(PLAN, "a plan in progress");
        let revert: Promise<WorkflowRun> | undefined;
        let plan: Promise<WorkflowRun> | undefined;
        const push = async () => {
          pushPatrons(remote, [`V${++n}`]);
          [plan] = (await runner.takePushes()).flatMap((p) => p.runs);
        };
        if (order === "revert first") {
          revert = runner.dispatch(".github/workflows/plan.yml", { revert: dir });
          await push();
        } else {
          await push();
          revert = runner.dispatch(".github/workflows/plan.yml", { revert: dir });
        }
        await new Promise((r) => setTimeout(r, 200));
        h.gh.release(PLAN, "a plan in progress");
        const [rv, pl] = await Promise.all([revert, plan!]);
        expect(rv.conclusion, why(rv)).toBe("success");
        expect(pl.conclusion, why(pl)).toBe("success");
        expect(h.refs(remote)).toContain("refs/heads/patron-sync/revert");
        expect(
          h.gh.pulls
            .get(R)!
            .filter((p) => p.state === "open")
            .map((p) => p.head.ref)
            .sort(),
        ).toEqual(["patron-sync/plan", "patron-sync/revert"]);
      },
      TIMEOUT,
    );
});
