/**
 * The Infiniti apply: post the rows re-derived from the plan's data (src/infiniti/rederive.ts: the
 * roster and applied state the plan was made from, checked against plan.json and import.csv, so
 * nothing is sent that the plan did not show), read Infiniti's answer, write results.csv/results.json,
 * and merge only the rows Infiniti accepted into the applied state (a failed row is sent again by the
 * next plan; a refused login or an unusable answer changes no state). A revert plan's rows are its
 * import.csv, which core/revert.ts re-derived from the reverted plan's results.
 *
 * Applying the same plan again: if its results.json shows that Infiniti imported any row, nothing is
 * posted again. The earlier results are reported (imported rows as `unchanged`, failed rows as
 * `failed`), and the way forward is a new plan, which (incremental) holds just the rows that failed.
 * If the earlier attempt imported nothing (refused credentials, no answer, a 5xx), posting the same
 * import again is safe and is done: Infiniti's import creates or updates by username.
 */
import { writeFile } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { stringify } from "csv-stringify/sync";
import { csvForPeople } from "../core/csv.ts";
import { InputError, InterruptedError } from "../core/errors.ts";
import {
  manifestPath,
  readResults,
  RESULTS_CSV,
  RESULTS_JSON,
  systemPath,
  writeResults as writeResultsFile,
  type ResultsFile,
} from "../core/plandir.ts";
import type { RunContext, SectionApply } from "../core/types.ts";
import { maskProxy } from "../core/proxy.ts";
import type { PlanData } from "../core/integrity.ts";
import { infinitiEndpoint, InfinitiUnreachableError, postImport, type InfinitiEndpoint } from "./client.ts";
import { echoMask } from "./mask.ts";
import { INFINITI_DIR, planDirOf, readPlanFile, type InfinitiPlanFile } from "./planfile.ts";
import type { Holds } from "../core/holds.ts";
import { deriveInfinitiImport, readRevertImport, type DerivedImport, type SentRecord } from "./rederive.ts";
import { renderInfinitiResults } from "./render.ts";
import { AppliedLog, APPLIED_FILE, readApplied, revertRows } from "./revert.ts";
import { interpretAnswer, type InfinitiResult, type InterpretedAnswer } from "./result.ts";
import { readState, stateValues, statePaths, writeState } from "./state.ts";
import { infinitiConfigOf } from "./config.ts";
import type { InfinitiSettings } from "./settings.ts";

export { RESULTS_CSV, RESULTS_JSON };

/** infiniti/results.json: the envelope every system's results file has (core/plandir.ts), with Infiniti's answer. */
export interface InfinitiResultsFile extends ResultsFile<InfinitiResult> {
  system: "infiniti";
  /** The import this records (import.csv's SHA-256 from the plan). */
  import_sha256: string;
  posted: boolean;
  http_status: number | null;
  success: boolean | null;
  summary: string;
  /**
   * Every row has its final result (as in Alma's results.json: nothing pending). Always true once
   * written: a failed row is final for this plan (the next plan sends it again); see counts.failed.
   */
  complete: boolean;
  warnings: string[];
}

function readPrevious(planDir: string, plan: InfinitiPlanFile): InfinitiResultsFile | undefined {
  const prev = readResults<InfinitiResultsFile>(planDir, INFINITI_DIR);
  return prev?.import_sha256 === plan.import.sha256 ? prev : undefined;
}

function countStatuses(results: InfinitiResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

/** What apply will do for Infiniti, decided (and checked) before any call of the apply. */
export type InfinitiPrepared =
  | { kind: "repeat"; plan: InfinitiPlanFile; previous: InfinitiResultsFile }
  | { kind: "empty"; plan: InfinitiPlanFile }
  | {
      kind: "post";
      plan: InfinitiPlanFile;
      previous?: InfinitiResultsFile;
      endpoint: InfinitiEndpoint;
      derived: DerivedImport;
    };

const imported = (r: InfinitiResult) => r.status === "created" || r.status === "updated";

/**
 * Infiniti's preflight: whether this apply posts at all; if it does, the credentials, the URL (the
 * one the plan showed) and the rows, re-derived from the plan's data. Throws InputError (exit 2).
 */
export async function prepareInfinitiApply(
  ctx: RunContext,
  data: () => Promise<PlanData>,
  plannedUrl: string | undefined,
  settings: InfinitiSettings,
  holds?: () => Promise<Holds>,
): Promise<InfinitiPrepared> {
  const cfg = infinitiConfigOf(ctx.loaded);
  if (!cfg)
    throw new InputError({ file: ctx.loaded.path, message: "there is no 'infiniti' section in the config" });
  const plan = readPlanFile(ctx.planDir);
  const previous = readPrevious(ctx.planDir, plan);
  if (previous?.posted && previous.results.some(imported)) return { kind: "repeat", plan, previous };
  if (!plan.sent) return { kind: "empty", plan };
  const configFile = relative(process.cwd(), ctx.loaded.path) || ctx.loaded.path;
  const endpoint = infinitiEndpoint(cfg, settings, configFile);
  if (plannedUrl === undefined || endpoint.url !== plannedUrl) {
    throw new InputError({
      file: plannedUrl === undefined ? manifestPath(ctx.planDir) : configFile,
      message:
        plannedUrl === undefined
          ? "does not record the Infiniti URL the plan showed. Plan again."
          : `the Infiniti import URL is now ${endpoint.url}, but the plan showed ${plannedUrl}: apply posts only where the plan said. Plan again.`,
    });
  }
  const derived =
    plan.kind === "revert"
      ? readRevertImport(ctx.planDir, plan)
      : await deriveInfinitiImport(await data(), ctx.planDir, plan, await holds?.());
  return { kind: "post", plan, ...(previous ? { previous } : {}), endpoint, derived };
}

export async function applyInfiniti(ctx: RunContext, prepared: InfinitiPrepared): Promise<SectionApply> {
  const { plan } = prepared;
  const files = [
    `${INFINITI_DIR}/${RESULTS_CSV}`,
    `${INFINITI_DIR}/${RESULTS_JSON}`,
    `${INFINITI_DIR}/${APPLIED_FILE}`,
  ];

  if (prepared.kind === "repeat") return repeated(ctx, prepared.previous, files);
  let { csv, rows } = prepared.kind === "post" ? prepared.derived : { csv: "", rows: [] as SentRecord[] };
  let skipped: InfinitiResult[] = [];
  if (plan.kind === "revert" && plan.reverts) {
    // A revert: send only the rows whose user is still as the reverted apply left it.
    const applied = readApplied(ctx.revertedDir ?? resolve(ctx.loaded.root, plan.reverts));
    const state = await readState(ctx.loaded);
    const r = revertRows(rows, applied ?? { system: "infiniti", state: "", users: [] }, state, plan.reverts);
    skipped = r.skipped;
    for (const s of skipped) ctx.log.warn(`infiniti: ${s.username}: ${s.message}`);
    if (skipped.length) {
      rows = r.send.map((row, i) => ({ ...row, row: i + 1 }));
      const cols = plan.import.columns;
      csv = stringify([cols, ...rows.map((row) => cols.map((c) => row.values[c] ?? ""))], {
        record_delimiter: "\n",
      });
    }
  }
  if (!rows.length) {
    ctx.log.info("infiniti: nothing to send: the plan has no users to import; nothing was posted");
    const summary = "Nothing to send: the plan has no users to import; nothing was posted.";
    await writeResults(ctx.planDir, plan, {
      posted: false,
      status: null,
      answer: undefined,
      results: skipped,
    });
    const counts = countStatuses(skipped);
    return section(ctx, { counts, results: skipped, summary: "", files, stateFiles: [], note: summary });
  }

  if (prepared.kind !== "post") throw new Error("unreachable: a plan with rows to send is prepared to post");
  const { endpoint, previous } = prepared;
  if (ctx.signal?.aborted) throw new InterruptedError("The Infiniti import");
  if (previous)
    ctx.log.info("infiniti: the earlier apply of this plan imported nothing; posting the import again");
  const via = endpoint.proxy ? ` through the proxy ${maskProxy(endpoint.proxy)}` : "";
  ctx.log.info(`infiniti: posting ${rows.length} users to ${endpoint.url}${via}`);

  let answer: InterpretedAnswer;
  let status: number | null = null;
  try {
    if (ctx.writes) ctx.writes.attempted++;
    const http = await postImport(endpoint, csv, { signal: ctx.signal });
    status = http.status;
    answer = interpretAnswer(http, rows, endpoint.secrets ?? []);
  } catch (e) {
    // An interrupt does not cut the POST short once sent (client.ts): what it did is recorded below.
    if (!(e instanceof InfinitiUnreachableError)) throw e;
    const mask = echoMask([...(endpoint.secrets ?? []), ...rows.map((r) => r.password)]);
    const message = `${mask(e.message)}. Nothing is recorded as applied: apply this plan again (or plan again)`;
    answer = {
      summary: message,
      results: rows.map((r) => ({ username: r.username, status: "failed", message, row: r.row })),
      wholeFailure: true,
      warnings: [],
    };
  }
  for (const w of answer.warnings) ctx.log.warn(`infiniti: ${w}`);
  answer.results.push(...skipped);
  await writeResults(ctx.planDir, plan, { posted: true, status, answer, results: answer.results });

  const stateFiles: string[] = [];
  const ok = new Set(answer.results.filter(imported).map((r) => r.row));
  if (ok.size) {
    await mergeState(
      ctx,
      rows.filter((r) => ok.has(r.row)),
      plan,
    );
    stateFiles.push(statePaths(ctx.loaded).fromRoot);
  }
  const counts = countStatuses(answer.results);
  ctx.log.info(`infiniti: Infiniti answered${status ? ` (HTTP ${status})` : ""}: ${answer.summary}`);
  return section(ctx, {
    counts,
    results: answer.results,
    summary: answer.summary,
    status,
    files,
    stateFiles,
  });
}

async function mergeState(ctx: RunContext, rows: SentRecord[], plan: InfinitiPlanFile): Promise<void> {
  const state = await readState(ctx.loaded);
  if (state.exists && plan.state.sha256 && state.sha256 !== plan.state.sha256)
    ctx.log.warn("infiniti: the applied state changed since this plan was made; merging this import into it");
  const columns = new Set([...state.columns, ...plan.import.columns]);
  const applied = new AppliedLog(state.file);
  for (const r of rows) {
    const key = r.username.toLowerCase();
    const old = state.users.get(key);
    if (r.action === "disable" && old) state.users.set(key, { ...old, enabled: "n" });
    else state.users.set(key, { ...old, ...stateValues(r.values) });
    applied.add(r.username, r.action, old, state.users.get(key)!);
  }
  // Before the state: a revert needs to know what this apply changed (issue #13).
  await applied.write(planDirOf(ctx.planDir));
  await writeState(state.path, { columns: [...columns], users: state.users });
}

async function writeResults(
  planDir: string,
  plan: InfinitiPlanFile,
  x: {
    posted: boolean;
    status: number | null;
    answer: InterpretedAnswer | undefined;
    results: InfinitiResult[];
  },
): Promise<void> {
  const counts = countStatuses(x.results);
  await writeFile(
    systemPath(planDir, INFINITI_DIR, RESULTS_CSV),
    csvForPeople(
      ["username", "status", "message"],
      x.results.map((r) => [r.username, r.status, r.message]),
    ),
  );
  writeResultsFile<InfinitiResultsFile>(
    planDir,
    {
      system: "infiniti",
      applied_at: new Date().toISOString(),
      import_sha256: plan.import.sha256,
      posted: x.posted,
      http_status: x.status,
      success: x.answer?.success ?? null,
      summary: x.answer?.summary ?? "nothing to send",
      complete: true,
      counts,
      warnings: x.answer?.warnings ?? [],
      results: x.results,
    },
    x.results.filter((r) => r.status === "failed").map((r) => ({ id: r.username, message: r.message })),
  );
}

/** The plan was applied before and Infiniti imported rows: report that, post nothing. */
function repeated(ctx: RunContext, previous: InfinitiResultsFile, files: string[]): SectionApply {
  const when = previous.applied_at;
  const results: InfinitiResult[] = previous.results.map((r) =>
    r.status === "failed"
      ? {
          ...r,
          message: `failed when this plan was applied (${when}): ${r.message}. Run a new plan to send it again`,
        }
      : { ...r, status: "unchanged", message: `already applied (${when}, ${r.status}); nothing sent` },
  );
  const counts = countStatuses(results);
  const note = `This plan was already applied (${when}); nothing was posted again. ${
    counts.failed ? "Run a new plan to send the users that failed." : ""
  }`.trim();
  ctx.log.info(`infiniti: already applied (${when}); nothing posted`);
  return section(ctx, { counts, results, summary: previous.summary, files, stateFiles: [], note });
}

function section(
  ctx: RunContext,
  x: {
    counts: Record<string, number>;
    results: InfinitiResult[];
    summary: string;
    status?: number | null;
    files: string[];
    stateFiles: string[];
    note?: string;
  },
): SectionApply {
  const failures = x.results.filter((r) => r.status === "failed");
  const c = (k: string) => x.counts[k] ?? 0;
  const line = Object.entries(x.counts)
    .map(([k, v]) => `${v} ${k}`)
    .join(", ");
  if (line) ctx.log.info(`infiniti: ${line}`);
  return {
    system: "infiniti",
    counts: x.counts,
    updated: c("created") + c("updated"),
    failed: failures.length,
    pending: 0,
    failures: failures.map((f) => ({ id: f.username, message: f.message })),
    markdown: renderInfinitiResults({
      summary: x.summary,
      ...(x.status ? { httpStatus: x.status } : {}),
      counts: x.counts,
      results: x.results,
      ...(x.note ? { note: x.note } : {}),
    }),
    files: x.files,
    stateFiles: x.stateFiles,
  };
}
