/**
 * Runs the action's entry as the GitHub runner does: INPUT_* and GITHUB_* environment, an event file,
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, `node` spawned in the workspace. The entry is src/main.ts
 * through tsx; PATRON_SYNC_ACTION_ENTRY=dist/index.js runs the committed bundle instead.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseGithubOutput } from "./helpers.ts";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const ENTRY = process.env.PATRON_SYNC_ACTION_ENTRY ?? "src/main.ts";
export const ENTRY_ABS = join(ROOT, ENTRY);

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

export async function spawnAction(o: {
  /** A fresh folder for this run's event, output and summary files (RUNNER_TEMP). */
  dir: string;
  workspace: string;
  repo: string;
  eventName: string;
  event: object;
  /** Every action input, by its name in action.yml. */
  inputs: Record<string, string>;
  /** The environment the run starts from (git's settings). */
  baseEnv: NodeJS.ProcessEnv;
  githubApiUrl: string;
  sha: string;
  runId: number;
  /** GITHUB_REF (default refs/heads/main). */
  ref?: string;
  /** GITHUB_RUN_ATTEMPT (default 1). */
  runAttempt?: number;
}): Promise<ActionRun> {
  const { dir } = o;
  mkdirSync(dir);
  const eventPath = join(dir, "event.json");
  writeFileSync(eventPath, JSON.stringify(o.event));
  writeFileSync(join(dir, "output"), "");
  writeFileSync(join(dir, "summary"), "");
  const env: NodeJS.ProcessEnv = {
    ...o.baseEnv,
    GITHUB_ACTIONS: "true",
    CI: "true",
    GITHUB_WORKSPACE: o.workspace,
    GITHUB_REPOSITORY: o.repo,
    GITHUB_REPOSITORY_OWNER: o.repo.split("/")[0],
    GITHUB_EVENT_NAME: o.eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_API_URL: o.githubApiUrl,
    GITHUB_SERVER_URL: "https://github.example",
    GITHUB_OUTPUT: join(dir, "output"),
    GITHUB_STEP_SUMMARY: join(dir, "summary"),
    GITHUB_SHA: o.sha,
    GITHUB_REF: o.ref ?? "refs/heads/main",
    GITHUB_RUN_ID: String(o.runId),
    GITHUB_RUN_ATTEMPT: String(o.runAttempt ?? 1),
    RUNNER_TEMP: dir,
  };
  for (const [k, v] of Object.entries(o.inputs)) env[`INPUT_${k.replace(/ /g, "_").toUpperCase()}`] = v;
  const args = ENTRY.endsWith(".ts")
    ? ["--import", pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href, ENTRY_ABS]
    : [ENTRY_ABS];
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
