/**
 * The systems this patron-sync knows, in the order they are planned and applied, each built with its
 * settings (credentials, addresses, proxies). The CLI and the action build this list once, at the edge,
 * and pass it to core (src/core/run.ts), which knows no system by name. A new system is a folder that
 * implements src/core/system.ts, and a line here.
 */
import { almaSystem, type AlmaDeps } from "./alma/index.ts";
import { almaSettingsFromEnv, NO_ALMA_SETTINGS, type AlmaSettings } from "./alma/settings.ts";
import type { System } from "./core/system.ts";
import { infinitiSystem } from "./infiniti/index.ts";
import { infinitiSettingsFromEnv, NO_INFINITI_SETTINGS, type InfinitiSettings } from "./infiniti/settings.ts";

/** Every system's settings, resolved once at the edge: from the environment (CLI) or the action's inputs. */
export interface Settings {
  alma: AlmaSettings;
  infiniti: InfinitiSettings;
}

/** No credentials anywhere: systems built with these refuse every call (exit 2). For names and labels. */
export const NO_SETTINGS: Settings = { alma: NO_ALMA_SETTINGS, infiniti: NO_INFINITI_SETTINGS };

/** The settings the environment gives (the CLI, the demo, the tests). */
export function settingsFromEnv(env: NodeJS.ProcessEnv): Settings {
  return { alma: almaSettingsFromEnv(env), infiniti: infinitiSettingsFromEnv(env) };
}

/** Test and benchmark seams: inject transports. */
export interface SystemDeps {
  alma?: AlmaDeps;
}

export function builtInSystems(settings: Settings = NO_SETTINGS, deps: SystemDeps = {}): System[] {
  return [almaSystem(settings.alma, deps.alma), infinitiSystem(settings.infiniti)];
}

/** The built-in systems' names (`alma`, `infiniti`): the values of --only and the action's `only`. */
export const SYSTEM_NAMES: readonly string[] = builtInSystems().map((s) => s.name);
