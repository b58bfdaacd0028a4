/**
 * The Alma plan (read-only): GET every listed patron, decide, build the exact PUT body, guard it.
 *
 * Streaming and resumable: each fetched record and body is appended to a part file as soon as it
 * arrives, and a journal line records where. A killed plan run again with the same --out carries
 * on; the final files are assembled in patron-list order from the part files.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import type { LoadedConfig } from "../core/config.ts";
import { InputError, InterruptedError } from "../core/errors.ts";
import { Journal } from "../core/journal.ts";
import { PLAN_JOURNAL, systemDir } from "../core/plandir.ts";
import { runPool } from "../core/pool.ts";
import { createProgress } from "../core/progress.ts";
import type { RunContext, SectionPlan } from "../core/types.ts";
import { guardBody, putBody } from "./body.ts";
import { decide } from "./decide.ts";
import { fieldHeld, barcodeHold, heldMessage } from "./holds.ts";
import { almaClient } from "./connection.ts";
import { AlmaApiError, explainAlmaError, NOT_FOUND_CODES } from "./errors.ts";
import { AlmaKeyRefusedError } from "./key-refusal.ts";
import { heldByOtherMessage, identityMismatch, otherHolder } from "./plan-checks.ts";
import {
  lookupBarcode,
  readBarcodeList,
  readPatronList,
  type BarcodeList,
  type PatronList,
} from "./inputs.ts";
import { lookupUpdate, readUpdates, type UpdateList } from "./updates.ts";
import { checkCodes, type CodeCheck } from "./code-tables.ts";
import { decideFields, writes } from "./field-plan.ts";
import { addFields, matchOnMismatch } from "./plan-fields.ts";
import { byPrimaryId, planTargets } from "./targets.ts";
import { employeeIdOf } from "./identifiers.ts";
import { finalize, PartFile, stripDeclaration, type PlanJournalLine } from "./plan-output.ts";
import { ALMA_DIR, type AlmaPlanEntry } from "./planfile.ts";
import { QuotaExhaustedError } from "./transport-errors.ts";
import type { Transport } from "./transport.ts";
import { segmentAfter, whoIs } from "./who.ts";
import { childText, parseUser, userXml } from "./xml.ts";
import { callsNeeded, NotStartedError, quotaShortfall } from "./quota.ts";
import { readAnalyticsReport } from "./analytics.ts";
import { almaApiKey } from "./connection.ts";
import { almaBaseUrl, almaConfigOf } from "./config.ts";
import type { AlmaSettings } from "./settings.ts";
import {
  analyticsSource,
  patronsFromTable,
  PATRONS_CSV,
  readPatronsCsv,
  reportTable,
  writePatronsCsv,
} from "./report-patrons.ts";

/**
 * The patron list from the Analytics report named in the config, through the same paced transport, written
 * to the plan directory as alma/patrons.csv. A resumed plan reads that file instead of asking Alma again.
 */
async function reportPatrons(
  ctx: RunContext,
  transport: Transport,
  resuming: boolean,
  settings: AlmaSettings,
  emptyWaitMs?: (tries: number) => number,
): Promise<PatronList> {
  const alma = almaConfigOf(ctx.loaded)!;
  const source = analyticsSource(alma)!;
  let table = resuming ? readPatronsCsv(ctx.planDir) : undefined;
  if (table) ctx.log.info(`alma: carrying on with the patron list read before (${PATRONS_CSV})`);
  else {
    ctx.log.info(`alma: reading the Analytics report ${source.analytics}`);
    const report = await readAnalyticsReport({
      transport,
      baseUrl: almaBaseUrl(alma, settings),
      apiKey: almaApiKey(settings, "plan"),
      path: source.analytics,
      maxRows: alma.max_lines,
      signal: ctx.signal,
      ...(emptyWaitMs && { emptyWaitMs }),
    });
    table = reportTable(report);
    writePatronsCsv(ctx.planDir, table);
    ctx.log.info(
      `alma: the report has ${table.rows.length} rows (${report.calls} calls${report.emptyAnswers ? `, ${report.emptyAnswers} empty answers asked again` : ""}); written to ${PATRONS_CSV}`,
    );
  }
  const { list, emptyRows } = patronsFromTable(table, source);
  if (emptyRows.length)
    ctx.log.warn(
      `alma: ${emptyRows.length} rows of the report have no "${source.column}" and are not planned (${PATRONS_CSV} lines ${emptyRows.slice(0, 10).join(", ")}${emptyRows.length > 10 ? ", …" : ""})`,
    );
  return list;
}

export interface AlmaInputs {
  /** The patron list (barcode repair); none when the section only updates fields (alma.updates). */
  patrons?: PatronList;
  barcodes?: BarcodeList;
  /** The field updates (alma.updates), if any. */
  updates?: UpdateList;
}

/** The offline inputs: no patron list when it comes from an Analytics report (read when planning). */
export type AlmaFileInputs = AlmaInputs;

/** Reads and checks the input files. Any problem ⇒ InputError (exit 2), before any API call. */
export async function readAlmaInputs(loaded: LoadedConfig): Promise<AlmaFileInputs> {
  const alma = almaConfigOf(loaded);
  if (!alma) throw new InputError({ file: loaded.path, message: "there is no 'alma' section in the config" });
  const problems: InputError[] = [];
  const attempt = async <T>(f: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await f();
    } catch (e) {
      if (e instanceof InputError) problems.push(e);
      else throw e;
      return undefined;
    }
  };
  const file = typeof alma.patrons === "string" ? alma.patrons : undefined;
  const caps = { maxLines: alma.max_lines, maxBytes: alma.max_bytes };
  const patrons = file
    ? await attempt(() => readPatronList(resolve(loaded.root, file), file, caps))
    : undefined;
  const barcodesFile = alma.barcodes;
  const barcodes = barcodesFile
    ? await attempt(() =>
        readBarcodeList(resolve(loaded.root, barcodesFile), barcodesFile, caps, {
          barcodePattern: alma.barcode_pattern,
        }),
      )
    : undefined;
  const updatesFile = alma.updates;
  const updates = updatesFile
    ? await attempt(() => readUpdates(resolve(loaded.root, updatesFile), updatesFile, alma.match_on, caps))
    : undefined;
  if (problems.length || (file && !patrons) || (barcodesFile && !barcodes) || (updatesFile && !updates))
    throw new InputError(problems.flatMap((p) => p.problems));
  return { patrons, barcodes, updates };
}

export interface AlmaPlanDeps {
  transport?: Transport;
  inputs?: AlmaInputs;
  /** Wait before asking an Analytics report again after an empty answer (tests: 0). */
  analyticsWaitMs?: (tries: number) => number;
}

export async function planAlma(
  ctx: RunContext,
  settings: AlmaSettings,
  deps: AlmaPlanDeps = {},
): Promise<SectionPlan> {
  const alma = almaConfigOf(ctx.loaded);
  if (!alma)
    throw new InputError({ file: ctx.loaded.path, message: "there is no 'alma' section in the config" });
  const offline = deps.inputs ?? (await readAlmaInputs(ctx.loaded));
  const { client, transport } = almaClient(alma, settings, ctx.log, deps.transport, "plan");
  const dir = systemDir(ctx.planDir, ALMA_DIR);
  mkdirSync(dir, { recursive: true });
  const journal = new Journal<PlanJournalLine>(join(dir, PLAN_JOURNAL));
  const inputs: AlmaInputs =
    offline.patrons || !alma.patrons
      ? offline
      : {
          ...offline,
          patrons: await reportPatrons(ctx, transport, journal.exists(), settings, deps.analyticsWaitMs),
        };
  const { patrons, barcodes, updates } = inputs;
  const list = planTargets(patrons, updates);
  // The codes of the CSV against Alma's code tables, before any user is read (exit 2 on an unknown code).
  const codes: CodeCheck = updates
    ? await checkCodes(almaClient(alma, settings, ctx.log, transport, "plan").client, updates, ctx.signal)
    : { describe: () => undefined };
  if (codes.note) ctx.log.warn(`alma: ${codes.note}`);

  const fetchedPart = new PartFile(join(dir, ".all_patrons.part"));
  const bodyPart = new PartFile(join(dir, ".processed_results.part"));

  await checkSameInputs(ctx, join(dir, ".plan-inputs.json"), journal.exists());
  const done = new Set<number>();
  for await (const { entry } of journal.entries()) done.add(entry.i);
  if (done.size)
    ctx.log.info(
      `alma: carrying on an unfinished plan: ${done.size} of ${list.length} patrons were already read`,
    );

  let quota: QuotaExhaustedError | undefined;
  let refused: AlmaKeyRefusedError | undefined;
  const progress = createProgress({ label: "alma plan", total: list.length - done.size });
  const type = alma.barcode_type;

  /** The quota, a refused key or an interrupt: the patron is left unplanned (pending) and the run stops. */
  const stopsTheRun = (e: unknown): boolean => {
    if (e instanceof QuotaExhaustedError) quota ??= e;
    else if (e instanceof AlmaKeyRefusedError) refused ??= e;
    return quota !== undefined || refused !== undefined || ctx.signal?.aborted === true;
  };
  let holderLookups = 0;

  const listedIds = new Map((patrons?.entries ?? []).map((e) => [e.id.toLowerCase(), e.line]));
  const planOne = async (i: number): Promise<void> => {
    const p = list[i]!;
    const base = { primary_id: p.id, line: p.line, old_barcodes: [] as string[] };
    let xml: string;
    try {
      xml = await client.getUser(p.id, ctx.signal);
    } catch (e) {
      if (stopsTheRun(e)) return;
      if (e instanceof AlmaApiError && NOT_FOUND_CODES.has(e.code)) {
        journal.append({ i, entry: { ...base, action: "not-found", message: explainAlmaError(e) } });
      } else {
        const message = e instanceof AlmaApiError ? explainAlmaError(e) : (e as Error).message;
        journal.append({ i, entry: { ...base, action: "failed", message } });
      }
      return;
    }
    let user;
    try {
      user = parseUser(xml);
    } catch (e) {
      journal.append({
        i,
        entry: {
          ...base,
          action: "failed",
          message: `Alma returned a record that could not be read: ${(e as Error).message}`,
        },
      });
      return;
    }
    const mismatch =
      p.listed || !updates || byPrimaryId(updates)
        ? identityMismatch(p.id, user)
        : matchOnMismatch(p.id, user, alma.match_on);
    if (mismatch) {
      journal.append({ i, entry: { ...base, action: "identity-mismatch", message: mismatch } });
      return;
    }
    const primaryId = childText(user, "primary_id")?.trim() || p.id;
    if (!p.listed && listedIds.has(primaryId.toLowerCase())) {
      // The CSV names the user by another identifier and the patron list by primary ID: one entry (the list's).
      journal.append({
        i,
        entry: {
          ...base,
          action: "unchanged",
          message: `user ${primaryId} is planned with line ${listedIds.get(primaryId.toLowerCase())} of the patron list (one GET and one PUT)`,
        },
      });
      return;
    }
    const row =
      p.update ??
      (p.listed && updates && !byPrimaryId(updates)
        ? lookupUpdate(updates, employeeIdOf(user, alma.match_on) ?? "")
        : undefined);
    const d = p.listed && barcodes ? decide(user, (id) => lookupBarcode(barcodes, id), alma) : undefined;
    // A revert stays reverted: the change it undid is not planned again from the same barcode.
    const held = d?.change ? barcodeHold(ctx.holds, p.id, d) : undefined;
    const heldEntry: AlmaPlanEntry | undefined =
      held && d
        ? {
            ...base,
            action: "held",
            ...(d.employeeId !== undefined && { employee_id: d.employeeId }),
            ...whoIs(user),
            old_barcodes: d.oldBarcodes,
            new_barcode: d.change!.barcode,
            fingerprint: d.fingerprint,
            message: heldMessage(held),
          }
        : undefined;
    if (heldEntry && !row) {
      journal.append({ i, entry: heldEntry, fetched: fetchedPart.append(stripDeclaration(xml)) });
      return;
    }
    let holder: string | undefined;
    if (d?.change && !heldEntry && alma.check_holders) {
      try {
        holderLookups++;
        holder = await otherHolder(client, d.change.barcode, type, p.id, ctx.signal);
      } catch (e) {
        if (stopsTheRun(e)) return;
        const why = e instanceof AlmaApiError ? explainAlmaError(e) : (e as Error).message;
        const message = `could not check who holds ${type} ${d.change.barcode}: ${why}`;
        journal.append({ i, entry: { ...base, action: "failed", message } });
        return;
      }
    }
    const entry: AlmaPlanEntry =
      heldEntry ??
      (d
        ? {
            ...base,
            action: d.action,
            ...(d.employeeId !== undefined && { employee_id: d.employeeId }),
            ...whoIs(user),
            old_barcodes: d.oldBarcodes,
            ...(d.newBarcode !== undefined && { new_barcode: d.newBarcode }),
            ...(d.change && {
              affected: d.change.affected,
              reactivate: d.change.reactivate,
              segment: segmentAfter(user, type, d.change.barcode, d.change.reactivate),
            }),
            fingerprint: d.fingerprint,
            message: d.message,
            ...(d.warning !== undefined && { external_affected: d.external, warning: d.warning }),
          }
        : { ...base, primary_id: primaryId, action: "unchanged", ...whoIs(user), message: "" });
    if (holder !== undefined && d?.change) {
      Object.assign(entry, {
        action: "held-by-other",
        holder,
        message: heldByOtherMessage(d.change.barcode, type, holder),
      });
      delete entry.affected;
      delete entry.reactivate;
    }
    const barcodeChange = d?.change && holder === undefined && !heldEntry ? d.change : undefined;
    const fields = row ? decideFields(user, row, codes.describe) : [];
    for (const f of fields.filter(writes)) {
      // A revert stays reverted: a field it put back is not set again to the same value.
      const h = fieldHeld(ctx.holds, primaryId, f.field, f.after);
      if (h) f.held = heldMessage(h);
    }
    if (row) addFields(entry, user, row, fields, row.id, barcodeChange !== undefined);
    const line: PlanJournalLine = { i, entry, fetched: fetchedPart.append(stripDeclaration(xml)) };
    if (barcodeChange || fields.some(writes)) {
      const body = putBody(user, barcodeChange, type, fields);
      const problems = guardBody(user, body, barcodeChange, type, fields);
      if (problems.length) {
        entry.action = "failed";
        entry.message = `the PUT-body guard refused this record: ${problems.join("; ")}`;
      } else {
        line.body = bodyPart.append(userXml(body, false));
      }
    }
    journal.append(line);
  };

  if (ctx.scheduled) {
    // Read X-Exl-Api-Remaining from the first call (the report's, or the first patron's) before starting.
    const first = list.findIndex((_, i) => !done.has(i));
    if (transport.stats().lastRemaining === undefined && first >= 0) {
      await planOne(first);
      done.add(first);
      progress.tick();
    }
    const left = transport.stats().lastRemaining;
    const checkHolders = alma.check_holders;
    const why =
      quota !== undefined
        ? quotaShortfall(
            quota.remaining,
            callsNeeded(list.length - done.size, checkHolders),
            alma.min_remaining,
          )
        : left !== undefined
          ? quotaShortfall(left, callsNeeded(list.length - done.size, checkHolders), alma.min_remaining)
          : undefined;
    if (why) throw new NotStartedError(why);
  }

  await runPool(
    list.length,
    alma.concurrency,
    async (i) => {
      await planOne(i);
      progress.tick();
    },
    {
      signal: ctx.signal,
      shouldStop: () => quota !== undefined || refused !== undefined,
      skip: (i) => done.has(i),
    },
  );
  progress.done();
  if (holderLookups)
    ctx.log.info(
      `alma: asked Alma who holds ${holderLookups} planned new barcode${holderLookups === 1 ? "" : "s"} (one call each; alma.check_holders)`,
    );
  if (refused) {
    // A fresh plan that read nothing leaves no folder behind (an unfinished one keeps its journal).
    if (!journal.exists()) {
      rmSync(dir, { recursive: true, force: true });
      try {
        rmdirSync(ctx.planDir);
      } catch {
        // not empty (other systems' files) or already gone: leave it
      }
    }
    throw refused.stopped(
      "The plan stopped at once: no plan was written (no plan.json, no plan.md); a plan only reads Alma, so nothing in Alma changed.",
    );
  }
  if (ctx.signal?.aborted) throw new InterruptedError("The Alma plan");
  if (quota)
    ctx.log.warn(
      `alma: ${quota.message} The patrons not read yet are 'pending': run the same plan again (same --out) to carry on.`,
    );

  return finalize(ctx, dir, inputs, list, journal, fetchedPart, bodyPart, codes.note);
}

/**
 * A resumed plan must read the same input files as the run it carries on, or the journal's
 * patron numbers would point at other patrons.
 */
async function checkSameInputs(ctx: RunContext, path: string, resuming: boolean): Promise<void> {
  const alma = almaConfigOf(ctx.loaded)!;
  const hash = async (f: string) =>
    createHash("sha256")
      .update(await readFile(resolve(ctx.loaded.root, f)))
      .digest("hex");
  const patronsFile = !alma.patrons
    ? undefined
    : typeof alma.patrons === "string"
      ? alma.patrons
      : join(ctx.planDir, PATRONS_CSV);
  const files = { patrons: patronsFile, barcodes: alma.barcodes, updates: alma.updates };
  const keys = ["patrons", "barcodes", "updates"] as const;
  const now: Partial<Record<(typeof keys)[number], string>> = {};
  for (const k of keys) if (files[k]) now[k] = await hash(files[k]);
  if (resuming && existsSync(path)) {
    const then = JSON.parse(readFileSync(path, "utf8")) as typeof now;
    const changed = keys.filter((k) => then[k] !== now[k]).map((k) => files[k] ?? `alma.${k}`);
    if (changed.length) {
      throw new InputError({
        file: changed[0]!,
        message: `changed since the unfinished plan in ${ctx.planDir} started; start a new plan (use another --out, or delete that folder)`,
      });
    }
  }
  writeFileSync(path, JSON.stringify(now) + "\n");
}
