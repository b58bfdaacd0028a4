import type { LoadedConfig } from "./config.ts";
import type { Holds } from "./holds.ts";
import type { Logger } from "./log.ts";
import type { System } from "./system.ts";

/** A system's name (`alma`, `infiniti`, …): its config section and its sub-directory of the plan directory. */
export type SystemName = string;

/** What each system's planner returns to the orchestrator (src/core/run.ts). */
export interface SectionPlan {
  system: SystemName;
  /** Records per planned action, e.g. { add: 120, unchanged: 4, conflict: 3 }. */
  counts: Record<string, number>;
  /** How many records apply would send (0 means nothing to do). */
  changes: number;
  /**
   * The counts auto_apply checks, when a system's actions have finer parts than `counts` shows: each
   * changing record counted under every (sub-)action it carries, e.g. { add: 3, "update:expiry_date": 40 }.
   */
  policyCounts?: Record<string, number>;
  /** A short phrase for the pull-request title, e.g. "120 barcodes to add, 3 conflicts". */
  headline: string;
  /** The system's section of plan.md (Markdown, starting with a "## " heading). */
  markdown: string;
  /** The section again within another character budget (core shares plan.md's budget out). */
  render?: (budget: number) => string;
  /** Files written, relative to the plan directory. */
  files: string[];
}

/** What each system's apply returns. */
export interface SectionApply {
  system: SystemName;
  /** Records per result status, e.g. { updated: 118, unchanged: 2, failed: 1 }. */
  counts: Record<string, number>;
  updated: number;
  failed: number;
  /** Records not attempted yet (e.g. the daily API quota ran low); the next run carries on. */
  pending: number;
  failures: { id: string; message: string }[];
  markdown: string;
  files: string[];
  /** Files outside the plan directory that apply changed (e.g. the Infiniti applied state). */
  stateFiles: string[];
}

/** Shared context given to each system's plan and apply. */
export interface RunContext {
  loaded: LoadedConfig;
  /** Absolute path of the plan directory. */
  planDir: string;
  log: Logger;
  /** Aborted on SIGINT/SIGTERM: stop starting new calls, flush the journal, exit. */
  signal?: AbortSignal;
  /** A scheduled run: do not start an Alma plan that the day's API quota cannot finish (src/alma/quota.ts). */
  scheduled?: boolean;
  /** Characters this system's section of plan.md may use (plan.md is the pull request's description). */
  markdownBudget?: number;
  /**
   * Plan only: this system's revert holds in force (core/holds.ts). A held change whose input is the
   * recorded one is not planned (action `held`); one whose input changed is planned as usual.
   */
  holds?: Holds;
  /** Apply only: counts every write call started (a PUT, a POST), so no message says "nothing was sent" after one. */
  writes?: { attempted: number };
  /**
   * Apply of a revert in the action: the reverted plan directory as committed on the default branch (a
   * copy out of git, src/core/mainline.ts); read it, never the working tree's copy.
   */
  revertedDir?: string;
}

/** Options shared by plan, apply and validate (CLI flags / action inputs). */
export interface RunOptions {
  /** The systems this patron-sync knows (src/systems.ts builds them); core runs those the config has. */
  systems: readonly System[];
  /** Config file path, relative to cwd (default `patron-sync.yml`). */
  configPath?: string;
  /** Working directory: the data repository's root. */
  cwd?: string;
  /** Only one system; every configured one when absent. */
  only?: SystemName;
  log?: import("./log.ts").Logger;
  signal?: AbortSignal;
}

export interface PlanOptions extends RunOptions {
  /** The plan directory; default `<plans_dir>/<UTC timestamp>`. */
  out?: string;
  /** A scheduled run: see RunContext.scheduled. */
  scheduled?: boolean;
}

export interface PlanOutcome {
  /** Absolute path of the plan directory written. */
  planDir: string;
  sections: SectionPlan[];
  /** Records that apply would send, all systems. */
  changes: number;
  /** A pull-request title with the counts, e.g. "Patron sync plan: 120 barcodes to add, 3 conflicts · 45 Infiniti users to import". */
  title: string;
  /** The whole plan.md. */
  markdown: string;
}

export interface ApplyOptions extends RunOptions {
  /** The plan directory to apply. */
  planDir: string;
  /** Another apply of this plan is running: wait for it (default: exit at once, code 75). */
  wait?: boolean;
  /**
   * The action, on the default branch: the plan must have come in on its own and be made from the
   * newest data as of its merge; a revert is re-derived from what the default branch holds
   * (src/core/mainline.ts).
   */
  mainline?: boolean;
  /** With `mainline`: the plan may be uncommitted (auto-apply: the plan job of the same run made it). */
  uncommitted?: boolean;
}

export interface ApplyOutcome {
  planDir: string;
  sections: SectionApply[];
  updated: number;
  failed: number;
  pending: number;
  /** What this apply did, e.g. "Patron sync results: Alma 4,071 updated · 2 failed". */
  title: string;
  /** The readable results (Markdown) for the job summary. */
  markdown: string;
  /** Files changed outside the plan directory (relative to the repo root), e.g. the Infiniti state. */
  stateFiles: string[];
}
