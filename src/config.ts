import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import type { Document } from "yaml";
import { checkConfigPaths, insideGit } from "./config-paths.ts";
import { positionOf, readYaml } from "./config-yaml.ts";
import { InputError, type InputProblem } from "./core/errors.ts";
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_LINES } from "./infiniti/caps.ts";

export const ALMA_REGIONS = {
  na: "https://api-na.hosted.exlibrisgroup.com",
  eu: "https://api-eu.hosted.exlibrisgroup.com",
  ap: "https://api-ap.hosted.exlibrisgroup.com",
  ca: "https://api-ca.hosted.exlibrisgroup.com",
  cn: "https://api-cn.hosted.exlibrisgroup.com.cn",
} as const;

const almaSchema = z
  .object({
    /** A file of Primary Identifiers, or an Alma Analytics report and the heading of its ID column. */
    patrons: z
      .union([
        z.string().min(1),
        z
          .object({
            analytics: z.string().min(1).startsWith("/", "an Analytics path starts with '/', e.g. /shared/…"),
            column: z.string().min(1).default("Primary Identifier"),
          })
          .strict(),
      ])
      .default("data/alma/patronlist_no_barcode.txt"),
    barcodes: z.string().min(1).default("data/alma/library_barcode_full_list.txt"),
    region: z.enum(["na", "eu", "ap", "ca", "cn"]).default("na"),
    user_id_type: z.string().min(1).default("all_unique"),
    match_on: z.string().min(1).default("primary_id"),
    barcode_type: z.string().min(1).default("BARCODE"),
    existing_barcode: z.enum(["keep", "deactivate", "replace"]).default("deactivate"),
    /** Calls per second for the whole institution (Alma allows 25). */
    rate_limit: z.number().positive().max(25).default(20),
    /** Requests in flight at once. */
    concurrency: z.number().int().min(1).max(64).default(10),
    /** Stop cleanly when X-Exl-Api-Remaining falls below this. */
    min_remaining: z.number().int().min(0).default(5000),
    /** Attempts per call for 5xx, timeouts and resets (429 is retried separately). */
    max_attempts: z.number().int().min(1).max(10).default(5),
    /** Per-call timeout. */
    timeout_ms: z.number().int().min(100).default(30_000),
    /** Before planning a new barcode, ask Alma whether another user holds it (one call per planned change). */
    check_holders: z.boolean().default(true),
    /** Cap of each Alma list (patrons, barcodes) in lines, checked before it is parsed (exit 2 above it). */
    max_lines: z.number().int().positive().default(DEFAULT_MAX_LINES),
    /** Cap of each Alma list in bytes, checked before it is read (exit 2 above it). */
    max_bytes: z.number().int().positive().default(DEFAULT_MAX_BYTES),
  })
  .strict();

const infinitiSchema = z
  .object({
    users: z.string().min(1).default("data/infiniti/users.csv"),
    url: z.string().url().default("https://yourschool.concordinfiniti.com"),
    mode: z.enum(["incremental", "full"]).default("incremental"),
    disable_missing: z.boolean().default(false),
    /** Where apply records the last successfully applied roster. */
    state: z.string().min(1).default("state/infiniti/applied.csv"),
    /** The roster's cap in lines, checked before it is parsed (exit 2 above it). */
    max_lines: z.number().int().positive().default(DEFAULT_MAX_LINES),
    /** The roster's cap in bytes, checked before it is read (exit 2 above it). */
    max_bytes: z.number().int().positive().default(DEFAULT_MAX_BYTES),
  })
  .strict();

/**
 * What a plan may apply without review (see src/core/auto-apply.ts). Each system lists the actions allowed
 * and the most records one plan may send; deactivate, replace and disable only when listed.
 */
const autoApplySchema = z
  .object({
    alma: z
      .object({
        max_changes: z.number().int().min(1),
        actions: z
          .array(z.enum(["add", "deactivate", "replace"]))
          .min(1)
          .default(["add"]),
      })
      .strict()
      .optional(),
    infiniti: z
      .object({
        max_changes: z.number().int().min(1),
        actions: z
          .array(z.enum(["create", "update", "disable"]))
          .min(1)
          .default(["create", "update"]),
      })
      .strict()
      .optional(),
  })
  .strict();

export const configSchema = z
  .object({
    alma: almaSchema.optional(),
    infiniti: infinitiSchema.optional(),
    /** Plans that fit this policy are applied without a pull request (the action only). No policy: never. */
    auto_apply: autoApplySchema.optional(),
    /** Where plan directories go when --out is not given. */
    plans_dir: z.string().min(1).default("plans"),
    /**
     * The action: also commit the full patron records of a plan (alma/all_patrons.xml,
     * alma/processed_results.xml, infiniti/import.csv) to git. Off by default: they go to the run's
     * artifacts only. The CLI always writes them locally.
     */
    commit_records: z.boolean().default(false),
    /** The action: days GitHub keeps a run's artifacts (plan records, results); GitHub caps it. */
    artifact_retention_days: z.number().int().min(1).max(400).default(30),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type AlmaConfig = z.infer<typeof almaSchema>;
export type AutoApplyPolicy = z.infer<typeof autoApplySchema>;
export type InfinitiConfig = z.infer<typeof infinitiSchema>;

/** A loaded config, with the folder its relative paths are resolved against. */
export interface LoadedConfig {
  config: Config;
  /** Absolute path of the config file (or where it would be). */
  path: string;
  /** Folder that relative paths in the config are relative to (the repository root). */
  root: string;
}

export function almaDefaults(overrides: Partial<AlmaConfig> = {}): AlmaConfig {
  return almaSchema.parse(overrides);
}

/** Parses and validates config text. Errors name the key path, the line and the column. */
export function parseConfig(text: string, file: string): Config {
  return parseConfigDocument(text, file).config;
}

function parseConfigDocument(text: string, file: string): { config: Config; doc: Document } {
  const { doc, value } = readYaml(text, file);
  const lineOf = (offset: number) => positionOf(text, offset);
  const raw: unknown = value ?? {};
  const result = configSchema.safeParse(raw);
  if (result.success) return { config: result.data, doc };
  const problems: InputProblem[] = result.error.issues.map((issue) => {
    const keyPath = issue.path.map(String);
    const node = doc.getIn(issue.path as (string | number)[], true) as
      { range?: [number, number] } | undefined;
    const parentNode = doc.getIn(issue.path.slice(0, -1) as (string | number)[], true) as
      { range?: [number, number] } | undefined;
    const range = node?.range ?? parentNode?.range;
    const pos = range ? lineOf(range[0]) : { line: 1 };
    let message = issue.message;
    if (issue.code === "unrecognized_keys") {
      const keys = (issue as { keys?: string[] }).keys ?? [];
      message = `unknown key${keys.length > 1 ? "s" : ""} ${keys.map((k) => keyName([...keyPath, k])).join(", ")}`;
      return { file, ...pos, message };
    }
    return { file, ...pos, message: `'${keyPath.join(".") || "(top level)"}': ${message}` };
  });
  throw new InputError(problems);
}

/** A key path to quote in a message; a key that does not look like one is not quoted (it may be file text). */
function keyName(path: string[]): string {
  return path.every((k) => /^[A-Za-z0-9_-]{1,64}$/.test(k))
    ? `'${path.join(".")}'`
    : "(a key that is not shown: it does not look like a patron-sync key)";
}

/** Loads `patron-sync.yml` (or the given file). A missing file is an input error. */
export async function loadConfig(configPath = "patron-sync.yml", cwd = process.cwd()): Promise<LoadedConfig> {
  const path = resolve(cwd, configPath);
  if (await insideGit(path)) {
    throw new InputError({
      file: configPath,
      message:
        "the config file is inside .git, git's own folder: give patron-sync.yml at the repository's root",
    });
  }
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new InputError({ file: configPath, message: "the config file does not exist or cannot be read" });
  }
  const { config, doc } = parseConfigDocument(text, configPath);
  const root = dirname(path);
  await checkConfigPaths(config, root, configPath, (keyPath) => {
    const range = (doc.getIn(keyPath, true) as { range?: [number, number] } | undefined)?.range;
    return range ? positionOf(text, range[0]) : {};
  });
  return { config, path, root };
}

/** The Alma base URL: ALMA_BASE_URL overrides the region's host. */
export function almaBaseUrl(alma: AlmaConfig, env: NodeJS.ProcessEnv = process.env): string {
  const override = env.ALMA_BASE_URL?.trim();
  return (override || ALMA_REGIONS[alma.region]).replace(/\/+$/, "");
}
