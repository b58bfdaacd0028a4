/**
 * What core asks of a system (Alma, Concord Infiniti, …). Core knows no system by name: the CLI and the
 * action build the list of systems (src/systems.ts) and pass it down; core validates, plans, checks and
 * applies each in turn through this interface, and names them with their labels.
 *
 * A system owns its config section (`<name>:` in patron-sync.yml), its sub-directory of the plan
 * directory (`<name>/`), its files there and its readable sections of plan.md and results.md (rendered
 * through core/markdown.ts).
 */
import type { ConfigSection, LoadedConfig } from "./config.ts";
import type { Hold, Holds } from "./holds.ts";
import type { PlanData } from "./integrity.ts";
import type { PlanRecordId } from "./plandir.ts";
import type { RunContext, SectionApply, SectionPlan } from "./types.ts";

/** One input file of a system: its role (`<name>.<key>`) and its path as the config names it. */
export interface InputFile {
  role: string;
  path: string;
}

/** What a system's preflight is given. */
export interface PreflightInput {
  /** The plan's data as recorded (opened once, on first use, for every system). */
  data: () => Promise<PlanData>;
  /** The plan is a revert: its writes follow from the reverted plan's results (see `revert.check`). */
  revert: boolean;
  /** The address the plan showed for this system (`endpoint`), for a revert the reverted plan's. */
  plannedEndpoint?: string;
  /** The revert holds in force at the plan's data (core/holds.ts): re-derive with them, as the plan did. */
  holds: () => Promise<Holds>;
}

export interface System<Prepared = unknown> {
  /** The config section, the plan sub-directory and the value of --only, e.g. `alma`. */
  readonly name: string;
  /** The name in titles, e.g. `Alma`, `Infiniti`. */
  readonly label: string;
  /** The name in tables, e.g. `Concord Infiniti`. */
  readonly longLabel: string;
  /** Its config section's schema, auto_apply rule and path keys. */
  readonly config: ConfigSection;
  /** The plan's counts that are changes (e.g. add, deactivate); the other counts are outcomes. */
  readonly changing: readonly string[];
  /**
   * auto_apply: an action `x` listed in a rule covers the sub-actions `x:…` of its `policyCounts`, except
   * these, which apply only when listed themselves (e.g. Alma's `update:user_group`).
   */
  readonly listedOnly?: readonly string[];
  /** What a reviewer is promised about this system's writes, for plan.md's head (a clause, no full stop). */
  readonly promise?: string;
  /**
   * Its plan files that hold whole patron records (names, addresses, passwords), relative to its
   * sub-directory: kept out of git unless commit_records (src/github/records.ts).
   */
  readonly recordFiles: readonly string[];
  /** What a record's ID is called in tables, e.g. `Primary ID`, `Username`. */
  readonly idLabel?: string;

  /** Its input files, by role, as the config names them (recorded in the plan and re-read by apply). */
  inputFiles(loaded: LoadedConfig): InputFile[];
  /** Offline checks of its input files: a one-line summary, or an InputError listing every problem. */
  validate(loaded: LoadedConfig): Promise<string>;
  /** The address its writes go to, when the plan shows one (recorded in plan.json's `endpoints`). */
  endpoint?(ctx: RunContext, configFile: string): { url: string; sentence: string };
  /** Reads what it needs and writes its plan files under `<planDir>/<name>/`. */
  plan(ctx: RunContext): Promise<SectionPlan>;
  /**
   * Before the first write of an apply (of any system): credentials set, addresses allowed and the
   * planned ones, every planned write re-derived from the plan's data. InputError when not (exit 2).
   */
  preflight(ctx: RunContext, input: PreflightInput): Promise<Prepared>;
  /** Sends what the plan shows, and only that; records its results in the plan directory. */
  apply(ctx: RunContext, prepared: Prepared): Promise<SectionApply>;
  /**
   * The ID and action of each record of its plan in `planDir`, read from its plan file one at a
   * time: all that a public repository's redacted plan shows of it (src/github/redact.ts).
   */
  planRecordIds?(planDir: string): AsyncIterable<PlanRecordId>;
  revert: {
    /** Writes the revert of `reverted`'s apply (its recorded results) under `<planDir>/<name>/`. */
    plan(planDir: string, reverted: string, reverts: string): Promise<SectionPlan>;
    /** Re-derives the revert from `reverted`'s results; InputError when the revert plan's files differ. */
    check(planDir: string, reverted: string, reverts: string): Promise<void> | void;
    /**
     * A revert stays reverted (core/holds.ts): every record the revert of `reverted` undoes, with the
     * input of each undone change (a record may carry several: e.g. `barcode` and `fields`). Core writes
     * them to the revert's `<name>/holds.json` and checks them again before the revert is applied.
     */
    holds?(reverted: string, reverts: string): Promise<Hold[]> | Hold[];
    /**
     * The keys of the records a plan directory's apply wrote, from its results (`read` reads a file
     * of that directory, e.g. `alma/journal.ndjson`): a revert's hold is active on the keys its own
     * apply restored, and released by a later plan whose apply wrote the record. Only the keys among
     * `keys` are asked about (the others may be left out, e.g. to pass over a file that names none).
     */
    written?(
      read: (file: string) => Promise<Buffer | undefined>,
      keys: ReadonlySet<string>,
    ): Promise<Set<string>>;
  };
}

/** Each system's name in tables (`longLabel`), by name: for renderers outside core (the job summary). */
export function longLabels(systems: readonly Pick<System, "name" | "longLabel">[]): Record<string, string> {
  return Object.fromEntries(systems.map((s) => [s.name, s.longLabel]));
}

/** The system named `name`, or undefined. */
export function systemNamed<S extends { name: string }>(systems: readonly S[], name: string): S | undefined {
  return systems.find((s) => s.name === name);
}
