/**
 * The systems this patron-sync knows, in the order they are planned and applied. The CLI and the action
 * pass this list to core (src/core/run.ts), which knows no system by name. A new system is a folder that
 * implements src/core/system.ts, and one line here.
 */
import { almaSystem, type AlmaDeps } from "./alma/index.ts";
import type { System } from "./core/system.ts";
import { infinitiSystem } from "./infiniti/index.ts";

/** Test and benchmark seams: inject transports. */
export interface SystemDeps {
  alma?: AlmaDeps;
}

export function builtInSystems(deps: SystemDeps = {}): System[] {
  return [almaSystem(deps.alma), infinitiSystem()];
}

/** The built-in systems' names (`alma`, `infiniti`): the values of --only and the action's `only`. */
export const SYSTEM_NAMES: readonly string[] = builtInSystems().map((s) => s.name);
