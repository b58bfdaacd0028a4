/**
 * patron-sync.yml with the built-in systems' sections (Alma, Concord Infiniti): the typed config the
 * CLI, the action, the benchmark and the tests read. The loader itself is generic (src/core/config.ts);
 * each system's keys live in its own folder (src/alma/config.ts, src/infiniti/config.ts).
 */
import { almaSection, type AlmaConfig } from "./alma/config.ts";
import {
  configSchemaOf,
  loadConfigWith,
  parseConfigWith,
  type CoreConfig,
  type LoadedConfig as CoreLoadedConfig,
} from "./core/config.ts";
import { infinitiSection, type InfinitiConfig } from "./infiniti/config.ts";

export { ALMA_REGIONS, almaBaseUrl, almaDefaults, type AlmaConfig } from "./alma/config.ts";
export type { InfinitiConfig } from "./infiniti/config.ts";

/** The built-in systems' config sections, in the order their problems are reported. */
export const BUILT_IN_SECTIONS = [almaSection, infinitiSection] as const;

export interface Config extends CoreConfig {
  alma?: AlmaConfig;
  infiniti?: InfinitiConfig;
}

export type LoadedConfig = CoreLoadedConfig<Config>;

/** The whole config's schema with the built-in systems' sections. */
export const configSchema = configSchemaOf(BUILT_IN_SECTIONS);

/** Parses and validates config text. Errors name the key path, the line and the column. */
export function parseConfig(text: string, file: string): Config {
  return parseConfigWith(text, file, BUILT_IN_SECTIONS);
}

/** Loads `patron-sync.yml` (or the given file). A missing file is an input error. */
export async function loadConfig(configPath = "patron-sync.yml", cwd = process.cwd()): Promise<LoadedConfig> {
  return await loadConfigWith(BUILT_IN_SECTIONS, configPath, cwd);
}
