/**
 * The Infiniti apply: post the plan's import.csv (checked against the SHA-256 in plan.json, so nothing
 * is sent that the plan did not show), read Infiniti's answer, write results.csv/results.json, and
 * merge only the rows Infiniti accepted into the applied state (a failed row is sent again by the
 * next plan; a refused login or an unusable answer changes no state).
 *
 * Applying the same plan again: if its results.json shows that Infiniti imported any row, nothing is
 * posted again. The earlier results are reported (imported rows as `unchanged`, failed rows as
 * `failed`), and the way forward is a new plan, which (incremental) holds just the rows that failed.
 * If the earlier attempt imported nothing (refused credentials, no answer, a 5xx), posting the same
 * import again is safe and is done: Infiniti's import creates or updates by username.
 */
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { csvForPeople } from "../core/csv.ts";
import { InputError, InterruptedError } from "../core/errors.ts";
import { readHistory, type HistoryEntry } from "../core/results.ts";
import type { RunContext, SectionApply } from "../core/types.ts";
import { maskProxy } from "../core/proxy.ts";
import { infinitiEndpoint, InfinitiUnreachableError, postImport } from "./client.ts";
import { echoMask } from "./mask.ts";
import { IMPORT_FILE, INFINITI_DIR, planDirOf, readPlanFile, type InfinitiPlanFile } from "./planfile.ts";
import { renderInfinitiResults } from "./render.ts";
import { AppliedLog, APPLIED_FILE, readApplied, revertRows } from "./revert.ts";
import { interpretAnswer, type InfinitiResult, type InterpretedAnswer, type SentRow } from "./result.ts";
import { readState, stateValues, statePaths, writeState } from "./state.ts";
import { sha256 } from "./values.ts";

export const RESULTS_CSV = "results.csv";
export const RESULTS_JSON = "results.json";

export interface InfinitiResultsFile {
  system: "infiniti";
  applied_at: string;
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
  counts: Record<string, number>;
  warnings: string[];
  results: InfinitiResult[];
  /** Every apply of this plan, oldest first (this one last). */
  history?: HistoryEntry[];
}

interface SentRecord extends SentRow {
  values: Record<string, string>;
}

/** Reads import.csv and checks it against the plan: the bytes (SHA-256) and the row → username map. */
function readImport(planDir: string, plan: InfinitiPlanFile): { csv: string; rows: SentRecord[] } {
  const path = join(planDirOf(planDir), IMPORT_FILE);
  const shown = `${INFINITI_DIR}/${IMPORT_FILE}`;
  if (!existsSync(path)) throw new InputError({ file: path, message: `the plan's ${shown} is missing` });
  let csv = readFileSync(path, "utf8");
  if (sha256(csv) !== plan.import.sha256) {
    // A checkout with CRLF line endings (core.autocrlf) changes only the line endings: undo that.
    const lf = csv.replace(/\r\n/g, "\n");
    if (sha256(lf) !== plan.import.sha256) {
      throw new InputError({
        file: path,
        message: `${shown} is not the file the plan showed (its SHA-256 differs from plan.json): nothing was sent. Run a new plan`,
      });
    }
    csv = lf;
  }
  const [header = [], ...data] = parse(csv, { skip_empty_lines: false });
  const byRow = new Map(plan.users.filter((u) => u.import_row !== undefined).map((u) => [u.import_row!, u]));
  const iUser = header.indexOf("username");
  const iPassword = header.indexOf("password");
  const rows: SentRecord[] = [];
  const mismatch = () =>
    new InputError({
      file: path,
      message: `${shown} does not match plan.json: nothing was sent. Run a new plan`,
    });
  if (data.length !== plan.sent || byRow.size !== plan.sent || iUser < 0) throw mismatch();
  data.forEach((fields, i) => {
    const planned = byRow.get(i + 1);
    const username = fields[iUser] ?? "";
    if (!planned || planned.username !== username) throw mismatch();
    const values: Record<string, string> = {};
    header.forEach((c, j) => (values[c] = fields[j] ?? ""));
    rows.push({
      row: i + 1,
      username,
      action: planned.action,
      ...(iPassword >= 0 && fields[iPassword] ? { password: fields[iPassword] } : {}),
      values,
    });
  });
  return { csv, rows };
}

function readPrevious(dir: string, plan: InfinitiPlanFile): InfinitiResultsFile | undefined {
  const path = join(dir, RESULTS_JSON);
  if (!existsSync(path)) return undefined;
  try {
    const prev = JSON.parse(readFileSync(path, "utf8")) as InfinitiResultsFile;
    return prev.import_sha256 === plan.import.sha256 ? prev : undefined;
  } catch {
    return undefined;
  }
}

function countStatuses(results: InfinitiResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

export async function applyInfiniti(ctx: RunContext): Promise<SectionApply> {
  const cfg = ctx.loaded.config.infiniti;
  if (!cfg)
    throw new InputError({ file: ctx.loaded.path, message: "there is no 'infiniti' section in the config" });
  const dir = planDirOf(ctx.planDir);
  const plan = readPlanFile(ctx.planDir);
  const planned = readImport(ctx.planDir, plan);
  let { csv, rows } = planned;
  let skipped: InfinitiResult[] = [];
  if (plan.kind === "revert" && plan.reverts) {
    // A revert: send only the rows whose user is still as the reverted apply left it.
    const applied = readApplied(resolve(ctx.loaded.root, plan.reverts));
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
  const files = [
    `${INFINITI_DIR}/${RESULTS_CSV}`,
    `${INFINITI_DIR}/${RESULTS_JSON}`,
    `${INFINITI_DIR}/${APPLIED_FILE}`,
  ];

  const previous = readPrevious(dir, plan);
  const imported = (r: InfinitiResult) => r.status === "created" || r.status === "updated";
  if (previous?.posted && previous.results.some(imported)) return repeated(ctx, previous, files);

  if (!rows.length) {
    ctx.log.info("infiniti: nothing to send: the plan has no users to import; nothing was posted");
    const summary = "Nothing to send: the plan has no users to import; nothing was posted.";
    await writeResults(dir, plan, { posted: false, status: null, answer: undefined, results: skipped });
    const counts = countStatuses(skipped);
    return section(ctx, { counts, results: skipped, summary: "", files, stateFiles: [], note: summary });
  }

  // Input checks before any call: credentials, URL.
  const configFile = relative(process.cwd(), ctx.loaded.path) || ctx.loaded.path;
  const endpoint = infinitiEndpoint(cfg, ctx.env, configFile);
  if (ctx.signal?.aborted) throw new InterruptedError("The Infiniti import");
  if (previous)
    ctx.log.info("infiniti: the earlier apply of this plan imported nothing; posting the import again");
  const via = endpoint.proxy ? ` through the proxy ${maskProxy(endpoint.proxy)}` : "";
  ctx.log.info(`infiniti: posting ${rows.length} users to ${endpoint.url}${via}`);

  let answer: InterpretedAnswer;
  let status: number | null = null;
  try {
    const http = await postImport(endpoint, csv, { signal: ctx.signal });
    status = http.status;
    answer = interpretAnswer(http, rows, endpoint.secrets ?? []);
  } catch (e) {
    if (ctx.signal?.aborted) throw new InterruptedError("The Infiniti import");
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
  await writeResults(dir, plan, { posted: true, status, answer, results: answer.results });

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
  dir: string,
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
    join(dir, RESULTS_CSV),
    csvForPeople(
      ["username", "status", "message"],
      x.results.map((r) => [r.username, r.status, r.message]),
    ),
  );
  const appliedAt = new Date().toISOString();
  const history: HistoryEntry[] = [
    ...readHistory(join(dir, RESULTS_JSON)),
    {
      applied_at: appliedAt,
      complete: true,
      counts,
      failures: x.results
        .filter((r) => r.status === "failed")
        .map((r) => ({ id: r.username, message: r.message })),
    },
  ];
  const file: InfinitiResultsFile = {
    system: "infiniti",
    applied_at: appliedAt,
    import_sha256: plan.import.sha256,
    posted: x.posted,
    http_status: x.status,
    success: x.answer?.success ?? null,
    summary: x.answer?.summary ?? "nothing to send",
    complete: true,
    counts,
    warnings: x.answer?.warnings ?? [],
    results: x.results,
    history,
  };
  await writeFile(join(dir, RESULTS_JSON), JSON.stringify(file, null, 1) + "\n");
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
