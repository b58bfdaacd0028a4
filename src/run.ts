/**
 * Core (src/core/run.ts, src/core/revert.ts) with the built-in systems (src/systems.ts) when none are
 * given: what the demo, the benchmark and the tests call.
 */
import * as core from "./core/run.ts";
import { runRevert as coreRevert, type RevertOptions } from "./core/revert.ts";
import type { System } from "./core/system.ts";
import type { ApplyOptions, ApplyOutcome, PlanOptions, PlanOutcome, RunOptions } from "./core/types.ts";
import { builtInSystems, type SystemDeps } from "./systems.ts";

export { MANIFEST, readManifest, resultsTitle, utcStamp, type Logger, type Manifest } from "./core/run.ts";
export type { SystemDeps as CoreDeps } from "./systems.ts";

/** Options whose `systems` default to the built-in ones. */
export type WithSystems<T extends RunOptions> = Omit<T, "systems"> & { systems?: readonly System[] };

const withSystems = <T extends RunOptions>(opts: WithSystems<T>, deps: SystemDeps = {}): T =>
  ({ ...opts, systems: opts.systems ?? builtInSystems(deps) }) as T;

export function runValidate(opts: WithSystems<RunOptions> = {}) {
  return core.runValidate(withSystems(opts));
}

export function runPlan(opts: WithSystems<PlanOptions> = {}, deps: SystemDeps = {}): Promise<PlanOutcome> {
  return core.runPlan(withSystems(opts, deps));
}

export function runApply(opts: WithSystems<ApplyOptions>, deps: SystemDeps = {}): Promise<ApplyOutcome> {
  return core.runApply(withSystems(opts, deps));
}

export function runRevert(opts: WithSystems<RevertOptions>): Promise<PlanOutcome> {
  return coreRevert(withSystems(opts));
}
