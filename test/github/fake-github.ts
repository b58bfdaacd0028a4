/** A fake GitHub REST API for the end-to-end tests: the few endpoints the action calls, with every call recorded. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

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

/** The few GitHub REST endpoints the action calls, every call recorded. Repositories are private unless `visibility` says otherwise. */
export class FakeGitHub {
  server!: Server;
  url = "";
  calls: Call[] = [];
  pulls = new Map<string, FakePull[]>();
  visibility = new Map<string, boolean>(); // repo → private

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
}
