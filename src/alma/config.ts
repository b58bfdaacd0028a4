/** Alma's section of patron-sync.yml (`alma:`), its auto_apply rule, and the Alma address it gives. */
import { z } from "zod";
import { patternError } from "./barcode-pattern.ts";
import { autoApplyRuleSchema, type ConfigSection, type LoadedConfig } from "../core/config.ts";
import type { AlmaSettings } from "./settings.ts";
import { UPDATE_FIELDS } from "./update-fields.ts";
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_LINES } from "../core/textfile.ts";

export const ALMA_REGIONS = {
  na: "https://api-na.hosted.exlibrisgroup.com",
  eu: "https://api-eu.hosted.exlibrisgroup.com",
  ap: "https://api-ap.hosted.exlibrisgroup.com",
  ca: "https://api-ca.hosted.exlibrisgroup.com",
  cn: "https://api-cn.hosted.exlibrisgroup.com.cn",
} as const;

const DEFAULT_PATRONS = "data/alma/patronlist_no_barcode.txt";
const DEFAULT_BARCODES = "data/alma/library_barcode_full_list.txt";

export const almaSchema = z
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
      .optional(),
    barcodes: z.string().min(1).optional(),
    /**
     * A CSV of user field updates (issue #20): the user's ID (primary_id or the match_on identifier) first,
     * then the fields to set. When it is set, patrons and barcodes are optional (no default).
     */
    updates: z.string().min(1).optional(),
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
    /** A regular expression every new barcode must match in full (src/alma/barcode-pattern.ts). */
    barcode_pattern: z
      .string()
      .min(1)
      .superRefine((source, ctx) => {
        const why = patternError(source);
        if (why) ctx.addIssue({ code: "custom", message: why });
      })
      .optional(),
    /** Cap of each Alma list (patrons, barcodes) in lines, checked before it is parsed (exit 2 above it). */
    max_lines: z.number().int().positive().default(DEFAULT_MAX_LINES),
    /** Cap of each Alma list in bytes, checked before it is read (exit 2 above it). */
    max_bytes: z.number().int().positive().default(DEFAULT_MAX_BYTES),
  })
  .strict()
  // Barcode repair's two lists keep their defaults unless the section updates fields (alma.updates).
  .transform((c) =>
    c.updates ? c : { ...c, patrons: c.patrons ?? DEFAULT_PATRONS, barcodes: c.barcodes ?? DEFAULT_BARCODES },
  )
  .superRefine((c, ctx) => {
    if (!c.barcodes && c.patrons)
      ctx.addIssue({
        code: "custom",
        path: ["barcodes"],
        message: "alma.patrons is set without alma.barcodes: the barcode list is needed to repair barcodes",
      });
  });

/** Actions that change Alma data (the plan's other counts are outcomes: unchanged, conflict, …). */
export const ALMA_CHANGING = ["add", "deactivate", "replace", "update"] as const;

/**
 * The auto_apply actions of field updates (alma.updates): `update:<field>` per field, and `update`, which
 * covers every field but those in ALMA_LISTED_ONLY.
 */
export const ALMA_FIELD_ACTIONS = UPDATE_FIELDS.map((f) => `update:${f}` as const);

/**
 * Field updates never applied without review unless listed by name: a user group change (a patron's
 * rights) and a status change (deactivation), as issue #20 §6 asks; `update` alone does not cover them.
 */
export const ALMA_LISTED_ONLY = ["update:user_group", "update:status"] as const;

/** `auto_apply.alma`: the actions a plan may apply without review, and the most records it may send. */
export const almaAutoApplySchema = autoApplyRuleSchema([...ALMA_CHANGING, ...ALMA_FIELD_ACTIONS], ["add"]);

export type AlmaConfig = z.infer<typeof almaSchema>;

export const almaSection: ConfigSection = {
  name: "alma",
  schema: almaSchema,
  autoApply: almaAutoApplySchema,
  pathKeys: ["patrons", "barcodes", "updates"],
};

/** The `alma:` section of a loaded config (parsed with almaSchema), if there is one. */
export function almaConfigOf(loaded: LoadedConfig): AlmaConfig | undefined {
  return loaded.config.alma as AlmaConfig | undefined;
}

export function almaDefaults(overrides: Partial<AlmaConfig> = {}): AlmaConfig {
  return almaSchema.parse(overrides);
}

/** The Alma base URL: the settings' baseUrl (ALMA_BASE_URL, alma-base-url) overrides the region's host. */
export function almaBaseUrl(alma: AlmaConfig, settings: Pick<AlmaSettings, "baseUrl">): string {
  return (settings.baseUrl || ALMA_REGIONS[alma.region]).replace(/\/+$/, "");
}
