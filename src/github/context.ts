/** Where the action runs: workspace, repository, event payload, default branch, server URL. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/** The parts of a push or workflow_dispatch event that the action reads. */
export interface EventPayload {
  ref?: string;
  before?: string;
  after?: string;
  repository?: {
    name?: string;
    full_name?: string;
    owner?: { login?: string };
    private?: boolean;
    fork?: boolean;
    default_branch?: string;
  };
  commits?: { id?: string; added?: string[]; modified?: string[]; removed?: string[] }[];
  head_commit?: { id?: string; added?: string[]; modified?: string[]; removed?: string[] } | null;
  inputs?: Record<string, unknown>;
}

export interface ActionContext {
  /** Absolute path of the checked-out data repository. */
  workspace: string;
  owner: string;
  repo: string;
  eventName: string;
  payload: EventPayload;
  serverUrl: string;
  /** e.g. refs/heads/main */
  ref: string;
  sha: string;
  /** GITHUB_RUN_ID: this workflow run (empty outside Actions). */
  runId: string;
  /** GITHUB_RUN_ATTEMPT: 1, then 2… for each re-run (a re-run keeps the run ID). */
  runAttempt?: string;
}

export function readPayload(path: string | undefined): EventPayload {
  if (!path) return {};
  try {
    return JSON.parse(readFileSync(path, "utf8")) as EventPayload;
  } catch {
    return {};
  }
}

export function actionContext(env: NodeJS.ProcessEnv = process.env): ActionContext {
  const payload = readPayload(env.GITHUB_EVENT_PATH);
  const [owner = "", repo = ""] = (env.GITHUB_REPOSITORY ?? payload.repository?.full_name ?? "/").split("/");
  return {
    workspace: resolve(env.GITHUB_WORKSPACE || process.cwd()),
    owner: owner || payload.repository?.owner?.login || "",
    repo: repo || payload.repository?.name || "",
    eventName: env.GITHUB_EVENT_NAME ?? "",
    payload,
    serverUrl: (env.GITHUB_SERVER_URL || "https://github.com").replace(/\/+$/, ""),
    ref: env.GITHUB_REF ?? payload.ref ?? "",
    sha: env.GITHUB_SHA ?? payload.after ?? "",
    runId: env.GITHUB_RUN_ID ?? "",
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? "",
  };
}

/** `refs/heads/main` → `main`; anything else → undefined. */
export function branchOfRef(ref: string | undefined): string | undefined {
  return ref?.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : undefined;
}

/** A link to a file on a branch, for the pull request body. */
export function blobUrl(ctx: ActionContext, branch: string, path: string): string {
  const enc = (s: string) => s.split("/").map(encodeURIComponent).join("/");
  return `${ctx.serverUrl}/${ctx.owner}/${ctx.repo}/blob/${enc(branch)}/${enc(path)}`;
}

/** This workflow run's page (its log, summary and artifacts), or the repository's Actions tab. */
export function runUrl(ctx: ActionContext): string {
  const base = `${ctx.serverUrl}/${ctx.owner}/${ctx.repo}/actions`;
  return ctx.runId ? `${base}/runs/${encodeURIComponent(ctx.runId)}` : base;
}
