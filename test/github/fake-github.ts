/**
 * A fake GitHub for the end-to-end tests: the few REST endpoints the action calls (every call recorded), and
 * the rules GitHub enforces on them, each traced to GitHub's documentation:
 *
 * - Tokens carry permissions. A job's GITHUB_TOKEN carries the job's effective `permissions:` (see
 *   workflow-runner.ts); the fake answers 403 "Resource not accessible by integration" to an endpoint they
 *   do not allow, and 401 "Bad credentials" to a token it never issued. The permission each endpoint needs:
 *   GitHub Docs, "Permissions required for GitHub Apps"
 *   (https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps) and "Permissions
 *   required for fine-grained personal access tokens" (same table, per endpoint):
 *     GET  /repos/{owner}/{repo}                          Metadata: read (every token has it)
 *     GET  /repos/{owner}/{repo}/pulls                    Pull requests: read
 *     POST /repos/{owner}/{repo}/pulls                    Pull requests: write
 *     PATCH /repos/{owner}/{repo}/pulls/{pull_number}     Pull requests: write
 *     POST /repos/{owner}/{repo}/issues/{n}/comments      Issues: write, or Pull requests: write (the REST
 *                                                         page lists either set; a pull request's
 *                                                         conversation is its issue)
 *   Write implies read. "Metadata: read" is granted to every GitHub App and GITHUB_TOKEN ("GitHub Apps
 *   have the Read-only metadata permission by default", same page).
 * - Artifacts (actions/upload-artifact v4 README, input `overwrite`: "If false, the action will fail if an
 *   artifact for the given name already exists"; docs/MIGRATION.md: v4 artifacts are immutable): a name is
 *   unique within a workflow run, across its attempts (a re-run keeps the run's ID), unless overwrite.
 * - Concurrency (GitHub Docs, "Control the concurrency of workflows and jobs"): per group, at most one
 *   running and one pending; "any existing pending job or workflow in the same concurrency group, if it
 *   exists, will be canceled and the new queued job or workflow will take its place".
 * - Git: a protected branch refuses every push ("GH006: Protected branch update failed for <ref>", GitHub
 *   Docs "About protected branches"); a push needs Contents: write; pushes are logged with who pushed,
 *   so that a push made with GITHUB_TOKEN starts no workflow (workflow-runner.ts; GitHub Docs, "Triggering a
 *   workflow": "events triggered by the GITHUB_TOKEN, with the exception of workflow_dispatch and
 *   repository_dispatch, will not create a new workflow run").
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

export interface FakePull {
  number: number;
  state: "open" | "closed";
  title: string;
  body: string;
  head: { ref: string; label: string };
  base: { ref: string };
  html_url: string;
  merged_at?: string | null;
  merge_commit_sha?: string | null;
}
interface Call {
  method: string;
  path: string;
  body?: Record<string, unknown>;
  auth?: string;
}

/** A permission's level, as `permissions:` in a workflow writes it. */
export type Access = "none" | "read" | "write";
/** Permissions by the names `permissions:` uses (contents, pull-requests, issues, actions, …). */
export type Permissions = Record<string, Access>;

export interface Token {
  /** Who acts with it: a job's GITHUB_TOKEN acts as github-actions[bot]. */
  actor: string;
  /** A job's GITHUB_TOKEN (its pushes start no workflow), else an app or personal token. */
  githubToken: boolean;
  permissions: Permissions;
}

/** Every permission a classic personal access token with the `repo` scope has (the older tests' token). */
export const REPO_SCOPE: Permissions = {
  contents: "write",
  "pull-requests": "write",
  issues: "write",
  actions: "write",
  metadata: "read",
};

const LEVEL: Record<Access, number> = { none: 0, read: 1, write: 2 };
export const allows = (p: Permissions, scope: string, need: "read" | "write"): boolean =>
  scope === "metadata" || LEVEL[p[scope] ?? "none"] >= LEVEL[need];

/** What each endpoint the action calls needs (any one of the sets): see the top of this file. */
const ENDPOINTS: { method: string; rest: RegExp; need: [string, "read" | "write"][] }[] = [
  { method: "GET", rest: /^$/, need: [["metadata", "read"]] },
  { method: "GET", rest: /^\/pulls$/, need: [["pull-requests", "read"]] },
  { method: "POST", rest: /^\/pulls$/, need: [["pull-requests", "write"]] },
  { method: "PATCH", rest: /^\/pulls\/\d+$/, need: [["pull-requests", "write"]] },
  {
    method: "POST",
    rest: /^\/issues\/\d+\/comments$/,
    need: [
      ["issues", "write"],
      ["pull-requests", "write"],
    ],
  },
];

/** Refused by actions/upload-artifact v4: the name is taken in this run (an earlier attempt counts). */
export class ArtifactConflictError extends Error {}

export interface Artifact {
  name: string;
  runId: number;
  attempt: number;
  files: Map<string, Buffer>;
  retentionDays?: number;
}

/** One concurrency group: at most one running and one pending. */
interface Group {
  running?: string;
  pending?: { key: string; start: () => void; cancel: () => void };
}

/** The few GitHub REST endpoints the action calls, every call recorded, GitHub's rules enforced. Repositories are private unless `visibility` says otherwise. */
export class FakeGitHub {
  server!: Server;
  url = "";
  calls: Call[] = [];
  pulls = new Map<string, FakePull[]>();
  visibility = new Map<string, boolean>(); // repo → private
  tokens = new Map<string, Token>();
  /** Answers refused for want of a permission: what a reader of the test needs when one fails. */
  refused: { method: string; path: string; actor: string }[] = [];
  artifacts = new Map<string, Artifact[]>(); // "repo#runId" → artifacts
  groups = new Map<string, Group>();
  /** Concurrency keys cancelled because a newer one took their pending place, in order. */
  cancelled: string[] = [];
  private issued = 0;

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

  private handle(req: IncomingMessage, res: ServerResponse, text: string): void {
    const u = new URL(req.url ?? "/", this.url);
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    this.calls.push({ method: req.method ?? "", path: u.pathname, body, auth: req.headers.authorization });
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
    // GitHub's answers to a token it does not know, and to one without the permission (see the top).
    const bearer = /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const token = bearer ? this.tokens.get(bearer) : undefined;
    if (!token)
      return send(401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" });
    const endpoint = ENDPOINTS.find((e) => e.method === req.method && e.rest.test(rest));
    if (endpoint && !endpoint.need.some(([scope, level]) => allows(token.permissions, scope, level))) {
      this.refused.push({ method: req.method ?? "", path: u.pathname, actor: token.actor });
      return send(403, {
        message: "Resource not accessible by integration",
        documentation_url: "https://docs.github.com/rest",
        status: "403",
      });
    }
    if (req.method === "GET" && rest === "") {
      return send(200, {
        name: repo,
        full_name: full,
        owner: { login: owner },
        private: this.visibility.get(full) ?? true,
        default_branch: "main",
      });
    }
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

  /** Issues a token: a job's GITHUB_TOKEN (`githubToken`), or an app's or a person's. */
  issue(t: Partial<Token> & { permissions: Permissions }, value?: string): string {
    const v = value ?? `ghs_fake${String(++this.issued).padStart(4, "0")}${"x".repeat(28)}`;
    this.tokens.set(v, { actor: "github-actions[bot]", githubToken: true, ...t });
    return v;
  }

  // ---- Artifacts (actions/upload-artifact and download-artifact v4) ----

  upload(repo: string, a: Artifact, overwrite: boolean): void {
    const key = `${repo}#${a.runId}`;
    const list = this.artifacts.get(key) ?? [];
    const i = list.findIndex((x) => x.name === a.name);
    if (i >= 0 && !overwrite)
      throw new ArtifactConflictError(
        `Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: an artifact with this name already exists on the workflow run`,
      );
    if (i >= 0) list.splice(i, 1);
    list.push(a);
    this.artifacts.set(key, list);
  }

  /** The run's artifact by that name, whichever attempt uploaded it. */
  download(repo: string, runId: number, name: string): Artifact | undefined {
    return this.artifacts.get(`${repo}#${runId}`)?.find((a) => a.name === name);
  }

  // ---- Concurrency ----

  /**
   * Waits for the group (a run's or a job's `concurrency:` with cancel-in-progress false). Resolves when
   * `key` may run; rejects with a cancellation when a newer key takes its pending place. The caller's
   * place is taken synchronously, in call order.
   */
  acquire(group: string, key: string): Promise<void> {
    const g = this.groups.get(group) ?? {};
    this.groups.set(group, g);
    if (!g.running) {
      g.running = key;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      if (g.pending) {
        this.cancelled.push(g.pending.key);
        g.pending.cancel();
      }
      g.pending = {
        key,
        start: resolve,
        cancel: () =>
          reject(new CancelledError(`Canceling since a higher priority waiting request for ${group} exists`)),
      };
    });
  }

  release(group: string, key: string): void {
    const g = this.groups.get(group);
    if (!g || g.running !== key) return;
    g.running = undefined;
    const next = g.pending;
    if (next) {
      g.pending = undefined;
      g.running = next.key;
      next.start();
    }
  }

  pendingIn(group: string): string | undefined {
    return this.groups.get(group)?.pending?.key;
  }

  // ---- Git remotes (bare repositories standing for github.com) ----

  /** Installs the hooks that enforce protection and Contents: write, and log every push with its pusher. */
  static installHooks(remote: string): void {
    writeFileSync(
      join(remote, "hooks", "pre-receive"),
      [
        "#!/bin/sh",
        "# fake-github: branch protection and the pusher's Contents permission (see test/github/fake-github.ts).",
        "while read old new ref; do",
        '  if [ -f fake-github-protected ] && grep -qxF "$ref" fake-github-protected; then',
        '    echo "error: GH006: Protected branch update failed for $ref." >&2; exit 1',
        "  fi",
        '  if [ -n "$FAKE_GITHUB_PUSH_CONTENTS" ] && [ "$FAKE_GITHUB_PUSH_CONTENTS" != write ]; then',
        '    echo "Permission to $FAKE_GITHUB_REPO.git denied to $FAKE_GITHUB_PUSHER." >&2; exit 1',
        "  fi",
        "done",
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    writeFileSync(
      join(remote, "hooks", "post-receive"),
      [
        "#!/bin/sh",
        "while read old new ref; do",
        '  echo "$old $new $ref ${FAKE_GITHUB_PUSHER:-user} ${FAKE_GITHUB_PUSH_GITHUB_TOKEN:-false}" >> fake-github-pushes',
        "done",
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
  }

  /** Protects a branch of the remote: every push to it is refused. */
  static protect(remote: string, branch: string): void {
    writeFileSync(join(remote, "fake-github-protected"), `refs/heads/${branch}\n`);
  }

  static unprotect(remote: string): void {
    writeFileSync(join(remote, "fake-github-protected"), "");
  }

  /** Every push the remote accepted, in order. */
  static pushes(remote: string): Push[] {
    const f = join(remote, "fake-github-pushes");
    if (!existsSync(f)) return [];
    return readFileSync(f, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => {
        const [before, after, ref, pusher, githubToken] = l.split(" ") as [
          string,
          string,
          string,
          string,
          string,
        ];
        return { before, after, ref, pusher, githubToken: githubToken === "true" };
      });
  }

  /** The environment a git push needs to be made with `token` (what the hooks read). */
  pushEnv(repo: string, token: string): Record<string, string> {
    const t = this.tokens.get(token);
    return {
      FAKE_GITHUB_REPO: repo,
      FAKE_GITHUB_PUSHER: t?.actor ?? "unknown",
      FAKE_GITHUB_PUSH_CONTENTS: t?.permissions.contents ?? "none",
      FAKE_GITHUB_PUSH_GITHUB_TOKEN: String(t?.githubToken ?? false),
    };
  }
}

export interface Push {
  before: string;
  after: string;
  ref: string;
  pusher: string;
  /** Made with a job's GITHUB_TOKEN. */
  githubToken: boolean;
}

export class CancelledError extends Error {}
