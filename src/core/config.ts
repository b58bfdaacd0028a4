/**
 * patron-sync.yml: the shared keys, and one section per system, each with the schema its system gives
 * (src/alma/config.ts, src/infiniti/config.ts). Errors name the key path, the line and the column; paths
 * that leave the repository are refused (src/core/config-paths.ts). Core loads the config with the sections of
 * the systems it was given; src/config.ts does so with the built-in systems.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import type { Document } from "yaml";
import { checkConfigPaths, insideGit } from "./config-paths.ts";
import { positionOf, readYaml } from "./config-yaml.ts";
import { InputError, type InputProblem } from "./errors.ts";

/** A system's part of the config. */
export interface ConfigSection {
  /** The section's key (the system's name). */
  name: string;
  /** Its keys, defaults and limits. */
  schema: z.ZodType;
  /** Its rule under `auto_apply:` (what a plan may apply without review), when it has one. */
  autoApply?: z.ZodType;
  /** The keys of the section that name files of the repository (checked by src/core/config-paths.ts). */
  pathKeys: readonly string[];
}

/**
 * A system's rule under `auto_apply:`: which of its changing actions a plan may apply without review
 * (`defaults` when the rule names none), and the most records one plan may send.
 */
export function autoApplyRuleSchema<const A extends readonly [string, ...string[]]>(
  actions: A,
  defaults: A[number][],
) {
  return z
    .object({
      max_changes: z.number().int().min(1),
      actions: z.array(z.enum(actions)).min(1).default(defaults),
    })
    .strict();
}

/** One system's auto_apply rule, as every system's schema gives it. */
export interface AutoApplyRule {
  max_changes: number;
  actions: string[];
}

/** The keys every config has, whatever the systems. */
export interface CoreConfig {
  /** Plans that fit this policy are applied without a pull request (the action only). No policy: never. */
  auto_apply?: Record<string, AutoApplyRule | undefined>;
  /** Where plan directories go when --out is not given. */
  plans_dir: string;
  /**
   * The action: also commit the full patron records of a plan (alma/all_patrons.xml,
   * alma/processed_results.xml, infiniti/import.csv) to git. Off by default: they go to the run's
   * artifacts only. The CLI always writes them locally.
   */
  commit_records: boolean;
  /** The action: days GitHub keeps a run's artifacts (plan records, results); GitHub caps it. */
  artifact_retention_days: number;
  /** The systems' sections, by name. */
  [section: string]: unknown;
}

/** A loaded config, with the folder its relative paths are resolved against. */
export interface LoadedConfig<C extends CoreConfig = CoreConfig> {
  config: C;
  /** Absolute path of the config file (or where it would be). */
  path: string;
  /** Folder that relative paths in the config are relative to (the repository root). */
  root: string;
}

/** The whole config's schema: the shared keys and each system's section. */
export function configSchemaOf(sections: readonly ConfigSection[]) {
  const autoApply: Record<string, z.ZodType> = {};
  for (const s of sections) if (s.autoApply) autoApply[s.name] = s.autoApply.optional();
  const bySystem: Record<string, z.ZodType> = {};
  for (const s of sections) bySystem[s.name] = s.schema.optional();
  return z
    .object({
      ...bySystem,
      auto_apply: z.object(autoApply).strict().optional(),
      plans_dir: z.string().min(1).default("plans"),
      commit_records: z.boolean().default(false),
      artifact_retention_days: z.number().int().min(1).max(400).default(30),
    })
    .strict();
}

/** Parses and validates config text. Errors name the key path, the line and the column. */
export function parseConfigWith(text: string, file: string, sections: readonly ConfigSection[]): CoreConfig {
  return parseConfigDocument(text, file, sections).config;
}

function parseConfigDocument(
  text: string,
  file: string,
  sections: readonly ConfigSection[],
): { config: CoreConfig; doc: Document } {
  const { doc, value } = readYaml(text, file);
  const lineOf = (offset: number) => positionOf(text, offset);
  const raw: unknown = value ?? {};
  const result = configSchemaOf(sections).safeParse(raw);
  if (result.success) return { config: result.data as CoreConfig, doc };
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
export async function loadConfigWith(
  sections: readonly ConfigSection[],
  configPath = "patron-sync.yml",
  cwd = process.cwd(),
): Promise<LoadedConfig> {
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
  const { config, doc } = parseConfigDocument(text, configPath, sections);
  const root = dirname(path);
  const pathKeys = [...sections.flatMap((s) => s.pathKeys.map((k) => [s.name, k])), ["plans_dir"]];
  await checkConfigPaths(config, root, configPath, pathKeys, (keyPath) => {
    const range = (doc.getIn(keyPath, true) as { range?: [number, number] } | undefined)?.range;
    return range ? positionOf(text, range[0]) : {};
  });
  return { config, path, root };
}
