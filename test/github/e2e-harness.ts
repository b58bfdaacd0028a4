/**
 * A harness for end-to-end runs of the action (the entry spawned with `node` as the runner does: INPUT_* and
 * GITHUB_* environment, an event file, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY), in clones of local bare
 * remotes, against a fake GitHub REST API and the Alma and Infiniti simulators. The same approach as
 * test/github/e2e.test.ts, packaged for test files of their own.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAlmaSimulator, type AlmaSimulator } from "../../src/simulators/alma.ts";
import { startInfinitiSimulator, type InfinitiSimulator } from "../../src/simulators/infiniti.ts";
import { spawnAction, type ActionRun } from "./action-runner.ts";
import { FakeGitHub, REPO_SCOPE } from "./fake-github.ts";

export { ROOT, type ActionRun } from "./action-runner.ts";
export { FakeGitHub, type FakePull } from "./fake-github.ts";

export const API_KEY = "l8xx-e2e-harness-alma-key";
const INF_USER = "autoimport";
const INF_PASS = "e2e-harness-inf-pass";
export const GH_TOKEN = "ghs_e2eHarnessToken0987654321";

export class Harness {
  tmp = "";
  gitEnv: NodeJS.ProcessEnv = {};
  alma!: AlmaSimulator;
  infiniti!: InfinitiSimulator;
  gh = new FakeGitHub();
  private clones = 0;
  private runs = 0;

  async start(): Promise<void> {
    this.tmp = mkdtempSync(join(tmpdir(), "patron-sync-e2e-h-"));
    mkdirSync(join(this.tmp, "home"));
    this.gitEnv = {
      PATH: process.env.PATH,
      HOME: join(this.tmp, "home"),
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_TERMINAL_PROMPT: "0",
      LANG: "C",
    };
    this.alma = await startAlmaSimulator({ apiKey: API_KEY, users: [] });
    this.infiniti = await startInfinitiSimulator({ username: INF_USER, password: INF_PASS });
    await this.gh.start();
    // The token runAction passes: one that may do everything the action calls (a classic `repo` token).
    this.gh.issue({ permissions: REPO_SCOPE }, GH_TOKEN);
  }

  async stop(): Promise<void> {
    await Promise.all([this.alma?.close(), this.infiniti?.close(), this.gh.close()]);
    if (this.tmp) rmSync(this.tmp, { recursive: true, force: true });
  }

  git(cwd: string, ...args: string[]): string {
    return execFileSync("git", args, {
      cwd,
      env: this.gitEnv,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  }

  /** A fresh clone with all history, as actions/checkout with fetch-depth: 0 makes. */
  checkout(remote: string): string {
    const dir = join(this.tmp, `ws${++this.clones}`);
    this.git(this.tmp, "clone", "-q", remote, dir);
    this.git(dir, "config", "user.name", "Library Staff");
    this.git(dir, "config", "user.email", "staff@library.example.edu");
    return dir;
  }

  /** A bare remote whose main holds `files` (path → text). */
  makeRemote(name: string, files: Record<string, string>): string {
    const remote = join(this.tmp, `${name}.git`);
    this.git(this.tmp, "init", "-q", "--bare", "-b", "main", remote);
    FakeGitHub.installHooks(remote);
    const seed = this.checkout(remote);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(seed, path, ".."), { recursive: true });
      writeFileSync(join(seed, path), text);
    }
    this.git(seed, "add", "-A");
    this.git(seed, "commit", "-q", "-m", "Config and data");
    this.git(seed, "push", "-q", "origin", "HEAD:refs/heads/main");
    return remote;
  }

  head(remote: string, ref: string): string {
    return this.git(this.tmp, "--git-dir", remote, "rev-parse", ref);
  }

  refs(remote: string): string[] {
    return this.git(this.tmp, "--git-dir", remote, "for-each-ref", "--format=%(refname)").split("\n");
  }

  treeFiles(remote: string, ref: string): string[] {
    return this.git(this.tmp, "--git-dir", remote, "ls-tree", "-r", "--name-only", ref)
      .split("\n")
      .filter(Boolean);
  }

  async runAction(o: {
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
      "alma-base-url": this.alma.url,
      "infiniti-url": this.infiniti.url,
      "plan-dir": "",
      "auto-apply": "false",
      ...o.inputs,
    };
    this.runs++;
    return spawnAction({
      ...o,
      dir: join(this.tmp, `run${this.runs}`),
      inputs,
      baseEnv: this.gitEnv,
      githubApiUrl: this.gh.url,
      sha: this.git(o.workspace, "rev-parse", "HEAD"),
      runId: this.runs,
    });
  }
}

export function detail(r: ActionRun): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}
