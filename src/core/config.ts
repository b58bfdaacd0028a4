/**
 * patron-sync.yml: the shared keys, and one section per system, each with the schema its system gives
 * (src/alma/config.ts, src/infiniti/config.ts). Errors name the key path, the line and the column; paths
 * that leave the repository are refused (src/core/config-paths.ts). Core loads the config with the sections of
 * the systems it was given; src/config.ts does so with the built-in systems.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { isMap, isScalar, isSeq, type Document } from "yaml";
import { checkConfigPaths, insideGit } from "./config-paths.ts";
import { positionOf, readYaml } from "./config-yaml.ts";
import { nearestName } from "./did-you-mean.ts";
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
  const raw: unknown = value ?? {};
  const schema = configSchemaOf(sections);
  const result = schema.safeParse(raw);
  if (result.success) return { config: result.data as CoreConfig, doc };
  const problems: InputProblem[] = result.error.issues.flatMap((issue): InputProblem[] => {
    const path = issue.path.map((k) => (typeof k === "number" ? k : String(k)));
    const keyPath = path.map(String);
    if (issue.code === "unrecognized_keys") {
      const known = keysOf(schema, path);
      return ((issue as { keys?: string[] }).keys ?? []).map((k) => {
        const near = known && keyName([k]).startsWith("'") ? nearestName(k, known) : undefined;
        return {
          file,
          ...locateKey(doc, text, [...path, k]),
          message: `unknown key ${keyName([...keyPath, k])}${near ? `: did you mean '${near}'?` : ""}`,
        };
      });
    }
    const where = keyPath.join(".") || "(top level)";
    const missing = issue.code === "invalid_type" && /received undefined$/.test(issue.message);
    const message = missing
      ? `'${where}' is missing: ${keyPath.length > 1 ? `add it under '${keyPath.slice(0, -1).join(".")}'` : "add it"}`
      : `'${where}': ${issue.message}${enumGuess(issue, doc.getIn(path))}`;
    return [{ file, ...locateValue(doc, text, path), message }];
  });
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  throw new InputError(problems);
}

/** ": did you mean 'deactivate'?" for a value not among the allowed ones, when exactly one is close. */
function enumGuess(issue: { code: string; values?: unknown }, value: unknown): string {
  if (issue.code !== "invalid_value" || !Array.isArray(issue.values) || typeof value !== "string") return "";
  if (!/^[A-Za-z0-9_:-]{1,64}$/.test(value)) return ""; // not quoted: it may be text from the wrong file
  const near = nearestName(
    value,
    issue.values.filter((v): v is string => typeof v === "string"),
  );
  return near ? `: did you mean '${near}'?` : "";
}

type KeyPath = (string | number)[];

/** The key's own line and column (for an unknown key), or, when it is not there, its section's. */
function locateKey(doc: Document, text: string, path: KeyPath): { line: number; column?: number } {
  for (let n = path.length; n > 0; n--) {
    const parent = doc.getIn(path.slice(0, n - 1), true);
    const last = path[n - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
      const range = (pair?.key as { range?: [number, number] } | undefined)?.range;
      if (range) return positionOf(text, range[0]);
    } else if (isSeq(parent) && typeof last === "number") {
      const range = (parent.items[last] as { range?: [number, number] } | undefined)?.range;
      if (range) return positionOf(text, range[0]);
    }
  }
  return { line: 1 };
}

/** The value at fault (a wrong value), or its key when it has none, or else its section's key (a missing key). */
function locateValue(doc: Document, text: string, path: KeyPath): { line: number; column?: number } {
  const node = doc.getIn(path, true) as { range?: [number, number] } | null | undefined;
  if (node?.range && !(isMap(node) || isSeq(node))) return positionOf(text, node.range[0]);
  return locateKey(doc, text, path);
}

/** The keys the schema knows at a key path (for "did you mean"), or undefined when it is not an object there. */
function keysOf(schema: z.ZodType, path: KeyPath): string[] | undefined {
  let at: z.ZodType | undefined = schema;
  const unwrap = (s: z.ZodType | undefined): z.ZodType | undefined => {
    for (let i = 0; s && i < 10; i++) {
      const def = (s as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } } })
        ._zod.def;
      if (def.innerType) s = def.innerType;
      else if (def.type === "pipe") s = def.in;
      else return s;
    }
    return s;
  };
  for (const k of path) {
    at = unwrap(at);
    if (at instanceof z.ZodObject) at = (at.shape as Record<string, z.ZodType>)[String(k)];
    else if (at instanceof z.ZodArray) at = at.element as z.ZodType;
    else if (at instanceof z.ZodUnion) {
      const options = (at.options as z.ZodType[]).map(unwrap).filter((o) => o instanceof z.ZodObject);
      at =
        options.length === 1
          ? ((options[0] as z.ZodObject).shape[String(k)] as z.ZodType | undefined)
          : undefined;
    } else return undefined;
  }
  at = unwrap(at);
  if (at instanceof z.ZodUnion) {
    const options = (at.options as z.ZodType[]).map(unwrap).filter((o) => o instanceof z.ZodObject);
    at = options.length === 1 ? options[0] : undefined;
  }
  return at instanceof z.ZodObject ? Object.keys(at.shape) : undefined;
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
