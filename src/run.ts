/**
 * Core (src/core/run.ts, src/core/revert.ts) with the built-in systems (src/systems.ts), built with the
 * settings of `env` (default: the process's environment), when no systems are given: what the demo, the
 * benchmark and the tests call.
 */
import * as core from "./core/run.ts";
import { runRevert as coreRevert, type RevertOptions } from "./core/revert.ts";
import type { System } from "./core/system.ts";
import type { ApplyOptions, ApplyOutcome, PlanOptions, PlanOutcome, RunOptions } from "./core/types.ts";
import { builtInSystems, settingsFromEnv, type SystemDeps } from "./systems.ts";

export { MANIFEST, readManifest, resultsTitle, utcStamp, type Logger, type Manifest } from "./core/run.ts";
export type { SystemDeps as CoreDeps } from "./systems.ts";

/** Options whose `systems` default to the built-in ones, with the settings `env` gives. */
export type WithSystems<T extends RunOptions> = Omit<T, "systems"> & {
  systems?: readonly System[];
  /** Where the built-in systems' settings come from (default: process.env). */
  env?: NodeJS.ProcessEnv;
};

const withSystems = <T extends RunOptions>({ env, ...opts }: WithSystems<T>, deps: SystemDeps = {}): T =>
  ({
    ...opts,
    systems: opts.systems ?? builtInSystems(settingsFromEnv(env ?? process.env), deps),
  }) as unknown as T;

export async function runValidate(opts: WithSystems<RunOptions> = {}) {
  return await core.runValidate(withSystems(opts));
}

export async function runPlan(
  opts: WithSystems<PlanOptions> = {},
  deps: SystemDeps = {},
): Promise<PlanOutcome> {
  return await core.runPlan(withSystems(opts, deps));
}

export async function runApply(
  opts: WithSystems<ApplyOptions>,
  deps: SystemDeps = {},
): Promise<ApplyOutcome> {
  return await core.runApply(withSystems(opts, deps));
}

export async function runRevert(opts: WithSystems<RevertOptions>): Promise<PlanOutcome> {
  return await coreRevert(withSystems(opts));
}
