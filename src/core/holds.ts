/**
 * A revert stays reverted (issue #19). When a revert plan is written, each system records in the
 * revert's own plan directory, `<revert>/<system>/holds.json`, every record the revert undoes: its
 * key and, per undone change (Alma: `barcode`; later e.g. `fields`), the input that produced it (the
 * barcode list's value, a digest of the roster row's values). A hold is active once the revert's own
 * results show the record restored (the system's `revert.written`), and stays active until a later
 * plan's apply writes that record again, or a later revert holds it anew.
 *
 * Every plan reads the active holds from the plan directories (`plans_dir`) and skips a held change
 * whose current input is the one recorded (action `held`, not sent, listed in plan.md); a change whose
 * input differs (the data were changed after the revert) is planned as usual. Apply re-derives with
 * the holds read at the plan's data (the commit it was made from), so plan and apply agree.
 *
 * A hold is released by changing the data (the next plan plans it), or by deleting the record's entry
 * (or the whole file) from the revert's holds.json in a commit of its own.
 *
 * The file holds IDs and the inputs as the system records them: no names, no other personal data.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, posix, relative, sep } from "node:path";
import { InputError } from "./errors.ts";
import type { System } from "./system.ts";

export const HOLDS_FILE = "holds.json";

/** One record a revert undid. */
export interface Hold {
  /** The record's key as its system compares it (e.g. a primary ID or username, lower-cased). */
  key: string;
  /** The record's ID as shown to people. */
  id: string;
  /** Per change the revert undid (e.g. `barcode`, `fields`): the input that produced it. */
  changes: Record<string, string>;
}

/** `<revert>/<system>/holds.json`. */
export interface HoldsFile {
  version: 1;
  system: string;
  /** The plan directory the revert undoes. */
  reverts: string;
  holds: Hold[];
}

/** A hold in force, with the revert plan that holds it. */
export interface ActiveHold extends Hold {
  /** The revert plan directory, as the config's folder names it (`plans/20261207T101500Z`). */
  revert: string;
}

/** The active holds of one system, by key. */
export interface Holds {
  get(key: string): ActiveHold | undefined;
  readonly size: number;
}

export const NO_HOLDS: Holds = { get: () => undefined, size: 0 };

/**
 * The held change `change` of `key`, when its recorded input is `input` (the current one): the
 * change is then not planned. Undefined when there is no such hold or the input changed.
 */
export function heldChange(holds: Holds | undefined, key: string, change: string, input: string) {
  const h = holds?.get(key);
  return h && h.changes[change] === input ? h : undefined;
}

/** The sentence a held record shows in plan.md and the plan files. */
export function heldMessage(h: Pick<ActiveHold, "revert">): string {
  return `held: undone by revert ${h.revert}; change the data to plan it again`;
}

/**
 * Reads the repository's plan directories: the working tree (a plan), or the commit a plan was made
 * from (apply's re-derivation). Paths are relative to the config's folder, with forward slashes.
 */
export interface TreeReader {
  /** Every file under `dir`, relative to it with forward slashes (none when it is missing). */
  files(dir: string): Promise<string[]>;
  read(path: string): Promise<Buffer | undefined>;
}

/** The working tree under `root` (the config's folder). */
export function fsTree(root: string): TreeReader {
  return {
    files(dir) {
      const abs = join(root, dir);
      if (!existsSync(abs)) return Promise.resolve([]);
      const out = readdirSync(abs, { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => relative(abs, join(d.parentPath, d.name)).split(sep).join("/"));
      return Promise.resolve(out);
    },
    read(path) {
      const abs = join(root, path);
      return Promise.resolve(existsSync(abs) ? readFileSync(abs) : undefined);
    },
  };
}

/** What holds ask of a system: its name and the revert hooks. */
export type HoldingSystem = Pick<System, "name" | "revert">;

function parse<T>(bytes: Buffer | undefined): T | undefined {
  if (!bytes) return undefined;
  try {
    // One hold a line: deleting the last one's line leaves a comma before "]", which is forgiven.
    return JSON.parse(bytes.toString("utf8").replace(/,\s*\]\s*\}\s*$/, "]}")) as T;
  } catch {
    return undefined;
  }
}

/**
 * The active holds of `system`, from the plan directories under `plansDir`, in the order they were
 * made: a revert's holds on the records its apply restored; a later plan whose apply wrote a record
 * releases its hold; a later revert's hold replaces an earlier one. A directory that cannot be read
 * as a plan is passed over (it holds nothing).
 */
export async function activeHolds(tree: TreeReader, plansDir: string, system: HoldingSystem): Promise<Holds> {
  if (!system.revert.written) return NO_HOLDS;
  const written = (read: (file: string) => Promise<Buffer | undefined>, keys: ReadonlySet<string>) =>
    system.revert.written!(read, keys);
  const base = plansDir.replace(/\\/g, "/").replace(/\/+$/, "") || ".";
  // One listing; the plans are read only when some revert holds something for this system.
  const files = await tree.files(base);
  const holding = `/${system.name}/${HOLDS_FILE}`;
  if (!files.some((f) => f.endsWith(holding) && f.split("/").length === 3)) return NO_HOLDS;
  const plans: { dir: string; created: string; revert: boolean }[] = [];
  for (const f of files) {
    const [name, file, more] = f.split("/");
    if (file !== "plan.json" || more !== undefined) continue;
    const dir = posix.join(base, name!);
    const m = parse<{ created?: unknown; kind?: unknown }>(await tree.read(`${dir}/plan.json`));
    if (!m) continue;
    plans.push({ dir, created: typeof m.created === "string" ? m.created : "", revert: m.kind === "revert" });
  }
  plans.sort((a, b) => a.created.localeCompare(b.created) || a.dir.localeCompare(b.dir));
  const first = plans.findIndex((p) => p.revert);
  const held = new Map<string, ActiveHold>();
  for (const p of first < 0 ? [] : plans.slice(first)) {
    const read = (file: string) => tree.read(`${p.dir}/${file}`);
    if (!p.revert) {
      if (!held.size) continue;
      for (const key of await written(read, new Set(held.keys()))) held.delete(key);
      continue;
    }
    const path = `${p.dir}/${system.name}/${HOLDS_FILE}`;
    const bytes = await tree.read(path);
    if (!bytes) continue;
    const file = parse<HoldsFile>(bytes);
    if (!file || !Array.isArray(file.holds))
      throw new InputError({
        file: path,
        message: `is not a holds file patron-sync can read (is it valid JSON? a hold is released by deleting its whole line, or the whole file): fix it or take it from git history`,
      });
    const holds = file.holds.filter(
      (h) => typeof h?.key === "string" && h.changes !== null && typeof h.changes === "object",
    );
    const restored = await written(read, new Set(holds.map((h) => h.key)));
    for (const h of holds)
      if (restored.has(h.key))
        held.set(h.key, { key: h.key, id: String(h.id ?? h.key), changes: h.changes, revert: p.dir });
  }
  return { get: (key) => held.get(key), size: held.size };
}
