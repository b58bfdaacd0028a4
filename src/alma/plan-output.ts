/**
 * The files of an Alma plan (plan.ts): the part files and journal lines a plan run streams to, and the
 * final alma/all_patrons.xml, alma/processed_results.xml, alma/plan.json and changes CSV assembled from them
 * in patron-list order.
 */
import {
  appendFileSync,
  createWriteStream,
  existsSync,
  rmSync,
  statSync,
  writeFileSync,
  type WriteStream,
} from "node:fs";
import { open } from "node:fs/promises";
import { once } from "node:events";
import { join } from "node:path";
import type { Journal } from "../core/journal.ts";
import { SYSTEM_PLAN } from "../core/plandir.ts";
import type { RunContext, SectionPlan } from "../core/types.ts";
import { almaChangesCsv } from "./changes.ts";
import { CHANGING_ACTIONS } from "./decide.ts";
import type { AlmaInputs } from "./plan.ts";
import { PlanFileWriter, type AlmaPlanEntry, type AlmaPlanHeader } from "./planfile.ts";
import { ExternalWarnings } from "./render-external.ts";
import { AlmaPlanTables, almaHeadline, CHANGES_CSV, renderAlmaPlan } from "./render.ts";
import { analyticsSource, patronsLabel, PATRONS_CSV } from "./report-patrons.ts";
import { almaConfigOf } from "./config.ts";

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

export async function finalize(
  ctx: RunContext,
  dir: string,
  inputs: AlmaInputs,
  journal: Journal<PlanJournalLine>,
  fetchedPart: PartFile,
  bodyPart: PartFile,
): Promise<SectionPlan> {
  const alma = almaConfigOf(ctx.loaded)!;
  const n = inputs.patrons.entries.length;
  const lines: (PlanJournalLine | undefined)[] = new Array<PlanJournalLine | undefined>(n);
  for await (const { entry } of journal.entries()) lines[entry.i] = entry;

  const counts: Record<string, number> = {};
  const entries: AlmaPlanEntry[] = [];
  for (let i = 0; i < n; i++) {
    const p = inputs.patrons.entries[i]!;
    const e = lines[i]?.entry ?? {
      primary_id: p.id,
      line: p.line,
      action: "pending" as const,
      old_barcodes: [],
      message: "not read yet: the daily API quota ran low; run the plan again to carry on",
    };
    entries.push(e);
    counts[e.action] = (counts[e.action] ?? 0) + 1;
  }
  const changes = entries.filter((e) => CHANGING_ACTIONS.has(e.action)).length;

  // The XML files, in patron-list order, copied from the part files.
  await copyParts(
    join(dir, "all_patrons.xml"),
    fetchedPart.path,
    lines.map((l) => l?.fetched),
  );
  await copyParts(
    join(dir, "processed_results.xml"),
    bodyPart.path,
    lines.map((l) => l?.body),
  );

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
    inputs: { patrons: patronsLabel(alma), barcodes: alma.barcodes },
    counts,
    changes,
  };
  const writer = new PlanFileWriter(join(dir, SYSTEM_PLAN), header);
  const tables = new AlmaPlanTables();
  const external = new ExternalWarnings();
  for (const e of entries) {
    await writer.write(e);
    tables.add(e);
    external.add(e);
  }
  await writer.close();

  if (!counts.pending) {
    for (const f of [journal.path, fetchedPart.path, bodyPart.path, join(dir, ".plan-inputs.json")])
      rmSync(f, { force: true });
  }
  writeFileSync(join(ctx.planDir, CHANGES_CSV), almaChangesCsv(entries).csv);
  const render = (budget: number) =>
    renderAlmaPlan(
      {
        counts,
        tables,
        patronsFile: patronsLabel(alma),
        barcodesFile: alma.barcodes,
        duplicates: inputs.patrons.duplicates,
        conflicts: [...inputs.barcodes.conflicts.values()],
        config: alma,
        changes,
        external,
      },
      budget,
    );
  if (external.count) ctx.log.warn(`alma: ${external.headline()}`);
  ctx.log.info(`alma: planned ${n} patrons: ${almaHeadline(counts)}`);
  return {
    system: "alma",
    counts,
    changes,
    headline: almaHeadline(counts),
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

export async function copyParts(
  outPath: string,
  partPath: string,
  spans: ([number, number] | undefined)[],
): Promise<void> {
  const count = spans.filter(Boolean).length;
  const out: WriteStream = createWriteStream(outPath, { encoding: "utf8" });
  const write = async (s: string | Buffer) => {
    if (!out.write(s)) await once(out, "drain");
  };
  await write(
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<users total_record_count="${count}">\n`,
  );
  if (count) {
    const fh = await open(partPath, "r");
    try {
      for (const span of spans) {
        if (!span) continue;
        const buf = Buffer.alloc(span[1]);
        await fh.read(buf, 0, span[1], span[0]);
        await write(buf);
        await write("\n");
      }
    } finally {
      await fh.close();
    }
  }
  out.end("</users>\n");
  await once(out, "finish");
}
