/**
 * Runs the real .github/workflows/*.yml in the tests, job by job, as GitHub's runner does.
 *
 * - The workflow is parsed by GitHub's own parser (@actions/workflow-parser, which also validates it
 *   against the workflow schema) and every `${{ }}` is evaluated by GitHub's own evaluator
 *   (@actions/expressions): job and step `if:` (a condition without a status function is
 *   `success() && (…)`, as the parser makes it), `env:`, `with:`, job `outputs:`, `needs`,
 *   `concurrency:`, the contexts github, inputs, secrets, vars, needs, steps and env. The status functions
 *   success(), failure(), always() and cancelled() are given to the evaluator as the runner defines them
 *   (GitHub Docs, "Evaluate expressions in workflows and actions", "Status check functions").
 * - Each job gets a fresh workspace and its own GITHUB_TOKEN with the job's effective `permissions:` (the
 *   job's, else the workflow's, else the restricted default: GitHub Docs, "Controlling permissions for
 *   GITHUB_TOKEN" — contents: read, packages: read, metadata: read; "If you specify the access for any of
 *   these permissions, all of those that are not specified are set to none").
 * - `uses: ./` spawns this action (action-runner.ts) with its inputs: the step's `with:`, else action.yml's
 *   defaults (evaluated, e.g. github-token: ${{ github.token }}). The one deviation: alma-base-url and
 *   infiniti-url point at the simulators (the workflows leave them empty for the real hosts).
 * - Other actions are emulated as their READMEs document them (see `emulated` below): actions/checkout,
 *   actions/upload-artifact and actions/download-artifact v4.
 * - Concurrency, artifacts, tokens and pushes follow GitHub's rules in fake-github.ts. A push made by a job
 *   with its GITHUB_TOKEN starts no workflow; other pushes to a branch start the workflows whose `on.push`
 *   filters match (GitHub Docs, "Workflow syntax", on.push.<branches|paths>).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { data, Evaluator, Lexer, Parser } from "@actions/expressions";
import type { FunctionDefinition } from "@actions/expressions/funcs/info";
import {
  convertWorkflowTemplate,
  isBasicExpression,
  isBoolean,
  isMapping,
  isNumber,
  isSequence,
  isString,
  NoOperationTraceWriter,
  parseWorkflow,
  type WorkflowTemplate,
} from "@actions/workflow-parser";
import type { Job, Step } from "@actions/workflow-parser/model/workflow-template";
import type { MappingToken } from "@actions/workflow-parser/templates/tokens/mapping-token";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { parse as parseYaml } from "yaml";
import { ROOT, spawnAction, type ActionRun } from "./action-runner.ts";
import type { Harness } from "./e2e-harness.ts";
import { CancelledError, FakeGitHub, type Permissions, type Push } from "./fake-github.ts";

export type Result = "success" | "failure" | "cancelled" | "skipped";

export interface StepRun {
  id: string;
  uses: string;
  outcome: Result;
  outputs: Record<string, string>;
  /** The step's evaluated `with:`. */
  with: Record<string, string>;
  /** What the step printed or why it failed (emulated steps: the error). */
  log: string;
  action?: ActionRun;
}

export interface JobRun {
  id: string;
  result: Result;
  outputs: Record<string, string>;
  steps: StepRun[];
  permissions: Permissions;
  token?: string;
  workspace?: string;
  /** Reused from an earlier attempt ("Re-run failed jobs"). */
  reused?: boolean;
}

export interface WorkflowRun {
  workflow: string;
  runId: number;
  attempt: number;
  eventName: string;
  event: Record<string, unknown>;
  sha: string;
  ref: string;
  inputs: Record<string, string>;
  jobs: Map<string, JobRun>;
  conclusion?: Result;
}

/** The restricted default for GITHUB_TOKEN (GitHub Docs, "Controlling permissions for GITHUB_TOKEN"). */
export const RESTRICTED_DEFAULT: Permissions = { contents: "read", packages: "read", metadata: "read" };
const ALL_SCOPES = [
  "actions",
  "attestations",
  "checks",
  "contents",
  "deployments",
  "discussions",
  "id-token",
  "issues",
  "models",
  "packages",
  "pages",
  "pull-requests",
  "security-events",
  "statuses",
];

// ---------------------------------------------------------------------------------------------------------
// Expressions, with GitHub's evaluator.

const STATUS_FUNCTIONS = ["success", "failure", "cancelled", "always"];
const CONTEXTS = [
  "github",
  "inputs",
  "secrets",
  "vars",
  "needs",
  "steps",
  "env",
  "job",
  "runner",
  "strategy",
  "matrix",
];

type Status = { failed: boolean; cancelled: boolean };

function toData(v: unknown): data.ExpressionData {
  return JSON.parse(JSON.stringify(v ?? null), data.reviver) as data.ExpressionData;
}

/** Evaluates one expression (without `${{ }}`) with GitHub's evaluator. */
export function evaluate(
  expression: string,
  contexts: Record<string, unknown>,
  status?: Status,
): data.ExpressionData {
  const lexed = new Lexer(expression).lex();
  const functions = STATUS_FUNCTIONS.map((name) => ({ name, minArgs: 0, maxArgs: 0 }));
  const expr = new Parser(lexed.tokens, CONTEXTS, functions).parse();
  const s = status ?? { failed: false, cancelled: false };
  const value =
    (b: boolean): FunctionDefinition["call"] =>
    () =>
      new data.BooleanData(b);
  const impl = new Map<string, FunctionDefinition>([
    ["success", { name: "success", minArgs: 0, maxArgs: 0, call: value(!s.failed && !s.cancelled) }],
    ["failure", { name: "failure", minArgs: 0, maxArgs: 0, call: value(s.failed) }],
    ["cancelled", { name: "cancelled", minArgs: 0, maxArgs: 0, call: value(s.cancelled) }],
    ["always", { name: "always", minArgs: 0, maxArgs: 0, call: value(true) }],
  ]);
  const ctx = new data.Dictionary(...Object.entries(contexts).map(([key, v]) => ({ key, value: toData(v) })));
  return new Evaluator(expr, ctx, impl).evaluate();
}

/** GitHub's truthiness (false, 0, -0, "", null are false). */
function truthy(d: data.ExpressionData): boolean {
  if (d instanceof data.BooleanData) return d.value;
  if (d instanceof data.Null) return false;
  if (d instanceof data.NumberData) return d.number() !== 0 && !Number.isNaN(d.number());
  if (d instanceof data.StringData) return d.coerceString() !== "";
  return true;
}

/** A parsed token's value: literals as they are, expressions evaluated, mappings and sequences walked. */
function valueOf(token: TemplateToken | undefined, contexts: Record<string, unknown>): unknown {
  if (!token) return undefined;
  if (isString(token)) return token.value;
  if (isBoolean(token)) return token.value;
  if (isNumber(token)) return token.value;
  if (isBasicExpression(token)) {
    const d = evaluate(token.expression, contexts);
    return JSON.parse(JSON.stringify(d, data.replacer)) as unknown;
  }
  if (isMapping(token)) {
    const out: Record<string, unknown> = {};
    for (const { key, value } of token) out[String(valueOf(key, contexts))] = valueOf(value, contexts);
    return out;
  }
  if (isSequence(token)) {
    const out: unknown[] = [];
    for (let i = 0; i < token.count; i++) out.push(valueOf(token.get(i), contexts));
    return out;
  }
  return null;
}

/** A value as the runner hands it to a step (inputs and env are strings). */
function asString(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

function stringMap(
  token: TemplateToken | undefined,
  contexts: Record<string, unknown>,
): Record<string, string> {
  const v = valueOf(token, contexts) as Record<string, unknown> | undefined;
  return Object.fromEntries(Object.entries(v ?? {}).map(([k, x]) => [k, asString(x)]));
}

// ---------------------------------------------------------------------------------------------------------
// The workflow file, parsed by GitHub's parser.

export interface LoadedWorkflow {
  file: string;
  template: WorkflowTemplate;
  /** The parse tree's root: `permissions:` and a step's `with:` are not in the converted template. */
  root: MappingToken;
}

export async function loadWorkflow(file: string, content?: string): Promise<LoadedWorkflow> {
  const parsed = parseWorkflow(
    { name: file, content: content ?? readFileSync(join(ROOT, file), "utf8") },
    new NoOperationTraceWriter(),
  );
  const errors = parsed.context.errors.getErrors();
  if (errors.length || !parsed.value) throw new Error(`${file}: ${errors.map((e) => e.message).join("; ")}`);
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  if (template.errors?.length)
    throw new Error(`${file}: ${template.errors.map((e) => e.Message).join("; ")}`);
  return { file, template, root: parsed.value.assertMapping("workflow") };
}

const find = (m: MappingToken | undefined, key: string): TemplateToken | undefined => m?.find(key);

function rawJob(w: LoadedWorkflow, id: string): MappingToken {
  return find(w.root, "jobs")!.assertMapping("jobs").find(id)!.assertMapping("job");
}

function rawStep(w: LoadedWorkflow, jobId: string, index: number): MappingToken {
  const steps = find(rawJob(w, jobId), "steps")!.assertSequence("steps");
  return steps.get(index).assertMapping("step");
}

/** `permissions:` as GitHub reads it: read-all, write-all, {} or a mapping; absent → undefined. */
function readPermissions(token: TemplateToken | undefined): Permissions | undefined {
  if (!token) return undefined;
  if (isString(token)) {
    const level = token.value === "write-all" ? "write" : token.value === "read-all" ? "read" : "none";
    return Object.fromEntries(ALL_SCOPES.map((s) => [s, level]));
  }
  const out: Permissions = {};
  for (const { key, value } of token.assertMapping("permissions"))
    out[key.assertString("permission").value] = value.assertString("access").value as Permissions[string];
  return out;
}

/** The job's effective permissions: the job's, else the workflow's, else the restricted default. */
export function effectivePermissions(w: LoadedWorkflow, jobId: string): Permissions {
  return (
    readPermissions(find(rawJob(w, jobId), "permissions")) ??
    readPermissions(find(w.root, "permissions")) ??
    RESTRICTED_DEFAULT
  );
}

// ---------------------------------------------------------------------------------------------------------
// Filters for on.push (GitHub Docs, "Filter pattern cheat sheet": * matches any character but /, ** any).

function glob(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      re += ".*";
      i++;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += ".";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

export function pushMatches(w: LoadedWorkflow, branch: string, files: string[]): boolean {
  const push = w.template.events.push;
  if (!push) return false;
  if (push.branches && !push.branches.some((b) => glob(b).test(branch))) return false;
  if (push["branches-ignore"]?.some((b) => glob(b).test(branch))) return false;
  if (push.paths && !files.some((f) => push.paths!.some((p) => glob(p).test(f)))) return false;
  if (push["paths-ignore"] && files.every((f) => push["paths-ignore"]!.some((p) => glob(p).test(f))))
    return false;
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// The runner.

/** A concurrency group is the repository's: runs of other repositories never wait for it. */
export const groupOf = (repo: string, group: string): string => `${repo} ${group}`;

export interface RunnerOptions {
  harness: Harness;
  /** The bare remote standing for the repository on GitHub. */
  remote: string;
  repo: string;
  /** Repository and environment secrets, by name. */
  secrets: Record<string, string>;
  vars?: Record<string, string>;
}

export class WorkflowRunner {
  private static nextRunId = 1000;
  readonly runs: WorkflowRun[] = [];
  private seenPushes = 0;
  private workflows = new Map<string, LoadedWorkflow>();
  private readonly action = parseYaml(readFileSync(join(ROOT, "action.yml"), "utf8")) as {
    inputs: Record<string, { default?: string }>;
  };

  constructor(readonly o: RunnerOptions) {
    this.seenPushes = FakeGitHub.pushes(o.remote).length;
  }

  get gh(): FakeGitHub {
    return this.o.harness.gh;
  }

  async workflow(file: string): Promise<LoadedWorkflow> {
    let w = this.workflows.get(file);
    if (!w) this.workflows.set(file, (w = await loadWorkflow(file)));
    return w;
  }

  /** The repository object of an event payload. */
  repository(): Record<string, unknown> {
    const [owner, name] = this.o.repo.split("/") as [string, string];
    return {
      name,
      full_name: this.o.repo,
      owner: { login: owner, name: owner },
      private: this.gh.visibility.get(this.o.repo) ?? true,
      fork: false,
      default_branch: "main",
    };
  }

  /**
   * The pushes since the last look, and the runs they start: none for a push made with a GITHUB_TOKEN;
   * otherwise every workflow whose on.push filters match. The runs are returned started (not awaited).
   */
  async takePushes(
    files = [".github/workflows/plan.yml", ".github/workflows/apply.yml"],
  ): Promise<{ push: Push; runs: Promise<WorkflowRun>[] }[]> {
    const all = FakeGitHub.pushes(this.o.remote);
    const fresh = all.slice(this.seenPushes);
    this.seenPushes = all.length;
    const out: { push: Push; runs: Promise<WorkflowRun>[] }[] = [];
    for (const push of fresh) {
      const runs: Promise<WorkflowRun>[] = [];
      out.push({ push, runs });
      const changed = this.changedFiles(push);
      for (const f of await this.triggered(push, changed, files))
        runs.push(
          this.run(f, {
            eventName: "push",
            event: this.pushEvent(push, changed),
            ref: push.ref,
            sha: push.after,
          }),
        );
    }
    return out;
  }

  changedFiles(push: Push): string[] {
    if (/^0+$/.test(push.after)) return [];
    const h = this.o.harness;
    const from = /^0+$/.test(push.before) ? `${push.after}^` : push.before;
    return h
      .git(h.tmp, "--git-dir", this.o.remote, "diff", "--name-only", from, push.after)
      .split("\n")
      .filter(Boolean);
  }

  /** The workflows a push starts: none when it was made with a GITHUB_TOKEN, else those whose on.push matches. */
  async triggered(push: Push, changed: string[], files: string[]): Promise<string[]> {
    // GitHub Docs, "Triggering a workflow": events triggered by the GITHUB_TOKEN create no workflow run.
    if (push.githubToken) return [];
    const branch = push.ref.replace(/^refs\/heads\//, "");
    if (branch === push.ref || /^0+$/.test(push.after)) return [];
    const out: string[] = [];
    for (const f of files) if (pushMatches(await this.workflow(f), branch, changed)) out.push(f);
    return out;
  }

  pushEvent(push: Push, files: string[]): Record<string, unknown> {
    const commit = { id: push.after, message: "push", added: files, modified: [], removed: [] };
    return {
      ref: push.ref,
      before: push.before,
      after: push.after,
      repository: this.repository(),
      pusher: { name: push.pusher },
      commits: [commit],
      head_commit: commit,
    };
  }

  /** A workflow_dispatch event on main (inputs as typed in the form; defaults filled by the runner). */
  dispatch(file: string, inputs: Record<string, string> = {}): Promise<WorkflowRun> {
    const sha = this.o.harness.head(this.o.remote, "refs/heads/main");
    return this.run(file, {
      eventName: "workflow_dispatch",
      event: { inputs, ref: "refs/heads/main", repository: this.repository() },
      ref: "refs/heads/main",
      sha,
      inputs,
    });
  }

  /** A scheduled run: its event has no repository (GitHub Docs, "Events that trigger workflows", schedule). */
  schedule(file: string): Promise<WorkflowRun> {
    const sha = this.o.harness.head(this.o.remote, "refs/heads/main");
    return this.run(file, {
      eventName: "schedule",
      event: { schedule: "23 5 * * *" },
      ref: "refs/heads/main",
      sha,
    });
  }

  /**
   * Starts a run. Its place in the workflow-level concurrency group is taken at once (in call order);
   * the returned promise settles when the run has completed or was cancelled.
   */
  run(
    file: string,
    e: {
      eventName: string;
      event: Record<string, unknown>;
      ref: string;
      sha: string;
      inputs?: Record<string, string>;
    },
  ): Promise<WorkflowRun> {
    const run: WorkflowRun = {
      workflow: file,
      runId: WorkflowRunner.nextRunId++,
      attempt: 1,
      eventName: e.eventName,
      event: e.event,
      sha: e.sha,
      ref: e.ref,
      inputs: e.inputs ?? {},
      jobs: new Map(),
    };
    this.runs.push(run);
    return this.execute(run);
  }

  /** "Re-run all jobs" or "Re-run failed jobs": a new attempt of the same run (same ID, event, SHA). */
  rerun(previous: WorkflowRun, which: "all" | "failed"): Promise<WorkflowRun> {
    const run: WorkflowRun = {
      ...previous,
      attempt: previous.attempt + 1,
      jobs: new Map(),
      conclusion: undefined,
    };
    const reuse = new Map<string, JobRun>();
    if (which === "failed")
      for (const [id, j] of previous.jobs) if (j.result === "success") reuse.set(id, { ...j, reused: true });
    this.runs.push(run);
    return this.execute(run, reuse);
  }

  private async execute(run: WorkflowRun, reuse = new Map<string, JobRun>()): Promise<WorkflowRun> {
    const w = await this.workflow(run.workflow);
    const github = (job?: string, token?: string) => this.githubContext(run, job, token);
    const inputs = this.inputs(w, run);
    const base = { github: github(), inputs, vars: this.o.vars ?? {} };
    const concurrency = this.concurrency(w.template.concurrency, base);
    const runGroup = concurrency && groupOf(this.o.repo, concurrency);
    const runKey = `${run.workflow}#${run.runId}.${run.attempt}`;
    if (runGroup) {
      try {
        await this.gh.acquire(runGroup, runKey);
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
        run.conclusion = "cancelled";
        return run;
      }
    }
    try {
      const results = new Map<string, JobRun>();
      for (const job of this.order(w.template.jobs as Job[])) {
        const id = job.id.value;
        const reused = reuse.get(id);
        if (reused && (job.needs ?? []).every((n) => results.get(n.value)?.reused)) {
          results.set(id, reused);
          run.jobs.set(id, reused);
          continue;
        }
        const jr = await this.runJob(w, run, job, results, inputs, github);
        results.set(id, jr);
        run.jobs.set(id, jr);
      }
      const all = [...results.values()].map((j) => j.result);
      run.conclusion = all.includes("cancelled")
        ? "cancelled"
        : all.includes("failure")
          ? "failure"
          : "success";
      return run;
    } finally {
      if (runGroup) this.gh.release(runGroup, runKey);
    }
  }

  private order(jobs: Job[]): Job[] {
    const out: Job[] = [];
    const seen = new Set<string>();
    const visit = (j: Job) => {
      if (seen.has(j.id.value)) return;
      seen.add(j.id.value);
      for (const n of j.needs ?? []) visit(jobs.find((x) => x.id.value === n.value)!);
      out.push(j);
    };
    jobs.forEach(visit);
    return out;
  }

  private inputs(w: LoadedWorkflow, run: WorkflowRun): Record<string, unknown> {
    if (run.eventName !== "workflow_dispatch") return {};
    const defs = w.template.events.workflow_dispatch?.inputs ?? {};
    const out: Record<string, unknown> = {};
    for (const [k, d] of Object.entries(defs)) out[k] = run.inputs[k] ?? d.default ?? "";
    for (const k of Object.keys(run.inputs)) if (!(k in defs)) throw new Error(`Unexpected input '${k}'`);
    return out;
  }

  private concurrency(
    token: TemplateToken | undefined,
    contexts: Record<string, unknown>,
  ): string | undefined {
    if (!token) return undefined;
    const v = valueOf(token, contexts);
    if (typeof v === "string") return v;
    const m = v as { group?: string; "cancel-in-progress"?: boolean };
    if (m["cancel-in-progress"]) throw new Error("cancel-in-progress: true is not emulated");
    return m.group;
  }

  githubContext(run: WorkflowRun, job?: string, token?: string): Record<string, unknown> {
    const [owner] = this.o.repo.split("/") as [string];
    return {
      event: run.event,
      event_name: run.eventName,
      ref: run.ref,
      ref_name: run.ref.replace(/^refs\/(heads|tags)\//, ""),
      sha: run.sha,
      repository: this.o.repo,
      repository_owner: owner,
      run_id: String(run.runId),
      run_attempt: String(run.attempt),
      run_number: String(run.runId - 999),
      workflow: run.workflow,
      job: job ?? "",
      token: token ?? "",
      actor: "staff",
      server_url: "https://github.example",
      api_url: this.gh.url,
    };
  }

  private async runJob(
    w: LoadedWorkflow,
    run: WorkflowRun,
    job: Job,
    results: Map<string, JobRun>,
    inputs: Record<string, unknown>,
    github: (job?: string, token?: string) => Record<string, unknown>,
  ): Promise<JobRun> {
    const id = job.id.value;
    const permissions = effectivePermissions(w, id);
    const jr: JobRun = { id, result: "skipped", outputs: {}, steps: [], permissions };
    const needs = Object.fromEntries(
      (job.needs ?? []).map((n) => {
        const r = results.get(n.value)!;
        return [n.value, { result: r.result, outputs: r.outputs }];
      }),
    );
    const needResults = Object.values(needs).map((n) => n.result);
    const status: Status = {
      failed: needResults.some((r) => r === "failure"),
      cancelled: needResults.some((r) => r === "cancelled"),
    };
    // success() for a job: every job it needs succeeded (a skipped one counts as not succeeded).
    if (needResults.some((r) => r === "skipped")) status.failed = status.failed || false;
    const base = { github: github(id), inputs, vars: this.o.vars ?? {}, needs };
    const jobIf = evaluate(job.if.expression, base, {
      failed: status.failed || needResults.some((r) => r === "skipped"),
      cancelled: status.cancelled,
    });
    if (!truthy(jobIf)) return jr;

    const declared = this.concurrency(job.concurrency, base);
    const group = declared && groupOf(this.o.repo, declared);
    const key = `${run.workflow}#${run.runId}.${run.attempt}/${id}`;
    if (group) {
      try {
        await this.gh.acquire(group, key);
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
        jr.result = "cancelled";
        return jr;
      }
    }
    try {
      const token = this.gh.issue({ permissions });
      jr.token = token;
      const ctx = { ...base, github: github(id, token), secrets: this.o.secrets };
      const jobEnv = stringMap(job.env, ctx);
      const steps: Record<string, { outputs: Record<string, string>; outcome: string; conclusion: string }> =
        {};
      let failed = false;
      for (const [i, step] of job.steps.entries()) {
        const sctx = { ...ctx, steps, env: jobEnv };
        const sr: StepRun = { id: step.id, uses: "", outcome: "skipped", outputs: {}, with: {}, log: "" };
        jr.steps.push(sr);
        const go = truthy(
          evaluate((step as Step & { if: { expression: string } }).if.expression, sctx, {
            failed,
            cancelled: false,
          }),
        );
        if (go) {
          const raw = rawStep(w, id, i);
          sr.uses = (step as { uses?: { value: string } }).uses?.value ?? "";
          sr.with = stringMap(find(raw, "with"), sctx);
          const env = { ...jobEnv, ...stringMap((step as { env?: MappingToken }).env, sctx) };
          try {
            await this.step(run, jr, sr, env, token, github(id, token));
          } catch (e) {
            sr.outcome = "failure";
            sr.log += (e as Error).message;
          }
          if (sr.outcome === "failure") failed = true;
        }
        steps[step.id] = { outputs: sr.outputs, outcome: sr.outcome, conclusion: sr.outcome };
      }
      jr.result = failed ? "failure" : "success";
      jr.outputs = stringMap(job.outputs, { ...ctx, steps });
      return jr;
    } finally {
      if (group) this.gh.release(group, key);
    }
  }

  /** One step: this action spawned, or another action emulated as its README documents it. */
  private async step(
    run: WorkflowRun,
    job: JobRun,
    sr: StepRun,
    env: Record<string, string>,
    token: string,
    github: Record<string, unknown>,
  ): Promise<void> {
    const h = this.o.harness;
    const name = sr.uses.replace(/@.*$/, "");
    const ws = job.workspace;
    if (name === "actions/checkout") {
      // actions/checkout README: `ref` defaults to the event's SHA; fetch-depth: 0 fetches all history;
      // persist-credentials: false leaves no token in the git config.
      const dir = h.checkout(this.o.remote);
      if (sr.with.ref)
        h.git(dir, "checkout", "-q", "--detach", `origin/${sr.with.ref.replace(/^refs\/heads\//, "")}`);
      else h.git(dir, "checkout", "-q", "--detach", run.sha);
      job.workspace = dir;
      sr.outcome = "success";
      return;
    }
    if (!ws) throw new Error(`${sr.uses}: no workspace (actions/checkout did not run)`);
    if (name === "actions/upload-artifact") {
      // actions/upload-artifact v4 README: `path` is one path per line relative to the workspace; hidden
      // files are left out unless include-hidden-files; the name must be new in the run unless overwrite.
      const files = new Map<string, Buffer>();
      const paths = sr.with
        .path!.split("\n")
        .map((p) => p.trim())
        .filter(Boolean);
      const hidden = sr.with["include-hidden-files"] === "true";
      const present = paths.filter((p) => existsSync(join(ws, p)));
      const root = present.length ? commonRoot(ws, present) : "";
      for (const p of present) collect(join(ws, p), join(ws, root), files, hidden);
      if (!files.size)
        throw new Error(
          `No files were found with the provided path: ${paths.join(", ")}. No artifacts will be uploaded.`,
        );
      this.gh.upload(
        this.o.repo,
        {
          name: sr.with.name ?? "artifact",
          runId: run.runId,
          attempt: run.attempt,
          files,
          retentionDays: sr.with["retention-days"] ? Number(sr.with["retention-days"]) : undefined,
        },
        sr.with.overwrite === "true",
      );
      sr.outcome = "success";
      return;
    }
    if (name === "actions/download-artifact") {
      // actions/download-artifact v4 README: by name from the current workflow run, into `path`.
      const a = this.gh.download(this.o.repo, run.runId, sr.with.name!);
      if (!a) throw new Error(`Unable to download artifact(s): Artifact not found for name: ${sr.with.name}`);
      const dest = join(ws, sr.with.path ?? "");
      for (const [rel, buf] of a.files) {
        mkdirSync(dirname(join(dest, rel)), { recursive: true });
        writeFileSync(join(dest, rel), buf);
      }
      sr.outcome = "success";
      return;
    }
    if (sr.uses === "./") {
      const inputs: Record<string, string> = {};
      for (const [k, def] of Object.entries(this.action.inputs)) {
        const d = def.default ?? "";
        const m = /^\$\{\{(.*)\}\}$/.exec(d.trim());
        inputs[k] = m ? asString(JSON.parse(JSON.stringify(evaluate(m[1]!, { github }), data.replacer))) : d;
      }
      Object.assign(inputs, sr.with, {
        "alma-base-url": h.alma.url,
        "infiniti-url": h.infiniti.url,
      });
      const r = await spawnAction({
        dir: join(h.tmp, `wf-${run.runId}.${run.attempt}-${job.id}-${sr.id}`.replace(/[^\w.-]/g, "_")),
        workspace: ws,
        repo: this.o.repo,
        eventName: run.eventName,
        event: run.event,
        inputs,
        baseEnv: { ...h.gitEnv, ...env, ...this.gh.pushEnv(this.o.repo, inputs["github-token"] ?? "") },
        githubApiUrl: this.gh.url,
        sha: run.sha,
        runId: run.runId,
        ref: run.ref,
        runAttempt: run.attempt,
      });
      sr.action = r;
      sr.outputs = r.outputs;
      sr.log = r.stdout + r.stderr;
      sr.outcome = r.code === 0 ? "success" : "failure";
      return;
    }
    throw new Error(`${sr.uses} is not emulated`);
  }
}

/**
 * The artifact's root (actions/upload-artifact README): one directory → that directory; several paths →
 * their least common ancestor; one file → its folder.
 */
function commonRoot(ws: string, paths: string[]): string {
  const parts = paths.map((p) => p.replace(/\/+$/, "").split("/"));
  if (parts.length === 1)
    return statSync(join(ws, paths[0]!)).isDirectory()
      ? parts[0]!.join("/")
      : parts[0]!.slice(0, -1).join("/");
  const first = parts[0]!;
  let n = first.length;
  for (const d of parts) {
    let i = 0;
    while (i < n && d[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n).join("/");
}

function collect(path: string, root: string, out: Map<string, Buffer>, hidden: boolean): void {
  if (!existsSync(path)) return;
  const name = path.split("/").pop()!;
  if (!hidden && name.startsWith(".")) return;
  if (statSync(path).isDirectory()) {
    for (const e of readdirSync(path)) collect(join(path, e), root, out, hidden);
    return;
  }
  out.set(relative(root, path), readFileSync(path));
}
