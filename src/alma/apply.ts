/**
 * The Alma apply: for every planned change, re-read the user, check that its barcodes are still as
 * planned, re-run the decision on the FRESH record with the plan's data (src/alma/rederive.ts: it
 * must give the planned change), apply that change to the fresh record (so edits made since the plan
 * survive), guard the body, PUT it, and check what Alma returns.
 *
 * Resumable: every finished record is journalled (alma/journal.ndjson). A killed apply run again
 * carries on; a finished apply run again reports its records `unchanged` and sends nothing.
 */
import { InputError, InterruptedError } from "../core/errors.ts";
import { Journal } from "../core/journal.ts";
import { APPLY_JOURNAL, readResults, systemPath, systemPlanPath, type ResultsFile } from "../core/plandir.ts";
import { ResultsStream } from "../core/results-stream.ts";
import { createProgress } from "../core/progress.ts";
import type { RunContext, SectionApply } from "../core/types.ts";
import { guardBody, putBody } from "./body.ts";
import { CHANGING_ACTIONS, decide } from "./decide.ts";
import { almaClient } from "./connection.ts";
import { AlmaApiError, explainAlmaError, NOT_FOUND_CODES } from "./errors.ts";
import { AlmaKeyRefusedError } from "./key-refusal.ts";
import { identityChecked, identityMismatch, IdentityMismatchError } from "./plan-checks.ts";
import {
  barcodeFingerprint,
  identifierFingerprint,
  hasEndState,
  identifiersOfType,
  isActive,
  type BarcodeChange,
} from "./identifiers.ts";
import { ALMA_DIR, readPlanEntries, readPlanHeader, type AlmaPlanEntry } from "./planfile.ts";
import { mismatch, type AlmaDerivation } from "./rederive.ts";
import { snapshotIdentifiers, type AppliedChange, type SavedIdentifier } from "./restore.ts";
import { sendRestore } from "./restore-send.ts";
import { sendWithFields, type FieldBefore } from "./apply-fields.ts";
import { sendFieldRestore } from "./restore-fields.ts";
import { writes } from "./field-plan.ts";
import { QuotaExhaustedError } from "./transport-errors.ts";
import { AlmaResultRows, renderAlmaResults, STATUS_ORDER } from "./render-results.ts";
import type { Transport } from "./transport.ts";
import { parseUser, userXml } from "./xml.ts";
import { almaConfigOf } from "./config.ts";
import type { AlmaSettings } from "./settings.ts";

/** Result statuses: a public contract (results.csv). */
export type AlmaStatus = "updated" | "unchanged" | "skipped" | "failed" | "pending";
const DONE: ReadonlySet<AlmaStatus> = new Set(["updated", "unchanged", "skipped"]);

export interface AlmaResult {
  primary_id: string;
  status: AlmaStatus;
  message: string;
  /** `updated`: the barcode identifiers before and the fingerprint after, so that a revert can undo it. */
  applied?: AppliedChange;
}

/** A finished record, or `sending`: written just before a PUT, so a run killed after Alma stored it knows. */
export interface ApplyJournalLine {
  primary_id: string;
  status: AlmaStatus | "sending";
  message: string;
  at: string;
  /** `sending`: the barcode identifiers just before the PUT. */
  before?: SavedIdentifier[];
  /** `sending`: the fields (alma.updates) just before the PUT. */
  fields?: FieldBefore[];
  applied?: AppliedChange;
}

/** alma/results.json: the envelope every system's results file has (core/plandir.ts). */
export interface AlmaResultsFile extends ResultsFile<Omit<AlmaResult, "applied">> {
  system: "alma";
}

export interface AlmaApplyDeps {
  transport?: Transport;
}

export async function applyAlma(
  ctx: RunContext,
  /** How to re-derive each change from the plan's data; undefined for a revert plan (only restores, checked by core/revert.ts). */
  derivation: AlmaDerivation | undefined,
  settings: AlmaSettings,
  deps: AlmaApplyDeps = {},
): Promise<SectionApply> {
  const alma = almaConfigOf(ctx.loaded);
  if (!alma)
    throw new InputError({ file: ctx.loaded.path, message: "there is no 'alma' section in the config" });
  const planPath = systemPlanPath(ctx.planDir, ALMA_DIR);
  const header = await readPlanHeader(planPath);
  const type = header.config.barcode_type;
  const { client } = almaClient(
    { ...alma, user_id_type: header.config.user_id_type },
    settings,
    ctx.log,
    deps.transport,
    "apply",
  );

  const journal = new Journal<ApplyJournalLine>(systemPath(ctx.planDir, ALMA_DIR, APPLY_JOURNAL));
  const prior = new Map<string, ApplyJournalLine>();
  for await (const { entry } of journal.entries()) prior.set(entry.primary_id.toLowerCase(), entry);
  const repeat = readResults(ctx.planDir, ALMA_DIR)?.complete === true;
  if (repeat)
    ctx.log.info(
      "alma: this plan was applied before; records already done are reported 'unchanged' and not sent again",
    );
  else if (prior.size)
    ctx.log.info(`alma: carrying on an unfinished apply: ${prior.size} records already done`);

  // Each result goes to results.csv and results.json as soon as the ones before it in the plan are
  // there (a few wait while an earlier record's calls are in flight); only counts, the failures and
  // results.md's first rows stay in memory.
  const out = new AlmaResultsOut(ctx.planDir);
  let quota: QuotaExhaustedError | undefined;
  let refused: AlmaKeyRefusedError | undefined;
  const toSend = header.changes;
  const progress = createProgress({ label: "alma apply", total: toSend });

  const applyOne = async (e: AlmaPlanEntry): Promise<AlmaResult> => {
    const id = e.primary_id;
    if (!CHANGING_ACTIONS.has(e.action)) return fromPlan(e);
    const before = prior.get(id.toLowerCase());
    if (before && before.status !== "sending" && DONE.has(before.status)) {
      if (!repeat)
        return {
          primary_id: id,
          status: before.status,
          message: before.message,
          ...(before.applied ? { applied: before.applied } : {}),
        };
      if (before.status === "skipped") return { primary_id: id, status: "skipped", message: before.message };
      return {
        primary_id: id,
        status: "unchanged",
        message: `${before.status} by an earlier apply (${before.at}): ${before.message}; nothing sent`,
      };
    }
    if (quota)
      return {
        primary_id: id,
        status: "pending",
        message: "not sent: the daily API quota ran low; run apply again to carry on",
      };
    const r = await sendOne(e, before?.status === "sending" ? before : undefined);
    // A record whose calls were answered is journalled even after an interrupt (the calls in flight are
    // finished, not cut short); one the interrupt stopped is "pending" and is not.
    if (r.status !== "pending") journal.append({ ...r, at: new Date().toISOString() });
    progress.tick();
    return r;
  };

  /** `sent`: the journal line of a PUT an interrupted run sent and did not hear back. */
  const sendOne = async (e: AlmaPlanEntry, sent?: ApplyJournalLine): Promise<AlmaResult> => {
    const id = e.primary_id;
    const wasSending = !!sent;
    const sending = (before?: SavedIdentifier[], fields?: FieldBefore[]) => {
      journal.append({
        primary_id: id,
        status: "sending",
        message: "",
        at: new Date().toISOString(),
        ...(before ? { before } : {}),
        ...(fields?.length ? { fields } : {}),
      });
      if (ctx.writes) ctx.writes.attempted++;
    };
    const planned: BarcodeChange = {
      kind: e.action as BarcodeChange["kind"],
      barcode: e.new_barcode ?? "",
      affected: e.affected ?? [],
      reactivate: e.reactivate ?? false,
    };
    const failed = (message: string): AlmaResult => ({ primary_id: id, status: "failed", message });
    try {
      if (e.action === "restore" && e.restore?.fields?.length) {
        return await sendFieldRestore(
          e,
          {
            getUser: async (uid) => identityChecked(uid, await client.getUser(uid, ctx.signal)),
            putUser: (uid, xml, override) => client.putUser(uid, xml, ctx.signal, override),
            sending: () => sending(),
            barcodeType: type,
          },
          wasSending,
        );
      }
      if (e.action === "restore") {
        return await sendRestore(
          e,
          {
            getUser: async (uid) => identityChecked(uid, await client.getUser(uid, ctx.signal)),
            putUser: (uid, xml) => client.putUser(uid, xml, ctx.signal),
            sending: () => sending(),
            barcodeType: type,
          },
          wasSending,
        );
      }
      const fresh = parseUser(await client.getUser(id, ctx.signal));
      const other = identityMismatch(id, fresh);
      if (other) return { primary_id: id, status: "skipped", message: `identity-mismatch: ${other}` };
      if (e.action === "update" || e.fields?.some(writes)) {
        const r = await sendWithFields(e, fresh, {
          barcodeType: type,
          derivation,
          sending: (before, fields) => sending(before, fields),
          putUser: (xml, override) => client.putUser(id, xml, ctx.signal, override),
          ...(sent && { sent }),
        });
        return { primary_id: id, ...r };
      }
      if (hasEndState(fresh, planned, type)) {
        if (wasSending)
          return {
            primary_id: id,
            status: "updated",
            message: `${type} ${planned.barcode} stored by the interrupted run (confirmed on re-read)`,
            ...(sent?.before
              ? { applied: { before: sent.before, after: identifierFingerprint(fresh, type) } }
              : {}),
          };
        return {
          primary_id: id,
          status: "unchanged",
          message: `already has ${type} ${planned.barcode} ACTIVE; nothing sent`,
        };
      }
      const now = barcodeFingerprint(fresh, type);
      if (now !== e.fingerprint) {
        const active = identifiersOfType(fresh, type)
          .filter(isActive)
          .map((i) => i.value);
        return {
          primary_id: id,
          status: "skipped",
          message: `changed-since-plan: the user's ${type} identifiers changed after the plan (ACTIVE now: ${active.join(", ") || "none"}); not overwritten. Plan again to include this user.`,
        };
      }
      // The change written is the one the plan's data give for the fresh record, never the plan file's.
      if (!derivation) return failed("not sent: a revert plan holds only restores");
      const d = decide(fresh, derivation.lookup, derivation.config);
      const why = mismatch(e, d);
      if (why || !d.change)
        return failed(
          `not sent: the planned change does not follow from ${derivation.label}: ${why ?? "no change"}. Plan again.`,
        );
      const change = d.change;
      const body = putBody(fresh, change, type);
      const problems = guardBody(fresh, body, change, type);
      if (problems.length) return failed(`not sent: the PUT-body guard refused it: ${problems.join("; ")}`);
      const saved = snapshotIdentifiers(fresh, type);
      sending(saved);
      const returned = parseUser(await client.putUser(id, userXml(body), ctx.signal));
      if (!hasEndState(returned, change, type)) {
        return failed(
          `Alma accepted the update but the returned record does not carry ${type} ${change.barcode} as ACTIVE; check the user in Alma`,
        );
      }
      const what =
        change.kind === "add"
          ? "added"
          : change.kind === "deactivate"
            ? `added; ${change.affected.join(", ")} set INACTIVE`
            : `added; ${change.affected.join(", ")} removed`;
      return {
        primary_id: id,
        status: "updated",
        message: `${type} ${change.barcode} ${what}`,
        applied: { before: saved, after: identifierFingerprint(returned, type) },
      };
    } catch (err) {
      if (err instanceof IdentityMismatchError)
        return { primary_id: id, status: "skipped", message: err.message };
      if (err instanceof AlmaKeyRefusedError) {
        refused ??= err;
        return { primary_id: id, status: "pending", message: "not sent: Alma refused the API key" };
      }
      if (err instanceof QuotaExhaustedError) {
        quota ??= err;
        return {
          primary_id: id,
          status: "pending",
          message: "not sent: the daily API quota ran low; run apply again to carry on",
        };
      }
      if (ctx.signal?.aborted) return { primary_id: id, status: "pending", message: "interrupted" };
      if (err instanceof AlmaApiError) {
        if (NOT_FOUND_CODES.has(err.code))
          return failed(`the user is no longer found in Alma. ${explainAlmaError(err)}`);
        return failed(explainAlmaError(err));
      }
      return failed((err as Error).message);
    }
  };

  // A small pool over the streamed plan: at most `concurrency` records in flight.
  const iterator = readPlanEntries(planPath)[Symbol.asyncIterator]();
  let index = 0;
  const worker = async () => {
    for (;;) {
      if (ctx.signal?.aborted || refused) return;
      const next = await iterator.next();
      if (next.done) return;
      const at = index++;
      out.settle(at, await applyOne(next.value));
    }
  };
  try {
    await Promise.all(Array.from({ length: alma.concurrency }, worker));
  } catch (e) {
    out.abort();
    throw e;
  }
  progress.done();
  if (refused || ctx.signal?.aborted) out.abort();
  if (refused) {
    const written = out.written;
    throw refused.stopped(
      written
        ? `The apply stopped at once, after ${written} record${written === 1 ? " was" : "s were"} written before the refusal (recorded in alma/journal.ndjson; running apply again carries on from there).`
        : "The apply stopped at once: no record was written to Alma.",
    );
  }
  if (ctx.signal?.aborted) throw new InterruptedError("The Alma apply");

  return writeResults(ctx, out, quota);
}

/**
 * Alma's results as they come, in plan order: results.csv and results.json through a ResultsStream,
 * the counts, the failures (results.json's history and the pull request comment list them) and the
 * rows results.md shows. A result that comes before the ones ahead of it in the plan waits for them.
 */
class AlmaResultsOut {
  private stream: ResultsStream<Omit<AlmaResult, "applied">>;
  private waiting = new Map<number, AlmaResult>();
  private next = 0;
  counts: Record<string, number> = {};
  failures: { id: string; message: string }[] = [];
  rows = new AlmaResultRows();
  /** Records written to Alma (`updated`), whether or not their turn in the files has come. */
  written = 0;
  constructor(planDir: string) {
    this.stream = new ResultsStream(planDir, ALMA_DIR, ["primary_id", "status", "message"]);
  }
  settle(at: number, r: AlmaResult): void {
    if (r.status === "updated") this.written++;
    this.waiting.set(at, r);
    for (let w = this.waiting.get(this.next); w; w = this.waiting.get(this.next)) {
      this.waiting.delete(this.next++);
      this.counts[w.status] = (this.counts[w.status] ?? 0) + 1;
      if (w.status === "failed") this.failures.push({ id: w.primary_id, message: w.message });
      this.rows.add(w);
      // What a revert needs (`applied`) is in the journal, one line per user.
      this.stream.add([w.primary_id, w.status, w.message], {
        primary_id: w.primary_id,
        status: w.status,
        message: w.message,
      });
    }
  }
  finish(file: Omit<AlmaResultsFile, "history" | "results">): Promise<void> {
    return this.stream.finish<AlmaResultsFile>(file, this.failures);
  }
  abort(): void {
    this.stream.abort();
  }
}

function fromPlan(e: AlmaPlanEntry): AlmaResult {
  switch (e.action) {
    case "unchanged":
      return { primary_id: e.primary_id, status: "unchanged", message: e.message };
    case "pending":
      return {
        primary_id: e.primary_id,
        status: "pending",
        message: "not planned yet (daily API quota); plan again to include it",
      };
    case "failed":
      return { primary_id: e.primary_id, status: "skipped", message: `not planned: ${e.message}` };
    case "held":
      // Its message already begins "held: undone by revert …".
      return { primary_id: e.primary_id, status: "skipped", message: e.message };
    default:
      return { primary_id: e.primary_id, status: "skipped", message: `${e.action}: ${e.message}` };
  }
}

async function writeResults(
  ctx: RunContext,
  out: AlmaResultsOut,
  quota: QuotaExhaustedError | undefined,
): Promise<SectionApply> {
  const counts = out.counts;
  const pending = counts.pending ?? 0;
  await out.finish({
    system: "alma",
    applied_at: new Date().toISOString(),
    complete: pending === 0,
    counts,
  });
  ctx.log.info(
    `alma: ${
      STATUS_ORDER.filter((s) => counts[s])
        .map((s) => `${counts[s]} ${s}`)
        .join(", ") || "nothing to do"
    }`,
  );
  return {
    system: "alma",
    counts,
    updated: counts.updated ?? 0,
    failed: counts.failed ?? 0,
    pending,
    failures: out.failures,
    markdown: renderAlmaResults(out.rows, counts, quota),
    files: ["alma/results.csv", "alma/results.json", "alma/journal.ndjson"],
    stateFiles: [],
  };
}
