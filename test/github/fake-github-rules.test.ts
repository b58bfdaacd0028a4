/**
 * The fake GitHub enforces GitHub's rules (fake-github.ts cites the documentation of each), and the workflow
 * runner gives each job the token its `permissions:` allow. Each test fails without its rule.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Harness } from "./e2e-harness.ts";
import { ArtifactConflictError, CancelledError, FakeGitHub } from "./fake-github.ts";
import { effectivePermissions, loadWorkflow, RESTRICTED_DEFAULT, WorkflowRunner } from "./workflow-runner.ts";

const h = new Harness();
beforeAll(() => h.start(), 60_000);
afterAll(() => h.stop());

async function call(method: string, path: string, token: string, body?: object) {
  const res = await fetch(h.gh.url + path, {
    method,
    headers: { authorization: `token ${token}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as { message?: string } };
}

describe("the fake GitHub: tokens carry permissions", () => {
  it("answers 403 'Resource not accessible by integration' to an endpoint the token's permissions do not allow", async () => {
    const R = "/repos/o/perm";
    const contentsOnly = h.gh.issue({ permissions: { contents: "write" } });
    const prRead = h.gh.issue({ permissions: { contents: "write", "pull-requests": "read" } });
    const prWrite = h.gh.issue({ permissions: { "pull-requests": "write" } });
    const issuesWrite = h.gh.issue({ permissions: { issues: "write" } });
    const none = h.gh.issue({ permissions: {} });

    // Metadata: read comes with every token.
    expect((await call("GET", R, none)).status).toBe(200);
    const refused = await call("GET", `${R}/pulls?state=closed`, contentsOnly);
    expect(refused).toEqual({
      status: 403,
      body: expect.objectContaining({ message: "Resource not accessible by integration" }),
    });
    expect((await call("GET", `${R}/pulls`, prRead)).status).toBe(200);
    expect((await call("POST", `${R}/pulls`, prRead, { head: "x", base: "main" })).status).toBe(403);
    expect((await call("POST", `${R}/pulls`, prWrite, { head: "x", base: "main" })).status).toBe(201);
    expect((await call("PATCH", `${R}/pulls/1`, prRead, { state: "closed" })).status).toBe(403);
    // A comment on a pull request: Issues: write or Pull requests: write.
    expect((await call("POST", `${R}/issues/1/comments`, prRead, { body: "x" })).status).toBe(403);
    expect((await call("POST", `${R}/issues/1/comments`, prWrite, { body: "x" })).status).toBe(201);
    expect((await call("POST", `${R}/issues/1/comments`, issuesWrite, { body: "x" })).status).toBe(201);
    expect(h.gh.refused.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${R}/pulls`,
      `POST ${R}/pulls`,
      `PATCH ${R}/pulls/1`,
      `POST ${R}/issues/1/comments`,
    ]);
  });

  it("answers 401 'Bad credentials' to a token it never issued", async () => {
    expect(await call("GET", "/repos/o/perm", "ghs_neverIssued")).toEqual({
      status: 401,
      body: expect.objectContaining({ message: "Bad credentials" }),
    });
  });

  it("a job's token carries the job's permissions, else the workflow's, else the restricted default", async () => {
    const wf = (top: string, job: string) =>
      loadWorkflow(
        "t.yml",
        `on: push\n${top}jobs:\n  a:\n    runs-on: ubuntu-latest\n${job}    steps:\n      - run: "true"\n`,
      );
    const jobLevel = await wf("permissions: {}\n", "    permissions:\n      issues: write\n");
    expect(effectivePermissions(jobLevel, "a")).toEqual({ issues: "write" });
    const workflowLevel = await wf("permissions:\n  contents: read\n", "");
    expect(effectivePermissions(workflowLevel, "a")).toEqual({ contents: "read" });
    const none = await wf("permissions: {}\n", "");
    expect(effectivePermissions(none, "a")).toEqual({});
    expect(effectivePermissions(await wf("", ""), "a")).toEqual(RESTRICTED_DEFAULT);
    expect(effectivePermissions(await wf("permissions: read-all\n", ""), "a")).toMatchObject({
      contents: "read",
      "pull-requests": "read",
    });
  });
});

describe("the fake GitHub: artifacts", () => {
  const art = (attempt: number, text: string) => ({
    name: "results",
    runId: 7,
    attempt,
    files: new Map([["a.txt", Buffer.from(text)]]),
  });

  it("a name is unique within a run, across its attempts, unless overwrite: true", () => {
    h.gh.upload("o/art", art(1, "first"), false);
    expect(() => h.gh.upload("o/art", art(2, "second"), false)).toThrow(ArtifactConflictError);
    expect(() => h.gh.upload("o/art", art(2, "second"), false)).toThrow(/\(409\) Conflict/);
    // Another run may use the name; the same run with overwrite replaces it.
    h.gh.upload("o/art", { ...art(1, "other run"), runId: 8 }, false);
    h.gh.upload("o/art", art(2, "second"), true);
    expect(h.gh.download("o/art", 7, "results")!.files.get("a.txt")!.toString()).toBe("second");
    expect(h.gh.download("o/art", 7, "results")!.attempt).toBe(2);
  });
});

describe("the fake GitHub: concurrency", () => {
  it("one running and one pending per group: a newer pending run replaces (cancels) the older", async () => {
    const order: string[] = [];
    const a = h.gh.acquire("g", "A").then(() => order.push("A"));
    const b = h.gh.acquire("g", "B").then(
      () => order.push("B"),
      (e: unknown) => order.push(e instanceof CancelledError ? "B cancelled" : "B?"),
    );
    await a;
    const c = h.gh.acquire("g", "C").then(() => order.push("C"));
    await b;
    expect(order).toEqual(["A", "B cancelled"]);
    expect(h.gh.pendingIn("g")).toBe("C");
    h.gh.release("g", "A");
    await c;
    expect(order).toEqual(["A", "B cancelled", "C"]);
    expect(h.gh.cancelled).toContain("B");
    h.gh.release("g", "C");
    await h.gh.acquire("g", "D"); // the group is free again
    h.gh.release("g", "D");
  });
});

describe("the fake GitHub: git", () => {
  const push = (remote: string, env: Record<string, string> = {}) => {
    const ws = h.checkout(remote);
    h.git(ws, "commit", "-q", "--allow-empty", "-m", "change");
    return execFileSync("git", ["push", "-q", "origin", "HEAD:refs/heads/main"], {
      cwd: ws,
      env: { ...h.gitEnv, ...env },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  };

  it("a protected branch refuses a push, from anyone", () => {
    const remote = h.makeRemote("protected", { "a.txt": "a\n" });
    push(remote); // not protected yet
    FakeGitHub.protect(remote, "main");
    expect(() => push(remote)).toThrow(/GH006: Protected branch update failed for refs\/heads\/main/);
    const bot = h.gh.issue({ permissions: { contents: "write" } });
    expect(() => push(remote, h.gh.pushEnv("o/protected", bot))).toThrow(/GH006/);
  });

  it("a push needs Contents: write", () => {
    const remote = h.makeRemote("readonly", { "a.txt": "a\n" });
    const reader = h.gh.issue({ permissions: { contents: "read" } });
    expect(() => push(remote, h.gh.pushEnv("o/readonly", reader))).toThrow(
      /Permission to o\/readonly.git denied to github-actions\[bot\]/,
    );
    const writer = h.gh.issue({ permissions: { contents: "write" } });
    push(remote, h.gh.pushEnv("o/readonly", writer));
  });

  it("a push made with GITHUB_TOKEN starts no workflow; the same push by a person starts apply", async () => {
    const remote = h.makeRemote("trigger", { "plans/p1/plan.json": "{}\n" });
    const runner = new WorkflowRunner({ harness: h, remote, repo: "o/trigger", secrets: {} });
    const ws = h.checkout(remote);
    const commitPlan = (name: string, env: Record<string, string>) => {
      h.git(ws, "checkout", "-q", "-B", "main", "origin/main");
      execFileSync("sh", ["-c", `mkdir -p plans/${name} && echo {} > plans/${name}/plan.json`], { cwd: ws });
      h.git(ws, "add", "-A");
      h.git(ws, "commit", "-q", "-m", name);
      execFileSync("git", ["push", "-q", "origin", "HEAD:refs/heads/main"], {
        cwd: ws,
        env: { ...h.gitEnv, ...env },
        stdio: "ignore",
      });
      h.git(ws, "fetch", "-q", "origin");
    };
    const wf = [".github/workflows/plan.yml", ".github/workflows/apply.yml"];
    commitPlan("p2", h.gh.pushEnv("o/trigger", h.gh.issue({ permissions: { contents: "write" } })));
    commitPlan("p3", {});
    const [byToken, byPerson] = FakeGitHub.pushes(remote).slice(-2) as [
      ReturnType<typeof FakeGitHub.pushes>[number],
      ReturnType<typeof FakeGitHub.pushes>[number],
    ];
    expect(byToken.githubToken).toBe(true);
    expect(byPerson.githubToken).toBe(false);
    expect(await runner.triggered(byToken, runner.changedFiles(byToken), wf)).toEqual([]);
    expect(await runner.triggered(byPerson, runner.changedFiles(byPerson), wf)).toEqual([
      ".github/workflows/apply.yml",
    ]);
    // An app or personal token's push is a person's push for GitHub: it starts workflows.
    const app = h.gh.issue({
      actor: "patron-sync-app[bot]",
      githubToken: false,
      permissions: { contents: "write" },
    });
    commitPlan("p4", h.gh.pushEnv("o/trigger", app));
    const byApp = FakeGitHub.pushes(remote).at(-1)!;
    expect(await runner.triggered(byApp, runner.changedFiles(byApp), wf)).toEqual([
      ".github/workflows/apply.yml",
    ]);
  });
});
