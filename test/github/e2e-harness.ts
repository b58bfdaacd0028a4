/**
 * A harness for end-to-end runs of the action (the entry spawned with `node` as the runner does: INPUT_* and
 * GITHUB_* environment, an event file, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY), in clones of local bare
 * remotes, against a fake GitHub REST API and the Alma and Infiniti simulators. The same approach as
 * test/github/e2e.test.ts, packaged for test files of their own.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startAlmaSimulator, type AlmaSimulator } from "../../src/simulators/alma.ts";
import { startInfinitiSimulator, type InfinitiSimulator } from "../../src/simulators/infiniti.ts";
import { parseGithubOutput } from "./helpers.ts";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ENTRY = process.env.PATRON_SYNC_ACTION_ENTRY ?? "src/main.ts";
export const API_KEY = "l8xx-e2e-harness-alma-key";
const INF_USER = "autoimport";
const INF_PASS = "e2e-harness-inf-pass";
export const GH_TOKEN = "ghs_e2eHarnessToken0987654321";

export interface FakePull {
  number: number;
  state: "open" | "closed";
  title: string;
  body: string;
  head: { ref: string; label: string };
  base: { ref: string };
  html_url: string;
}
interface Call {
  method: string;
  path: string;
  body?: Record<string, unknown>;
}

/** The few GitHub REST endpoints the action calls, every call recorded. Repositories are private. */
export class FakeGitHub {
  server!: Server;
  url = "";
  calls: Call[] = [];
  pulls = new Map<string, FakePull[]>();

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => this.handle(req, res, Buffer.concat(chunks).toString("utf8")));
    });
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  /** An open plan pull request left from an earlier plan. */
  openStalePull(full: string): FakePull {
    const pulls = this.pulls.get(full) ?? [];
    this.pulls.set(full, pulls);
    const number = pulls.length + 1;
    const p: FakePull = {
      number,
      state: "open",
      title: "Patron sync plan: an older plan",
      body: "",
      head: { ref: "patron-sync/plan", label: `${full.split("/")[0]}:patron-sync/plan` },
      base: { ref: "main" },
      html_url: `https://github.example/${full}/pull/${number}`,
    };
    pulls.push(p);
    return p;
  }

  count(method: string, path: string): number {
    return this.calls.filter((c) => c.method === method && c.path === path).length;
  }

  private handle(req: IncomingMessage, res: ServerResponse, text: string): void {
    const u = new URL(req.url ?? "/", this.url);
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    this.calls.push({ method: req.method ?? "", path: u.pathname, body });
    const send = (status: number, data: unknown) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(data));
    };
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(u.pathname);
    if (!m) return send(404, { message: "Not Found" });
    const [, owner, repo, rest = ""] = m;
    const full = `${owner}/${repo}`;
    const pulls = this.pulls.get(full) ?? [];
    this.pulls.set(full, pulls);
    if (req.method === "GET" && rest === "")
      return send(200, {
        name: repo,
        full_name: full,
        owner: { login: owner },
        private: true,
        default_branch: "main",
      });
    if (rest === "/pulls" && req.method === "GET") {
      const state = u.searchParams.get("state") ?? "open";
      const head = u.searchParams.get("head");
      return send(
        200,
        pulls.filter((p) => (state === "all" || p.state === state) && (!head || p.head.label === head)),
      );
    }
    if (rest === "/pulls" && req.method === "POST") {
      const number = pulls.length + 1;
      const ref = String(body?.head);
      const p: FakePull = {
        number,
        state: "open",
        title: String(body?.title),
        body: String(body?.body),
        head: { ref, label: `${owner}:${ref}` },
        base: { ref: String(body?.base) },
        html_url: `https://github.example/${full}/pull/${number}`,
      };
      pulls.push(p);
      return send(201, p);
    }
    const pm = /^\/pulls\/(\d+)$/.exec(rest);
    if (pm && req.method === "PATCH") {
      const p = pulls.find((x) => x.number === Number(pm[1]));
      if (!p) return send(404, { message: "Not Found" });
      if (typeof body?.title === "string") p.title = body.title;
      if (typeof body?.body === "string") p.body = body.body;
      if (body?.state === "closed" || body?.state === "open") p.state = body.state;
      return send(200, p);
    }
    if (/^\/issues\/\d+\/comments$/.test(rest) && req.method === "POST")
      return send(201, { id: 1, body: body?.body });
    return send(404, { message: "Not Found" });
  }
}

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

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
    const dir = join(this.tmp, `run${++this.runs}`);
    mkdirSync(dir);
    const eventPath = join(dir, "event.json");
    writeFileSync(eventPath, JSON.stringify(o.event));
    writeFileSync(join(dir, "output"), "");
    writeFileSync(join(dir, "summary"), "");
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
    const env: NodeJS.ProcessEnv = {
      ...this.gitEnv,
      GITHUB_ACTIONS: "true",
      CI: "true",
      GITHUB_WORKSPACE: o.workspace,
      GITHUB_REPOSITORY: o.repo,
      GITHUB_REPOSITORY_OWNER: o.repo.split("/")[0],
      GITHUB_EVENT_NAME: o.eventName,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_API_URL: this.gh.url,
      GITHUB_SERVER_URL: "https://github.example",
      GITHUB_OUTPUT: join(dir, "output"),
      GITHUB_STEP_SUMMARY: join(dir, "summary"),
      GITHUB_SHA: this.git(o.workspace, "rev-parse", "HEAD"),
      GITHUB_REF: "refs/heads/main",
      GITHUB_RUN_ID: String(this.runs),
      RUNNER_TEMP: dir,
    };
    for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.replace(/ /g, "_").toUpperCase()}`] = v;
    const args = ENTRY.endsWith(".ts")
      ? ["--import", pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href, join(ROOT, ENTRY)]
      : [join(ROOT, ENTRY)];
    const child = spawn(process.execPath, args, { cwd: o.workspace, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    const code = await new Promise<number | null>((r) => child.on("close", r));
    return {
      code,
      stdout,
      stderr,
      outputs: parseGithubOutput(readFileSync(join(dir, "output"), "utf8")),
      summary: readFileSync(join(dir, "summary"), "utf8"),
    };
  }
}

export function detail(r: ActionRun): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}
