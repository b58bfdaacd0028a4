/**
 * alma/plan.json: the contract between plan and apply.
 *
 * It is ordinary JSON, written with one patron per line inside the `patrons` array so that apply
 * can stream it for 100,000 patrons without holding it all in memory.
 */
import { createReadStream, createWriteStream, existsSync, type WriteStream } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { InputError } from "../core/errors.ts";
import { systemPlanPath, type PlanRecordId } from "../core/plandir.ts";
import type { AlmaAction } from "./decide.ts";
import type { SavedIdentifier } from "./restore.ts";
import type { FieldChange } from "./field-plan.ts";

/** Alma's sub-directory of a plan directory (core/plandir.ts: `<system>/…`). */
export const ALMA_DIR = "alma";

export interface AlmaPlanEntry {
  primary_id: string;
  /** Line in the patron list. */
  line: number;
  action: AlmaAction;
  employee_id?: string;
  /** Who is affected, from the fetched record: for the reviewer (plan.md, changes.csv). */
  name?: string;
  /** The user group's description (or code). */
  user_group?: string;
  /** record_type STAFF. */
  staff?: boolean;
  /** How many roles the user has besides Patron (staff and users with roles are marked risky in the plan). */
  roles?: number;
  /** segment_type of the barcode after the change (new barcodes are Internal). */
  segment?: string;
  /** held-by-other: the primary ID of another Alma user who already holds the new barcode. */
  holder?: string;
  /** ACTIVE barcodes of the configured type when planned. */
  old_barcodes: string[];
  new_barcode?: string;
  /** The ACTIVE barcodes that apply sets INACTIVE (deactivate) or removes (replace). */
  affected?: string[];
  /** The barcode exists as INACTIVE and is set ACTIVE again rather than added twice. */
  reactivate?: boolean;
  /** Barcode state when planned; apply refuses to write if it changed. */
  fingerprint?: string;
  /** The affected barcodes whose segment_type is External (a SIS load may restore them). */
  external_affected?: string[];
  /** A warning for the reviewer (e.g. an External barcode a SIS load may restore). */
  warning?: string;
  /** `restore` (a revert plan): the barcode identifiers to put back, as they were before the reverted apply. */
  restore?: { identifiers: SavedIdentifier[]; fields?: { field: string; before: string; after: string }[] };
  message: string;
  /** alma.updates: each field of the user's row, before → after (src/alma/field-plan.ts). */
  fields?: FieldChange[];
  /** alma.updates: the row's line in the updates CSV. */
  update_line?: number;
  /** alma.updates: the ID the CSV names the user by, when it is not the primary ID (alma.match_on). */
  update_id?: string;
  /** An EXTERNAL user: the fields the PUT names in `override` (Alma keeps them otherwise). */
  override?: string[];
}

export interface AlmaPlanHeader {
  version: 1;
  system: "alma";
  /** A revert plan (issue #13): it undoes the apply of the plan directory `reverts`. */
  kind?: "revert";
  reverts?: string;
  created: string;
  config: { barcode_type: string; match_on: string; existing_barcode: string; user_id_type: string };
  inputs: { patrons?: string; barcodes?: string; updates?: string };
  counts: Record<string, number>;
  /** Patrons that apply will PUT. */
  changes: number;
}

/** The line that opens the patrons array: entries follow, one per line. */
const PATRONS_MARK = '"patrons": [';

export class PlanFileWriter {
  private out: WriteStream;
  private first = true;
  constructor(path: string, header: AlmaPlanHeader) {
    this.out = createWriteStream(path, { encoding: "utf8" });
    const head = JSON.stringify(header, null, 2);
    this.out.write(head.slice(0, head.lastIndexOf("}")).trimEnd() + `,\n  ${PATRONS_MARK}\n`);
  }
  async write(entry: AlmaPlanEntry): Promise<void> {
    const line = (this.first ? "" : ",\n") + "    " + JSON.stringify(entry);
    this.first = false;
    if (!this.out.write(line)) await once(this.out, "drain");
  }
  async close(): Promise<void> {
    this.out.end("\n  ]\n}\n");
    await once(this.out, "finish");
  }
}

/** Reads the header (everything but the patrons) of alma/plan.json. */
export async function readPlanHeader(path: string): Promise<AlmaPlanHeader> {
  let head = "";
  for await (const line of lines(path)) {
    if (line.trim() === PATRONS_MARK) break;
    head += line + "\n";
  }
  try {
    return JSON.parse(head.trimEnd().replace(/,$/, "") + "}") as AlmaPlanHeader;
  } catch {
    throw new InputError({ file: path, message: "is not an alma/plan.json written by patron-sync" });
  }
}

/** Streams the patrons of alma/plan.json, one at a time. */
export async function* readPlanEntries(path: string): AsyncGenerator<AlmaPlanEntry> {
  let inside = false;
  let n = 0;
  for await (const raw of lines(path)) {
    n++;
    const line = raw.trim();
    if (!inside) {
      inside = line === PATRONS_MARK;
      continue;
    }
    if (!line) continue;
    if (line.startsWith("]")) return;
    try {
      yield JSON.parse(line.replace(/,$/, "")) as AlmaPlanEntry;
    } catch {
      throw new InputError({
        file: path,
        line: n,
        message: "this plan line is not valid JSON; was the plan edited by hand?",
      });
    }
  }
}

/** The primary ID and action of every patron of a plan directory's alma/plan.json, streamed. */
export async function* planRecordIds(planDir: string): AsyncGenerator<PlanRecordId> {
  for await (const e of readPlanEntries(systemPlanPath(planDir, ALMA_DIR)))
    yield { id: e.primary_id, action: e.action };
}

async function* lines(path: string): AsyncGenerator<string> {
  if (!existsSync(path)) throw new InputError({ file: path, message: "the plan file does not exist" });
  yield* createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Infinity });
}
