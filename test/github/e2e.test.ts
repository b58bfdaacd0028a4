/**
 * The action end to end, without GitHub: the action's entry (src/main.ts through tsx) is spawned with `node`
 * as the runner does (INPUT_* and GITHUB_* environment, an event file, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files), in a clone of a local bare remote, against a fake GitHub REST server
 * and the Alma and Infiniti simulators.
 *
 * PATRON_SYNC_ACTION_ENTRY=dist/index.js runs the committed bundle instead (test/cli.test.ts smoke-tests
 * the bundle on every run, and CI checks that dist/ matches the sources).
 */
import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAlmaSimulator, type AlmaSimulator } from "../../src/simulators/alma.ts";
import { startInfinitiSimulator, type InfinitiSimulator } from "../../src/simulators/infiniti.ts";
import { ENTRY, ENTRY_ABS, ROOT, spawnAction, type ActionRun } from "./action-runner.ts";
import { FakeGitHub, REPO_SCOPE } from "./fake-github.ts";

const TIMEOUT = 120_000;

const API_KEY = "l8xx-e2e-alma-key-6d3f";
const INF_USER = "autoimport";
const INF_PASS = "e2e-inf-pass-91c2";
const GH_TOKEN = "ghs_e2eFakeToken1234567890";
const ZERO = "0".repeat(40);

// ---------------------------------------------------------------------------------------------------------
// Git and the action, spawned as the runner does.

let tmp = "";
let gitEnv: NodeJS.ProcessEnv = {};
const GIT_ARGS_LOG = () => join(tmp, "git-args.log");
let alma: AlmaSimulator;
let infiniti: InfinitiSimulator;
const gh = new FakeGitHub();

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    env: gitEnv,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

let clones = 0;
/** A fresh clone of the remote with all history, as actions/checkout with fetch-depth: 0 makes. */
function checkout(remote: string): string {
  const dir = join(tmp, `ws${++clones}`);
  git(tmp, "clone", "-q", remote, dir);
  git(dir, "config", "user.name", "Library Staff");
  git(dir, "config", "user.email", "staff@library.example.edu");
  return dir;
}

const PATRON_LIST = "data/alma/patronlist_no_barcode.txt";
/** In the sample data, P00400's new barcode is held by another Alma user: Alma refuses the PUT. */
const FAILING = "P00400";

/** A bare remote seeded with patron-sync.yml and data/ from this repository. */
function makeRemote(name: string, opts: { without?: string; noHolderCheck?: boolean } = {}): string {
  const remote = join(tmp, `${name}.git`);
  git(tmp, "init", "-q", "--bare", "-b", "main", remote);
  const seed = checkout(remote);
  cpSync(join(ROOT, "patron-sync.yml"), join(seed, "patron-sync.yml"));
  if (opts.noHolderCheck) {
    // Without the plan's holder check, a barcode another user holds reaches Alma, which refuses it (401851).
    const yml = join(seed, "patron-sync.yml");
    writeFileSync(yml, readFileSync(yml, "utf8").replace(/^alma:\n/m, "alma:\n  check_holders: false\n"));
  }
  cpSync(join(ROOT, "data"), join(seed, "data"), { recursive: true });
  if (opts.without) {
    const list = join(seed, PATRON_LIST);
    const lines = readFileSync(list, "utf8").split("\n");
    writeFileSync(list, lines.filter((l) => l.trim() !== opts.without).join("\n"));
  }
  git(seed, "add", "-A");
  git(seed, "commit", "-q", "-m", "Patron lists from Alma Analytics and the SMS");
  git(seed, "push", "-q", "origin", "HEAD:refs/heads/main");
  return remote;
}

function pushEvent(repo: string, isPrivate: boolean, before: string, after: string, files: string[]) {
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
    repository: {
      name: repo.split("/")[1],
      full_name: repo,
      owner: { login: repo.split("/")[0], name: repo.split("/")[0] },
      private: isPrivate,
      fork: false,
      default_branch: "main",
    },
    pusher: { name: "staff" },
    commits: [commit],
    head_commit: commit,
  };
}

let runs = 0;
async function runAction(o: {
  workspace: string;
  repo: string;
  eventName: string;
  event: object;
  inputs: Record<string, string>;
}): Promise<ActionRun> {
  const inputs: Record<string, string> = {
    config: "patron-sync.yml",
    only: "",
    "alma-api-key": API_KEY,
    "infiniti-username": INF_USER,
    "infiniti-password": INF_PASS,
    "github-token": GH_TOKEN,
    "alma-base-url": alma.url,
    "infiniti-url": infiniti.url,
    "plan-dir": "",
    ...o.inputs,
  };
  runs++;
  return spawnAction({
    ...o,
    dir: join(tmp, `run${runs}`),
    inputs,
    baseEnv: gitEnv,
    githubApiUrl: gh.url,
    sha: git(o.workspace, "rev-parse", "HEAD"),
    runId: runs,
  });
}

/** What a reader of the log sees: the runner hides ::add-mask:: commands and masks the values. */
function expectNoSecrets(r: ActionRun): void {
  const visible = (r.stdout + r.stderr)
    .split("\n")
    .filter((l) => !l.startsWith("::add-mask::"))
    .join("\n");
  const b64 = Buffer.from(`${INF_USER}:${INF_PASS}`).toString("base64");
  for (const s of [API_KEY, INF_PASS, GH_TOKEN, b64]) expect(visible).not.toContain(s);
  // Each secret is registered for masking.
  expect(r.stdout).toContain(`::add-mask::${API_KEY}`);
  expect(r.stdout).toContain(`::add-mask::${b64}`);
}

function detail(r: ActionRun): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

function remoteHead(remote: string, ref: string): string {
  return git(tmp, "--git-dir", remote, "rev-parse", ref);
}

function treeFiles(remote: string, ref: string): string[] {
  return git(tmp, "--git-dir", remote, "ls-tree", "-r", "--name-only", ref).split("\n").filter(Boolean);
}

const puts = () => alma.stats().byMethod.PUT ?? 0;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "patron-sync-e2e-"));
  mkdirSync(join(tmp, "home"));
  // A git first on PATH that records the arguments of every git process the action starts, then runs git:
  // the token must never be among them (issue #17: the log and the process list show arguments).
  const bin = join(tmp, "bin");
  mkdirSync(bin);
  const realGit = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
  writeFileSync(
    join(bin, "git"),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${GIT_ARGS_LOG()}'\nexec '${realGit}' "$@"\n`,
    { mode: 0o755 },
  );
  gitEnv = {
    PATH: `${bin}:${process.env.PATH ?? ""}`,
    HOME: join(tmp, "home"),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    LANG: "C",
  };
  alma = await startAlmaSimulator({ apiKey: API_KEY, latencyMs: [0, 1] });
  infiniti = await startInfinitiSimulator({ username: INF_USER, password: INF_PASS });
  await gh.start();
  // The token runAction passes: one that may do everything the action calls (a classic `repo` token).
  gh.issue({ permissions: REPO_SCOPE }, GH_TOKEN);
}, TIMEOUT);

afterAll(async () => {
  await Promise.all([alma?.close(), infiniti?.close(), gh.close()]);
  // PATRON_SYNC_E2E_KEEP=1 keeps the clones, events, outputs and summaries for a look.
  if (process.env.PATRON_SYNC_E2E_KEEP) console.log(`e2e files kept in ${tmp}`);
  else if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------

describe(`the action (${ENTRY}) end to end`, () => {
  beforeAll(() => {
    if (!existsSync(ENTRY_ABS)) throw new Error(`${ENTRY} is missing: run 'npm run bundle' first`);
  });

  const REPO = "o/r";
  let remote = "";
  let planDir = "";

  it(
    "plan pushes the branch patron-sync/plan and opens one pull request",
    async () => {
      // Without the patron whose PUT Alma refuses: the failure path is its own test below.
      remote = makeRemote("private", { without: FAILING });
      const ws = checkout(remote);
      const head = git(ws, "rev-parse", "HEAD");
      const r = await runAction({
        workspace: ws,
        repo: REPO,
        eventName: "push",
        event: pushEvent(REPO, true, ZERO, head, ["patron-sync.yml", "data/alma/patronlist_no_barcode.txt"]),
        inputs: { command: "plan" },
      });
      expect(r.code, detail(r)).toBe(0);
      expectNoSecrets(r);
      planDir = r.outputs["plan-dir"]!;
      expect(planDir).toMatch(/^plans\/\d{8}T\d{6}Z$/);
      expect(r.outputs).toMatchObject({
        "pull-request-operation": "created",
        "pull-request-number": "1",
        "pull-request-url": "https://github.example/o/r/pull/1",
      });
      expect(Number(r.outputs.changes)).toBeGreaterThan(0);

      // The rolling branch: one commit on top of main, by the bot, holding the whole plan.
      const branch = remoteHead(remote, "refs/heads/patron-sync/plan");
      expect(git(tmp, "--git-dir", remote, "rev-parse", `${branch}^`)).toBe(head);
      expect(git(tmp, "--git-dir", remote, "log", "-1", "--format=%an <%ae>", branch)).toBe(
        "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>",
      );
      // What review and apply need is committed; the full records and the Infiniti passwords are not
      // (commit_records is off by default): they stay on the runner for the run's artifact.
      const files = treeFiles(remote, branch);
      for (const f of ["plan.json", "plan.md", "alma/plan.json", "infiniti/plan.json"])
        expect(files).toContain(`${planDir}/${f}`);
      for (const f of ["alma/all_patrons.xml", "alma/processed_results.xml", "infiniti/import.csv"]) {
        expect(files).not.toContain(`${planDir}/${f}`);
        expect(existsSync(join(ws, planDir, f)), f).toBe(true);
      }
      expect(r.outputs["artifact-retention-days"]).toBe("30");

      // One pull request, from the rolling branch to main, titled with the counts, plan.md as body.
      expect(gh.count("POST", "/repos/o/r/pulls")).toBe(1);
      const pr = gh.pulls.get(REPO)![0]!;
      expect(pr).toMatchObject({ head: { ref: "patron-sync/plan" }, base: { ref: "main" }, state: "open" });
      expect(pr.title).toMatch(
        /^Patron sync plan: Alma \d+ add · \d+ deactivate · \d+ replace.*; Infiniti \d+ create · \d+ update · \d+ disable/,
      );
      expect(pr.body).toContain("## Alma barcode repair");
      expect(pr.body).toContain("Patron records are not committed");
      expect(pr.body).toContain("https://github.example/o/r/actions/runs/");
      expect(gh.calls.every((c) => c.auth === `token ${GH_TOKEN}`)).toBe(true);

      // The job summary: counts, a chart, the pull request.
      expect(r.summary).toContain("```mermaid");
      expect(r.summary).toContain("| Alma |");
      expect(r.summary).toContain("[#1](https://github.example/o/r/pull/1)");

      // Planning sends nothing.
      expect(puts()).toBe(0);
      expect(infiniti.stats().posts).toBe(0);
    },
    TIMEOUT,
  );

  it(
    "a second plan after another data commit updates that pull request instead of opening another",
    async () => {
      const staff = checkout(remote);
      const roster = join(staff, "data/infiniti/users.csv");
      const header = readFileSync(roster, "utf8").split("\n")[0]!.split(",");
      const row = header.map(
        (c) =>
          ({
            username: "new.student",
            givenname: "Newton",
            surname: "Student",
            emailaddress: "new.student@students.example.edu",
            enabled: "y",
            staffmember: "n",
            graduationyear: "2030",
          })[c] ?? "",
      );
      writeFileSync(roster, readFileSync(roster, "utf8").replace(/\n?$/, "\n") + row.join(",") + "\n");
      git(staff, "commit", "-q", "-am", "A new student");
      const before = remoteHead(remote, "refs/heads/main");
      git(staff, "push", "-q", "origin", "HEAD:refs/heads/main");
      const after = git(staff, "rev-parse", "HEAD");

      const ws = checkout(remote);
      const r = await runAction({
        workspace: ws,
        repo: REPO,
        eventName: "push",
        event: pushEvent(REPO, true, before, after, ["data/infiniti/users.csv"]),
        inputs: { command: "plan" },
      });
      expect(r.code, detail(r)).toBe(0);
      expect(r.outputs).toMatchObject({ "pull-request-operation": "updated", "pull-request-number": "1" });
      planDir = r.outputs["plan-dir"]!;
      expect(gh.count("POST", "/repos/o/r/pulls")).toBe(1);
      expect(gh.count("PATCH", "/repos/o/r/pulls/1")).toBe(1);
      expect(gh.pulls.get(REPO)).toHaveLength(1);

      // Force-updated from the new main: one commit on top, one plan directory.
      const branch = remoteHead(remote, "refs/heads/patron-sync/plan");
      expect(git(tmp, "--git-dir", remote, "rev-parse", `${branch}^`)).toBe(after);
      const dirs = new Set(
        treeFiles(remote, branch)
          .filter((f) => f.startsWith("plans/"))
          .map((f) => f.split("/").slice(0, 2).join("/")),
      );
      expect([...dirs]).toEqual([planDir]);
      expect(readFileSync(join(ws, planDir, "infiniti", "import.csv"), "utf8")).toContain("new.student");
    },
    TIMEOUT,
  );

  let resultsCommit = "";
  let mergeCommit = "";
  let putsAfterApply = 0;

  it(
    "merging the plan applies it: PUTs to Alma, the Infiniti import, results committed to main",
    async () => {
      const maintainer = checkout(remote);
      const before = git(maintainer, "rev-parse", "HEAD");
      git(
        maintainer,
        "merge",
        "-q",
        "--no-ff",
        "origin/patron-sync/plan",
        "-m",
        "Merge pull request #1 from o/patron-sync/plan",
      );
      git(maintainer, "push", "-q", "origin", "HEAD:refs/heads/main");
      mergeCommit = git(maintainer, "rev-parse", "HEAD");
      Object.assign(gh.pulls.get(REPO)![0]!, {
        state: "closed",
        merged_at: new Date().toISOString(),
        merge_commit_sha: mergeCommit,
      });

      const ws = checkout(remote);
      const almaPlan = readFileSync(join(ws, planDir, "alma", "plan.json"), "utf8");
      const r = await runAction({
        workspace: ws,
        repo: REPO,
        eventName: "push",
        event: pushEvent(REPO, true, before, mergeCommit, [`${planDir}/plan.json`, `${planDir}/plan.md`]),
        inputs: { command: "apply" },
      });
      expect(r.code, detail(r)).toBe(0);
      expectNoSecrets(r);
      expect(r.outputs["plan-dir"]).toBe(planDir);
      expect(r.outputs.failed).toBe("0");
      expect(Number(r.outputs.updated)).toBeGreaterThan(0);

      // Alma: every planned barcode is on its user now.
      const adds = almaPlan
        .split("\n")
        .filter((l) => /"action":"(add|deactivate|replace)"/.test(l))
        .map((l) => JSON.parse(l.trim().replace(/,$/, "")) as { primary_id: string; new_barcode: string });
      expect(adds.length).toBeGreaterThan(0);
      expect(puts()).toBeGreaterThanOrEqual(adds.length);
      for (const a of adds) {
        const barcodes = alma
          .getUser(a.primary_id)!
          .identifiers.map((i) => `${i.value.toLowerCase()}:${i.status ?? "ACTIVE"}`);
        expect(barcodes, a.primary_id).toContain(`${a.new_barcode.toLowerCase()}:ACTIVE`);
      }
      putsAfterApply = puts();

      // Infiniti: one import, and the roster's users exist.
      expect(infiniti.stats().posts).toBe(1);
      const names = infiniti.users().map((u) => u.username);
      expect(names).toContain("zoe.hartley");
      expect(names).toContain("new.student");

      // The audit trail: one bot commit on main, with [skip ci], holding the results and the state.
      resultsCommit = remoteHead(remote, "refs/heads/main");
      expect(git(tmp, "--git-dir", remote, "rev-parse", `${resultsCommit}^`)).toBe(mergeCommit);
      const msg = git(tmp, "--git-dir", remote, "log", "-1", "--format=%s%n%an", resultsCommit);
      expect(msg).toContain("[skip ci]");
      expect(msg).toContain("github-actions[bot]");
      const files = treeFiles(remote, resultsCommit);
      for (const f of [
        "results.md",
        "alma/results.csv",
        "alma/results.json",
        "infiniti/results.csv",
        "infiniti/results.json",
      ])
        expect(files).toContain(`${planDir}/${f}`);
      expect(files).toContain("state/infiniti/applied.csv");
      // Nor does the results commit bring the records into git: apply re-derived the Infiniti rows
      // (import.csv is not committed) from the roster and state at the plan's commit.
      expect(files.filter((f) => /all_patrons|processed_results|import\.csv/.test(f))).toEqual([]);
      expect(r.outputs["artifact-paths"]!.split("\n")).toEqual([planDir, "state/infiniti/applied.csv"]);

      expect(r.summary).toContain("Updated **");
      expect(r.summary).toContain("Results committed to `main`");

      // The results go back to the merged plan pull request: counts and a link to the run.
      const comments = gh.calls.filter(
        (c) => c.method === "POST" && c.path === "/repos/o/r/issues/1/comments",
      );
      expect(comments).toHaveLength(1);
      const comment = String(comments[0]!.body?.body);
      expect(comment).toContain(`### patron-sync applied \`${planDir}\``);
      expect(comment).toContain("| System | updated | unchanged | skipped | failed | pending |");
      expect(comment).toMatch(/\| Alma \| [1-9][\d,]* \| \d+ \| \d+ \| 0 \| 0 \|/);
      expect(comment).toMatch(/\| Concord Infiniti \| \d+ \| 0 \| 0 \| 0 \| 0 \|/);
      expect(comment).toMatch(/\[The run\]\(https:\/\/github\.example\/o\/r\/actions\/runs\/\d+\)/);
      expect(comment).not.toContain("#### Failed");
      // results.md says what apply did, not the plan's title.
      const resultsMd = git(tmp, "--git-dir", remote, "show", `${resultsCommit}:${planDir}/results.md`);
      expect(resultsMd.split("\n")[0]).toMatch(/^# Patron sync results: Alma \d+ updated/);
      expect(resultsMd).toMatch(/^## Apply of \d{4}-\d\d-\d\d /m);
    },
    TIMEOUT,
  );

  it(
    "a repeated apply sends nothing twice and commits nothing new",
    async () => {
      const posts = infiniti.stats().posts;
      // The results commit itself (had [skip ci] not stopped it): a no-op.
      const ws1 = checkout(remote);
      const again = await runAction({
        workspace: ws1,
        repo: REPO,
        eventName: "push",
        event: pushEvent(REPO, true, mergeCommit, resultsCommit, [`${planDir}/results.md`]),
        inputs: { command: "apply" },
      });
      expect(again.code, detail(again)).toBe(0);
      expect(again.stdout).toContain("was applied before");
      expect(again.outputs).toMatchObject({ "plan-dir": planDir, updated: "0", failed: "0" });

      // Staff run apply by hand on the same plan: every record is reported unchanged, nothing sent.
      const ws2 = checkout(remote);
      const manual = await runAction({
        workspace: ws2,
        repo: REPO,
        eventName: "workflow_dispatch",
        event: {
          inputs: { "plan-dir": planDir, only: "both" },
          ref: "refs/heads/main",
          repository: { full_name: REPO, private: true, default_branch: "main", fork: false },
        },
        inputs: { command: "apply", "plan-dir": planDir },
      });
      expect(manual.code, detail(manual)).toBe(0);
      expect(manual.outputs).toMatchObject({ "plan-dir": planDir, updated: "0", failed: "0" });
      expect(manual.summary).toContain("unchanged");

      expect(puts()).toBe(putsAfterApply);
      expect(infiniti.stats().posts).toBe(posts);
      expect(remoteHead(remote, "refs/heads/main")).toBe(resultsCommit);
    },
    TIMEOUT,
  );

  it(
    "a public repository gets no personal data committed, and apply is refused",
    async () => {
      const PUB = "o/pub";
      gh.visibility.set(PUB, false);
      const pubRemote = makeRemote("public");
      const ws = checkout(pubRemote);
      const head = git(ws, "rev-parse", "HEAD");
      const putsBefore = puts();
      const r = await runAction({
        workspace: ws,
        repo: PUB,
        eventName: "push",
        event: pushEvent(PUB, false, ZERO, head, ["data/alma/patronlist_no_barcode.txt"]),
        inputs: { command: "plan" },
      });
      expect(r.code, detail(r)).toBe(0);
      expect(r.outputs["pull-request-operation"]).toBe("created");
      const dir = r.outputs["plan-dir"]!;

      // Only the redacted plan.md and plan.json are on the branch beyond main.
      const branch = remoteHead(pubRemote, "refs/heads/patron-sync/plan");
      const changed = git(tmp, "--git-dir", pubRemote, "diff", "--name-only", head, branch).split("\n");
      expect(changed.sort()).toEqual([`${dir}/plan.json`, `${dir}/plan.md`]);
      const planFiles = treeFiles(pubRemote, branch).filter((f) => f.startsWith("plans/"));
      expect(
        planFiles.some((f) => /all_patrons\.xml|processed_results\.xml|import\.csv|results\.csv/.test(f)),
      ).toBe(false);
      // The runner's copy (the artifact) is redacted too.
      expect(readdirSync(join(ws, dir)).sort()).toEqual(["plan.json", "plan.md"]);

      // No names, e-mail addresses or passwords in what was committed or sent to GitHub.
      const roster = parse<Record<string, string>>(
        readFileSync(join(ROOT, "data/infiniti/users.csv"), "utf8"),
        {
          columns: true,
          skip_empty_lines: true,
        },
      );
      const personal = new Set<string>();
      for (const u of roster)
        for (const k of ["givenname", "surname", "emailaddress", "password"])
          if ((u[k] ?? "").length > 2) personal.add(u[k]!);
      const ids = readFileSync(join(ROOT, "data/alma/patronlist_no_barcode.txt"), "utf8")
        .split(/\r?\n/)
        .slice(1);
      for (const id of ids) {
        const u = id.trim() ? alma.getUser(id.trim()) : undefined;
        if (u?.firstName && u.firstName.length > 2) personal.add(u.firstName);
        if (u?.lastName && u.lastName.length > 2) personal.add(u.lastName);
      }
      expect(personal.size).toBeGreaterThan(5);
      const pr = gh.pulls.get(PUB)![0]!;
      const committed = [
        git(tmp, "--git-dir", pubRemote, "show", `${branch}:${dir}/plan.md`),
        git(tmp, "--git-dir", pubRemote, "show", `${branch}:${dir}/plan.json`),
        pr.body,
        pr.title,
        r.summary,
        r.stdout, // the log of a public repository's run is public too
        r.stderr,
      ].join("\n");
      for (const p of personal) expect(committed, p).not.toContain(p);
      expect(committed).not.toMatch(/<user>|<first_name>/);
      expect(committed).toContain("public");
      expect(r.stdout + r.stderr).toContain("public");

      // Apply is refused in a public repository: exit 2, nothing sent.
      const merged = checkout(pubRemote);
      git(merged, "merge", "-q", "--no-ff", "origin/patron-sync/plan", "-m", "Merge the plan");
      git(merged, "push", "-q", "origin", "HEAD:refs/heads/main");
      const ws2 = checkout(pubRemote);
      const a = await runAction({
        workspace: ws2,
        repo: PUB,
        eventName: "push",
        event: pushEvent(PUB, false, head, git(ws2, "rev-parse", "HEAD"), [`${dir}/plan.json`]),
        inputs: { command: "apply" },
      });
      expect(a.code, detail(a)).toBe(2);
      expect(a.stdout + a.stderr).toContain("is public: apply is refused");
      expect(puts()).toBe(putsBefore);
    },
    TIMEOUT,
  );

  it(
    "plan closes the stale pull request when nothing is left to change",
    async () => {
      // In the private repository everything was applied: a new plan finds nothing to send.
      gh.pulls.get(REPO)![0]!.state = "open";
      const ws = checkout(remote);
      const r = await runAction({
        workspace: ws,
        repo: REPO,
        eventName: "workflow_dispatch",
        event: {
          inputs: { only: "alma" },
          ref: "refs/heads/main",
          repository: { full_name: REPO, private: true, default_branch: "main", fork: false },
        },
        inputs: { command: "plan", only: "alma" },
      });
      expect(r.code, detail(r)).toBe(0);
      expect(r.outputs).toMatchObject({
        changes: "0",
        "pull-request-operation": "closed",
        "pull-request-number": "1",
      });
      expect(gh.pulls.get(REPO)![0]!.state).toBe("closed");
      // One comment saying why it is closed (the other comment on #1 is the results of its apply).
      const comments = gh.calls
        .filter((c) => c.method === "POST" && c.path === "/repos/o/r/issues/1/comments")
        .map((c) => String(c.body?.body));
      expect(comments.filter((b) => !b.startsWith("### patron-sync applied"))).toHaveLength(1);
      expect(puts()).toBe(putsAfterApply);
    },
    TIMEOUT,
  );

  it(
    "a record Alma refuses fails the job, with the failure and Alma's message in the summary",
    async () => {
      const FAIL = "o/fail";
      const failRemote = makeRemote("failing", { noHolderCheck: true });
      const ws = checkout(failRemote);
      const head = git(ws, "rev-parse", "HEAD");
      const p = await runAction({
        workspace: ws,
        repo: FAIL,
        eventName: "push",
        event: pushEvent(FAIL, true, ZERO, head, [PATRON_LIST]),
        inputs: { command: "plan", only: "alma" },
      });
      expect(p.code, detail(p)).toBe(0);
      const dir = p.outputs["plan-dir"]!;

      const maintainer = checkout(failRemote);
      git(maintainer, "merge", "-q", "--no-ff", "origin/patron-sync/plan", "-m", "Merge the plan");
      git(maintainer, "push", "-q", "origin", "HEAD:refs/heads/main");
      const merge = git(maintainer, "rev-parse", "HEAD");
      const pull = gh.pulls.get(FAIL)![0]!;
      Object.assign(pull, { state: "closed", merged_at: new Date().toISOString(), merge_commit_sha: merge });
      const a = await runAction({
        workspace: checkout(failRemote),
        repo: FAIL,
        eventName: "push",
        event: pushEvent(FAIL, true, head, merge, [`${dir}/plan.json`]),
        inputs: { command: "apply", only: "alma" },
      });
      expect(a.code, detail(a)).toBe(1);
      expect(a.outputs).toMatchObject({ "plan-dir": dir, failed: "1" });
      expect(a.stdout).toContain("::error::1 record failed");
      expect(a.summary).toContain("## Failures (1)");
      expect(a.summary).toMatch(new RegExp(`\\| Alma \\| ${FAILING} \\| Alma error 401851`));
      // ...and in the comment on the merged plan pull request, with the counts.
      const comment = gh.calls.find(
        (c) => c.method === "POST" && c.path === `/repos/${FAIL}/issues/${pull.number}/comments`,
      );
      expect(comment, "a results comment on the merged pull request").toBeDefined();
      const body = String(comment!.body?.body);
      expect(body).toMatch(/\| Alma \| \d+ \| \d+ \| \d+ \| 1 \| 0 \|/);
      expect(body).toContain("#### Failed (1)");
      expect(body).toMatch(new RegExp(`\\| Alma \\| ${FAILING} \\| Alma error 401851`));
      // The failure is part of the audit trail too.
      const results = remoteHead(failRemote, "refs/heads/main");
      expect(git(tmp, "--git-dir", failRemote, "rev-parse", `${results}^`)).toBe(merge);
      expect(git(tmp, "--git-dir", failRemote, "show", `${results}:${dir}/alma/results.csv`)).toContain(
        `${FAILING},failed,`,
      );

      // A later push does not retry it (staff run apply by hand once the cause is fixed).
      const putsBefore = puts();
      const again = await runAction({
        workspace: checkout(failRemote),
        repo: FAIL,
        eventName: "push",
        event: pushEvent(FAIL, true, merge, results, [`${dir}/results.md`]),
        inputs: { command: "apply" },
      });
      expect(again.code, detail(again)).toBe(0);
      expect(again.stdout).toContain("1 failed");
      expect(puts()).toBe(putsBefore);
      expect(remoteHead(failRemote, "refs/heads/main")).toBe(results);
    },
    TIMEOUT,
  );

  it(
    "a plan tampered with on the plan branch after review is refused on merge: exit 2, nothing sent",
    async () => {
      const TAMPER = "o/tamper";
      const tamperRemote = makeRemote("tamper", { without: FAILING });
      const ws = checkout(tamperRemote);
      const head = git(ws, "rev-parse", "HEAD");
      const p = await runAction({
        workspace: ws,
        repo: TAMPER,
        eventName: "push",
        event: pushEvent(TAMPER, true, ZERO, head, [PATRON_LIST]),
        inputs: { command: "plan" },
      });
      expect(p.code, detail(p)).toBe(0);
      const dir = p.outputs["plan-dir"]!;
      const plan = JSON.parse(readFileSync(join(ws, dir, "plan.json"), "utf8"));
      expect(plan.source).toMatchObject({ kind: "git", commit: head });

      // Someone with push access edits the plan files on the plan branch after the description was written.
      const attacker = checkout(tamperRemote);
      git(attacker, "checkout", "-q", "-b", "evil", "origin/patron-sync/plan");
      const almaPlan = join(attacker, dir, "alma", "plan.json");
      const text = readFileSync(almaPlan, "utf8");
      // The first patron with a barcode to write (or already written by an earlier test): EVIL-0001 instead.
      const lines = text.split("\n");
      const at = lines.findIndex((l) => l.includes('"new_barcode"'));
      const entry = JSON.parse(lines[at]!.trim().replace(/,$/, ""));
      lines[at] = lines[at]!.replace(
        JSON.stringify(entry),
        JSON.stringify({ ...entry, action: "add", new_barcode: "EVIL-0001" }),
      );
      const tampered = lines.join("\n");
      expect(tampered).toContain("EVIL-0001");
      writeFileSync(almaPlan, tampered);
      const importCsv = join(attacker, dir, "infiniti", "import.csv");
      const header = readFileSync(join(attacker, "data/infiniti/users.csv"), "utf8").split("\n")[0]!;
      const row = header
        .split(",")
        .map((c) => (c === "username" ? "backdoor" : c === "staffmember" ? "y" : ""));
      writeFileSync(
        importCsv,
        (existsSync(importCsv) ? readFileSync(importCsv, "utf8") : `${header}\n`) + `${row.join(",")}\n`,
      );
      git(attacker, "add", "-A");
      git(attacker, "commit", "-q", "-m", "Small fix to the plan");
      git(attacker, "push", "-q", "origin", "HEAD:refs/heads/patron-sync/plan");

      const maintainer = checkout(tamperRemote);
      git(maintainer, "merge", "-q", "--no-ff", "origin/patron-sync/plan", "-m", "Merge the plan");
      git(maintainer, "push", "-q", "origin", "HEAD:refs/heads/main");
      const merge = git(maintainer, "rev-parse", "HEAD");
      const putsBefore = puts();
      const postsBefore = infiniti.stats().posts;
      const a = await runAction({
        workspace: checkout(tamperRemote),
        repo: TAMPER,
        eventName: "push",
        event: pushEvent(TAMPER, true, head, merge, [`${dir}/plan.json`]),
        inputs: { command: "apply" },
      });
      expect(a.code, detail(a)).toBe(2);
      expect(a.stdout).toMatch(/::error::.*the plan writes barcode EVIL-0001/);
      expect(a.stdout).toContain("import.csv is not the file the plan showed");
      expect(a.stdout).toContain("Nothing was sent.");
      expect(puts()).toBe(putsBefore);
      expect(infiniti.stats().posts).toBe(postsBefore);
      expect(remoteHead(tamperRemote, "refs/heads/main")).toBe(merge); // no results commit
    },
    TIMEOUT,
  );

  it(
    "bad input is exit 2 with the problems in the job summary, nothing sent",
    async () => {
      const ws = checkout(remote);
      writeFileSync(join(ws, "data/alma/library_barcode_full_list.txt"), "this line has no bar\n");
      const r = await runAction({
        workspace: ws,
        repo: REPO,
        eventName: "workflow_dispatch",
        event: { repository: { full_name: REPO, private: true } },
        inputs: { command: "validate" },
      });
      expect(r.code, detail(r)).toBe(2);
      expect(r.stdout).toContain("::error::");
      expect(r.summary).toContain("Nothing was sent");
      expect(r.summary).toContain("data/alma/library_barcode_full_list.txt");
    },
    TIMEOUT,
  );

  it(
    "revert opens a revert pull request on patron-sync/revert; merging it applies the revert",
    async () => {
      const ws = checkout(remote);
      const main = remoteHead(remote, "refs/heads/main");
      const putsBefore = puts();
      const posts = infiniti.stats().posts;
      const r = await runAction({
        workspace: ws,
        repo: REPO,
        eventName: "workflow_dispatch",
        event: {
          inputs: { revert: planDir, only: "both" },
          ref: "refs/heads/main",
          repository: { full_name: REPO, private: true, default_branch: "main", fork: false },
        },
        inputs: { command: "revert", "plan-dir": planDir },
      });
      expect(r.code, detail(r)).toBe(0);
      const revertDir = r.outputs["plan-dir"]!;
      expect(revertDir).toMatch(/^plans\/\d{8}T\d{6}Z$/);
      expect(revertDir).not.toBe(planDir);
      expect(r.outputs["pull-request-operation"]).toBe("created");
      // Writing the revert plan calls neither Alma nor Infiniti.
      expect(puts()).toBe(putsBefore);
      expect(infiniti.stats().posts).toBe(posts);

      // Its own branch and pull request, beside the plan's.
      const branch = remoteHead(remote, "refs/heads/patron-sync/revert");
      expect(git(tmp, "--git-dir", remote, "rev-parse", `${branch}^`)).toBe(main);
      const files = treeFiles(remote, branch);
      for (const f of ["plan.json", "plan.md", "alma/plan.json", "infiniti/plan.json"])
        expect(files).toContain(`${revertDir}/${f}`);
      const manifest = JSON.parse(git(tmp, "--git-dir", remote, "show", `${branch}:${revertDir}/plan.json`));
      expect(manifest).toMatchObject({ kind: "revert", reverts: planDir });
      const pr = gh.pulls.get(REPO)!.find((p) => p.head.ref === "patron-sync/revert")!;
      expect(pr).toMatchObject({ state: "open", base: { ref: "main" } });
      expect(pr.title).toMatch(
        new RegExp(`^Patron sync plan: revert of ${planDir}: \\d+ Alma users to restore`),
      );
      expect(pr.body).toContain(`revert of \`${planDir}\``);
      expect(pr.body).toContain("new.student");
      expect(r.summary).toContain(pr.html_url.replace(/^.*\/pull\//, "#"));

      // Merging it applies it: the barcodes the plan added are gone, the student it created is disabled.
      const maintainer = checkout(remote);
      git(maintainer, "merge", "-q", "--no-ff", "origin/patron-sync/revert", "-m", "Merge the revert");
      git(maintainer, "push", "-q", "origin", "HEAD:refs/heads/main");
      const merge = git(maintainer, "rev-parse", "HEAD");
      const a = await runAction({
        workspace: checkout(remote),
        repo: REPO,
        eventName: "push",
        event: pushEvent(REPO, true, main, merge, [`${revertDir}/plan.json`]),
        inputs: { command: "apply" },
      });
      expect(a.code, detail(a)).toBe(0);
      expect(a.outputs["plan-dir"]).toBe(revertDir);
      expect(Number(a.outputs.updated)).toBeGreaterThan(0);
      const almaPlan = readFileSync(join(ws, planDir, "alma", "plan.json"), "utf8");
      const adds = almaPlan
        .split("\n")
        .filter((l) => /"action":"add"/.test(l))
        .map((l) => JSON.parse(l.trim().replace(/,$/, "")) as { primary_id: string; new_barcode: string });
      expect(adds.length).toBeGreaterThan(0);
      for (const x of adds) {
        const active = alma
          .getUser(x.primary_id)!
          .identifiers.filter((i) => (i.status ?? "ACTIVE") === "ACTIVE")
          .map((i) => i.value.toLowerCase());
        expect(active, x.primary_id).not.toContain(x.new_barcode.toLowerCase());
      }
      expect(infiniti.user("new.student")!.values.enabled).toBe("n");
      expect((infiniti.stats().lastCsv ?? "").split("\n")[0]).not.toContain("password");
    },
    TIMEOUT,
  );

  it(
    "a push that deletes plan files (GitHub's Revert button) is refused by apply: exit 2, nothing sent",
    async () => {
      const staff = checkout(remote);
      const before = git(staff, "rev-parse", "HEAD");
      git(staff, "rm", "-q", "-r", `${planDir}/plan.json`, `${planDir}/plan.md`, `${planDir}/alma/plan.json`);
      git(staff, "commit", "-q", "-m", 'Revert "Merge pull request #1 from o/patron-sync/plan"');
      git(staff, "push", "-q", "origin", "HEAD:refs/heads/main");
      const after = git(staff, "rev-parse", "HEAD");
      const putsBefore = puts();
      const posts = infiniti.stats().posts;
      const a = await runAction({
        workspace: checkout(remote),
        repo: REPO,
        eventName: "push",
        event: pushEvent(REPO, true, before, after, []),
        inputs: { command: "apply" },
      });
      expect(a.code, detail(a)).toBe(2);
      expect(a.stdout).toContain(`deletes plan files under plans/ (${planDir}/alma/plan.json`);
      expect(a.stdout).toContain("GitHub's Revert button");
      expect(a.summary).toContain("Nothing was sent");
      expect(puts()).toBe(putsBefore);
      expect(infiniti.stats().posts).toBe(posts);
      expect(remoteHead(remote, "refs/heads/main")).toBe(after); // nothing committed
    },
    TIMEOUT,
  );
});

// ---------------------------------------------------------------------------------------------------------
// GitHub as it really behaves (#9 §6) and patron records out of git (#10 §3).

describe(`the action (${ENTRY}) as GitHub really behaves`, () => {
  /** A maintainer merges the plan branch into main (a merge commit, as GitHub's merge button makes). */
  function mergePlan(remote: string, title = "Merge the plan"): { before: string; after: string } {
    const m = checkout(remote);
    const before = git(m, "rev-parse", "HEAD");
    git(m, "merge", "-q", "--no-ff", "origin/patron-sync/plan", "-m", title);
    git(m, "push", "-q", "origin", "HEAD:refs/heads/main");
    return { before, after: git(m, "rev-parse", "HEAD") };
  }

  /** Staff push a change to a data file; returns the push's before and after. */
  function pushData(remote: string, file: string, change: (text: string) => string) {
    const staff = checkout(remote);
    const before = git(staff, "rev-parse", "HEAD");
    writeFileSync(join(staff, file), change(readFileSync(join(staff, file), "utf8")));
    git(staff, "commit", "-q", "-am", `Update ${file}`);
    git(staff, "push", "-q", "origin", "HEAD:refs/heads/main");
    return { before, after: git(staff, "rev-parse", "HEAD") };
  }

  const ROSTER = "data/infiniti/users.csv";
  const addStudent = (name: string) => (text: string) => {
    const header = text.split("\n")[0]!.split(",");
    const row = header.map(
      (c) =>
        ({
          username: name,
          givenname: "New",
          surname: "Student",
          graduationyear: "2030",
          enabled: "y",
          staffmember: "n",
        })[c] ?? "",
    );
    return text.replace(/\n?$/, "\n") + row.join(",") + "\n";
  };

  async function plan(
    remote: string,
    repo: string,
    push: { before: string; after: string },
    files: string[],
  ) {
    return runAction({
      workspace: checkout(remote),
      repo,
      eventName: "push",
      event: pushEvent(repo, true, push.before, push.after, files),
      inputs: { command: "plan", only: "infiniti" },
    });
  }

  it(
    "a failed plan marks the open plan pull request stale (linking the run) and closes it, never rewriting it",
    async () => {
      const R = "o/stale";
      const remote = makeRemote("stale");
      const head = remoteHead(remote, "refs/heads/main");
      const first = await plan(remote, R, { before: ZERO, after: head }, [ROSTER]);
      expect(first.code, detail(first)).toBe(0);
      const pr = gh.pulls.get(R)![0]!;
      const { title, body } = pr;
      const branch = remoteHead(remote, "refs/heads/patron-sync/plan");

      // The newest roster is broken: validation fails.
      const push = pushData(remote, ROSTER, (t) => t.replace(/^username,/, "user_name,"));
      const r = await plan(remote, R, push, [ROSTER]);
      expect(r.code, detail(r)).toBe(2);
      expect(r.stdout).toContain("::error::");

      // Marked stale with a link to the failed run, and closed; its title, body and branch untouched.
      expect(pr.state).toBe("closed");
      const comments = gh.calls.filter(
        (c) => c.method === "POST" && c.path === `/repos/${R}/issues/1/comments`,
      );
      expect(comments).toHaveLength(1);
      const comment = String(comments[0]!.body!.body);
      expect(comment).toContain("This plan is stale");
      expect(comment).toMatch(/\(https:\/\/github\.example\/o\/stale\/actions\/runs\/\d+\)/);
      expect(comment).not.toContain("Nothing is left to change");
      expect(pr.title).toBe(title);
      expect(pr.body).toBe(body);
      expect(remoteHead(remote, "refs/heads/patron-sync/plan")).toBe(branch);
      expect(gh.count("POST", `/repos/${R}/pulls`)).toBe(1);

      // Any other failure too: here the remote refuses the plan branch after the plan was made.
      pr.state = "open";
      writeFileSync(
        join(remote, "hooks", "pre-receive"),
        '#!/bin/sh\nwhile read old new ref; do [ "$ref" = "refs/heads/patron-sync/plan" ] && { echo "refused" >&2; exit 1; }; done\nexit 0\n',
        { mode: 0o755 },
      );
      const fixed = pushData(remote, ROSTER, (t) => t.replace(/^user_name,/, "username,"));
      const again = await plan(remote, R, fixed, [ROSTER]);
      expect(again.code, detail(again)).toBe(1);
      expect(pr.state).toBe("closed");
      const all = gh.calls.filter((c) => c.method === "POST" && c.path === `/repos/${R}/issues/1/comments`);
      expect(all).toHaveLength(2);
      expect(String(all[1]!.body!.body)).toContain("the plan could not be finished");
      expect(pr.title).toBe(title);
      expect(pr.body).toBe(body);
      expect(remoteHead(remote, "refs/heads/patron-sync/plan")).toBe(branch);
    },
    TIMEOUT,
  );

  it(
    "a wrong Alma key (a fatal error) marks the open plan pull request stale too",
    async () => {
      const R = "o/wrongkey";
      const remote = makeRemote("wrongkey");
      const first = await plan(remote, R, { before: ZERO, after: remoteHead(remote, "refs/heads/main") }, [
        ROSTER,
      ]);
      expect(first.code, detail(first)).toBe(0);
      const pr = gh.pulls.get(R)![0]!;
      const { title, body } = pr;
      const branch = remoteHead(remote, "refs/heads/patron-sync/plan");
      const r = await runAction({
        workspace: checkout(remote),
        repo: R,
        eventName: "workflow_dispatch",
        event: {
          inputs: { only: "alma" },
          ref: "refs/heads/main",
          repository: { full_name: R, private: true, default_branch: "main", fork: false },
        },
        inputs: { command: "plan", only: "alma", "alma-api-key": "l8xx-wrong-key-0000" },
      });
      expect(r.code, detail(r)).toBe(1);
      expect(pr.state).toBe("closed");
      const comments = gh.calls.filter(
        (c) => c.method === "POST" && c.path === `/repos/${R}/issues/1/comments`,
      );
      expect(comments).toHaveLength(1);
      expect(String(comments[0]!.body!.body)).toContain("This plan is stale");
      expect(pr.title).toBe(title);
      expect(pr.body).toBe(body);
      expect(remoteHead(remote, "refs/heads/patron-sync/plan")).toBe(branch);
    },
    TIMEOUT,
  );

  it(
    "before the first configuration a plan run is green with one notice and opens nothing",
    async () => {
      const R = "o/fresh";
      const remote = makeRemote("fresh");
      const gets = alma.stats().byMethod.GET ?? 0;
      const r = await runAction({
        workspace: checkout(remote),
        repo: R,
        eventName: "push",
        event: pushEvent(R, true, ZERO, remoteHead(remote, "refs/heads/main"), [PATRON_LIST, ROSTER]),
        // No secret exists yet: the workflow passes empty strings.
        inputs: { command: "plan", "alma-api-key": "", "infiniti-username": "", "infiniti-password": "" },
      });
      expect(r.code, detail(r)).toBe(0);
      const notices = r.stdout.split("\n").filter((l) => l.startsWith("::notice"));
      expect(notices).toHaveLength(1);
      expect(notices[0]).toContain("not configured yet: see docs/setup.md");
      expect(r.stdout + r.stderr).not.toContain("::error");
      expect(r.summary).toContain("not configured yet: see docs/setup.md");
      expect(r.outputs["plan-dir"]).toBe("");
      expect(gh.calls.filter((c) => c.path.startsWith(`/repos/${R}/pulls`) && c.method !== "GET")).toEqual(
        [],
      );
      expect(git(tmp, "--git-dir", remote, "branch", "--list", "patron-sync/plan")).toBe("");
      expect(alma.stats().byMethod.GET ?? 0).toBe(gets);
    },
    TIMEOUT,
  );

  it(
    "one apply run applies every merged plan that has no results yet, oldest first",
    async () => {
      const R = "o/two";
      const remote = makeRemote("two");
      // Plan 1 is merged, but its apply run never ran (GitHub cancelled it as the older pending run).
      const p1 = await plan(remote, R, { before: ZERO, after: remoteHead(remote, "refs/heads/main") }, [
        ROSTER,
      ]);
      expect(p1.code, detail(p1)).toBe(0);
      const dir1 = p1.outputs["plan-dir"]!;
      mergePlan(remote, "Merge plan 1");
      // Then new data, plan 2, merged too. Only this push's run is left.
      const push = pushData(remote, ROSTER, addStudent("second.plan"));
      const p2 = await plan(remote, R, push, [ROSTER]);
      expect(p2.code, detail(p2)).toBe(0);
      const dir2 = p2.outputs["plan-dir"]!;
      expect(dir2 > dir1).toBe(true);
      const merge = mergePlan(remote, "Merge plan 2");

      const posts = infiniti.stats().posts;
      const a = await runAction({
        workspace: checkout(remote),
        repo: R,
        eventName: "push",
        event: pushEvent(R, true, merge.before, merge.after, [`${dir2}/plan.json`]),
        inputs: { command: "apply" },
      });
      expect(a.code, detail(a)).toBe(0);
      expect(a.outputs["plan-dirs"]!.split("\n")).toEqual([dir1, dir2]);
      expect(a.outputs["plan-dir"]).toBe(dir2);
      expect(infiniti.stats().posts).toBe(posts + 2);
      expect(infiniti.users().map((u) => u.username)).toContain("second.plan");

      // Two results commits on main, plan 1's first.
      const log = git(tmp, "--git-dir", remote, "log", "--format=%s", "-3", "refs/heads/main").split("\n");
      expect(log[0]).toContain(`results of ${dir2}`);
      expect(log[1]).toContain(`results of ${dir1}`);
      expect(log[2]).toBe("Merge plan 2");
      const files = treeFiles(remote, "refs/heads/main");
      for (const d of [dir1, dir2]) expect(files).toContain(`${d}/results.md`);
      expect(files.filter((f) => f.endsWith("import.csv"))).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    "a protected default branch refuses the results commit: the job fails with how to recover, the results stay for the artifact",
    async () => {
      const R = "o/protected";
      const remote = makeRemote("protected");
      // Like GitHub's branch protection: the built-in token may not push to main.
      const hook = join(remote, "hooks", "pre-receive");
      writeFileSync(
        hook,
        [
          "#!/bin/sh",
          "while read old new ref; do",
          '  if [ "$ref" = "refs/heads/main" ] && git log -1 --format=%s "$new" | grep -q "^patron-sync: results"; then',
          '    echo "GH006: Protected branch update failed for refs/heads/main." >&2; exit 1',
          "  fi",
          "done",
          "",
        ].join("\n"),
        { mode: 0o755 },
      );
      const p = await plan(remote, R, { before: ZERO, after: remoteHead(remote, "refs/heads/main") }, [
        ROSTER,
      ]);
      expect(p.code, detail(p)).toBe(0);
      const dir = p.outputs["plan-dir"]!;
      const merge = mergePlan(remote);
      const posts = infiniti.stats().posts;
      const ws = checkout(remote);
      const a = await runAction({
        workspace: ws,
        repo: R,
        eventName: "push",
        event: pushEvent(R, true, merge.before, merge.after, [`${dir}/plan.json`]),
        inputs: { command: "apply" },
      });
      expect(a.code, detail(a)).toBe(1);
      expect(infiniti.stats().posts).toBe(posts + 1); // it was applied
      expect(remoteHead(remote, "refs/heads/main")).toBe(merge.after); // nothing was pushed
      const error = a.stdout.split("\n").find((l) => l.startsWith("::error::"))!;
      expect(error).toContain(`The plan ${dir} WAS applied`);
      expect(error).toContain("GH006: Protected branch update failed");
      expect(error).toContain("patron-sync-results-");
      expect(error).toContain("GitHub App token");
      expect(error).toContain("docs/setup.md");
      // The outputs the artifact step reads, and the results on the runner for it.
      expect(a.outputs["plan-dir"]).toBe(dir);
      expect(a.outputs["artifact-paths"]!.split("\n")).toEqual([dir, "state/infiniti/applied.csv"]);
      expect(existsSync(join(ws, dir, "results.md"))).toBe(true);
      expect(existsSync(join(ws, "state/infiniti/applied.csv"))).toBe(true);
      expect(a.summary).toContain("could not be committed");
    },
    TIMEOUT,
  );

  it(
    "commit_records: true commits the full records with the plan, and artifact_retention_days is passed on",
    async () => {
      const R = "o/records";
      const remote = makeRemote("records");
      const push = pushData(
        remote,
        "patron-sync.yml",
        (t) => `${t}\ncommit_records: true\nartifact_retention_days: 7\n`,
      );
      const p = await plan(remote, R, push, ["patron-sync.yml"]);
      expect(p.code, detail(p)).toBe(0);
      const dir = p.outputs["plan-dir"]!;
      expect(p.outputs["artifact-retention-days"]).toBe("7");
      expect(treeFiles(remote, "refs/heads/patron-sync/plan")).toContain(`${dir}/infiniti/import.csv`);
      expect(gh.pulls.get(R)![0]!.body).not.toContain("Patron records are not committed");
    },
    TIMEOUT,
  );

  it("no git process the action started had the GitHub token or its base64 among its arguments", () => {
    const lines = readFileSync(GIT_ARGS_LOG(), "utf8").split("\n");
    // The action's pushes (made as github-actions[bot]), not only this test's own.
    expect(lines.filter((l) => /github-actions\[bot\].* push /.test(l)).length).toBeGreaterThan(0);
    const b64 = Buffer.from(`x-access-token:${GH_TOKEN}`).toString("base64");
    expect(lines.filter((l) => l.includes(GH_TOKEN) || l.includes(b64) || l.includes("extraheader"))).toEqual(
      [],
    );
  });
});
