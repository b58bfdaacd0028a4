/**
 * The files of an Alma plan (plan.ts): the part files and journal lines a plan run streams to, and the
 * final alma/all_patrons.xml, alma/processed_results.xml, alma/plan.json and changes CSV assembled from them
 * in patron-list order, one patron at a time (finalize).
 */
import {
  appendFileSync,
  closeSync,
  createWriteStream,
  existsSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  type WriteStream,
} from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { once } from "node:events";
import { join } from "node:path";
import { CsvForPeopleWriter } from "../core/csv.ts";
import type { Journal } from "../core/journal.ts";
import { SYSTEM_PLAN } from "../core/plandir.ts";
import type { RunContext, SectionPlan } from "../core/types.ts";
import { almaChangesRow, CHANGES_COLUMNS, fieldColumns } from "./changes.ts";
import { CHANGING_ACTIONS } from "./decide.ts";
import type { AlmaInputs } from "./plan.ts";
import { PlanFileWriter, type AlmaPlanEntry, type AlmaPlanHeader } from "./planfile.ts";
import { ExternalWarnings } from "./render-external.ts";
import { AlmaPlanTables, almaHeadline, CHANGES_CSV, renderAlmaPlan } from "./render.ts";
import { analyticsSource, patronsLabel, PATRONS_CSV } from "./report-patrons.ts";
import { almaConfigOf } from "./config.ts";
import { FieldTables } from "./render-fields.ts";
import type { Target } from "./targets.ts";

export interface PlanJournalLine {
  i: number;
  entry: AlmaPlanEntry;
  /** [offset, length] of the fetched record in the part file. */
  fetched?: [number, number];
  body?: [number, number];
}

export class PartFile {
  readonly path: string;
  size: number;
  constructor(path: string) {
    this.path = path;
    this.size = existsSync(path) ? statSync(path).size : 0;
  }
  append(text: string): [number, number] {
    const buf = Buffer.from(text, "utf8");
    appendFileSync(this.path, buf);
    const at: [number, number] = [this.size, buf.length];
    this.size += buf.length;
    return at;
  }
}

export function stripDeclaration(xml: string): string {
  return xml.replace(/^\uFEFF?\s*<\?xml[^>]*\?>\s*/, "").trim();
}

/** A patron the plan has not read yet (the daily quota ran low): carried on by the next run. */
function pendingEntry(p: { id: string; line: number }): AlmaPlanEntry {
  return {
    primary_id: p.id,
    line: p.line,
    action: "pending",
    old_barcodes: [],
    message: "not read yet: the daily API quota ran low; run the plan again to carry on",
  };
}

/**
 * Assembles the plan's files from the journal, streaming, in patron-list order. The journal holds the
 * patrons in the order they were answered; a first pass keeps only where each patron's line is (8 bytes
 * a patron) and the counts plan.json's header needs; the second reads each line back in list order and
 * writes it at once to plan.json, alma/changes.csv and the two XML files, keeping for plan.md only the
 * counts and each section's first rows (render.ts). No planned record stays in memory.
 */
export async function finalize(
  ctx: RunContext,
  dir: string,
  inputs: AlmaInputs,
  targets: readonly Target[],
  journal: Journal<PlanJournalLine>,
  fetchedPart: PartFile,
  bodyPart: PartFile,
  codesNote?: string,
): Promise<SectionPlan> {
  const alma = almaConfigOf(ctx.loaded)!;
  const list = targets;
  const fieldCols = inputs.updates?.columns ?? [];
  const n = list.length;
  const index = new JournalIndex(n);
  const counts: Record<string, number> = {};
  let fetched = 0;
  let bodies = 0;
  /** The first patron of each action: plan.json lists the counts in the order the list meets them. */
  const firstAt: Record<string, number> = {};
  for await (const { entry: line, offset, length } of journal.entries()) {
    const before = index.has(line.i) ? index.read(journal.path, line.i) : undefined;
    if (before) {
      counts[before.entry.action]!--;
      if (before.fetched) fetched--;
      if (before.body) bodies--;
    }
    index.set(line.i, offset, length);
    counts[line.entry.action] = (counts[line.entry.action] ?? 0) + 1;
    firstAt[line.entry.action] = Math.min(firstAt[line.entry.action] ?? Infinity, line.i);
    if (line.fetched) fetched++;
    if (line.body) bodies++;
  }
  index.close();
  const planned = index.size;
  if (planned < n) {
    counts.pending = (counts.pending ?? 0) + n - planned;
    let i = 0;
    while (index.has(i)) i++;
    firstAt.pending = Math.min(firstAt.pending ?? Infinity, i);
  }
  const ordered: Record<string, number> = {};
  for (const k of Object.keys(counts).sort((a, b) => firstAt[a]! - firstAt[b]!))
    if (counts[k]) ordered[k] = counts[k];
  const changes = [...CHANGING_ACTIONS].reduce((sum, a) => sum + (ordered[a] ?? 0), 0);

  const header: AlmaPlanHeader = {
    version: 1,
    system: "alma",
    created: new Date().toISOString(),
    config: {
      barcode_type: alma.barcode_type,
      match_on: alma.match_on,
      existing_barcode: alma.existing_barcode,
      user_id_type: alma.user_id_type,
    },
    inputs: {
      ...(alma.patrons && { patrons: patronsLabel(alma) }),
      ...(alma.barcodes && { barcodes: alma.barcodes }),
      ...(alma.updates && { updates: alma.updates }),
    },
    counts: ordered,
    changes,
  };
  const writer = new PlanFileWriter(join(dir, SYSTEM_PLAN), header);
  const csv = new CsvForPeopleWriter(join(ctx.planDir, CHANGES_CSV), [
    ...CHANGES_COLUMNS,
    ...fieldColumns(fieldCols),
  ]);
  const allPatrons = await XmlUsersWriter.open(join(dir, "all_patrons.xml"), fetchedPart.path, fetched);
  const processed = await XmlUsersWriter.open(join(dir, "processed_results.xml"), bodyPart.path, bodies);
  const tables = new AlmaPlanTables();
  const external = new ExternalWarnings();
  const fieldTables = new FieldTables();
  try {
    for (let i = 0; i < n; i++) {
      const line = index.read(journal.path, i);
      const e = line?.entry ?? pendingEntry(list[i]!);
      await writer.write(e);
      const row = almaChangesRow(e, fieldCols);
      if (row) csv.write(row);
      tables.add(e);
      external.add(e);
      fieldTables.add(e);
      if (line?.fetched) await allPatrons.copy(line.fetched);
      if (line?.body) await processed.copy(line.body);
    }
  } finally {
    index.close();
    csv.close();
    await Promise.all([writer.close(), allPatrons.close(), processed.close()]);
  }

  if (!ordered.pending) {
    for (const f of [journal.path, fetchedPart.path, bodyPart.path, join(dir, ".plan-inputs.json")])
      rmSync(f, { force: true });
  }
  const render = (budget: number) =>
    renderAlmaPlan(
      {
        counts: header.counts,
        tables,
        patronsFile: alma.patrons ? patronsLabel(alma) : "",
        barcodesFile: alma.barcodes ?? "",
        duplicates: inputs.patrons?.duplicates ?? [],
        conflicts: [...(inputs.barcodes?.conflicts.values() ?? [])],
        ...(inputs.updates && { fields: fieldTables, updatesFile: inputs.updates.file }),
        ...(codesNote && { codesNote }),
        config: alma,
        changes,
        external,
      },
      budget,
    );
  if (external.count) ctx.log.warn(`alma: ${external.headline()}`);
  const headline = almaHeadline(header.counts, inputs.updates ? fieldTables : undefined, !!alma.patrons);
  ctx.log.info(`alma: planned ${n} patrons: ${headline}`);
  return {
    system: "alma",
    counts: header.counts,
    changes,
    ...(inputs.updates && { policyCounts: fieldTables.policyCounts(header.counts) }),
    headline,
    markdown: render(ctx.markdownBudget ?? Infinity),
    render,
    files: [
      ...(analyticsSource(alma) ? [PATRONS_CSV] : []),
      "alma/all_patrons.xml",
      "alma/processed_results.xml",
      "alma/plan.json",
      CHANGES_CSV,
    ],
  };
}

/**
 * Where each patron's journal line is (byte offset and length), by patron number: 12 bytes a patron
 * instead of the line itself. read() gives the line back from the journal file.
 */
class JournalIndex {
  private offsets: Float64Array;
  private lengths: Uint32Array;
  private fd: number | undefined;
  size = 0;
  constructor(n: number) {
    this.offsets = new Float64Array(n).fill(-1);
    this.lengths = new Uint32Array(n);
  }
  has(i: number): boolean {
    return i >= 0 && i < this.offsets.length && this.offsets[i]! >= 0;
  }
  set(i: number, offset: number, length: number): void {
    if (i < 0 || i >= this.offsets.length) return; // not a patron of this list (checkSameInputs refuses those)
    if (!this.has(i)) this.size++;
    this.offsets[i] = offset;
    this.lengths[i] = length;
  }
  read(path: string, i: number): PlanJournalLine | undefined {
    if (!this.has(i)) return undefined;
    this.fd ??= openSync(path, "r");
    const buf = Buffer.allocUnsafe(this.lengths[i]!);
    readSync(this.fd, buf, 0, buf.length, this.offsets[i]!);
    return JSON.parse(buf.toString("utf8")) as PlanJournalLine;
  }
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** all_patrons.xml or processed_results.xml, written record by record from a part file's spans. */
class XmlUsersWriter {
  private constructor(
    private out: WriteStream,
    private part: FileHandle | undefined,
  ) {}
  static async open(outPath: string, partPath: string, count: number): Promise<XmlUsersWriter> {
    const w = new XmlUsersWriter(
      createWriteStream(outPath, { encoding: "utf8" }),
      count ? await open(partPath, "r") : undefined,
    );
    await w.write(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<users total_record_count="${count}">\n`,
    );
    return w;
  }
  private async write(s: string | Buffer): Promise<void> {
    if (!this.out.write(s)) await once(this.out, "drain");
  }
  async copy(span: [number, number]): Promise<void> {
    const buf = Buffer.alloc(span[1]);
    await this.part!.read(buf, 0, span[1], span[0]);
    await this.write(buf);
    await this.write("\n");
  }
  async close(): Promise<void> {
    await this.part?.close();
    this.part = undefined;
    if (this.out.writableEnded) return;
    this.out.end("</users>\n");
    await once(this.out, "finish");
  }
}
