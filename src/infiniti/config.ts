/** Concord Infiniti's section of patron-sync.yml (`infiniti:`) and its auto_apply rule. */
import { z } from "zod";
import { autoApplyRuleSchema, type ConfigSection, type LoadedConfig } from "../core/config.ts";
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_LINES } from "../core/textfile.ts";

export const infinitiSchema = z
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

/** Actions that change Infiniti data (the plan's other counts are outcomes). */
export const INFINITI_CHANGING = ["create", "update", "disable"] as const;

/** `auto_apply.infiniti`: the actions a plan may apply without review, and the most records it may send. */
export const infinitiAutoApplySchema = autoApplyRuleSchema(INFINITI_CHANGING, ["create", "update"]);

export type InfinitiConfig = z.infer<typeof infinitiSchema>;

export const infinitiSection: ConfigSection = {
  name: "infiniti",
  schema: infinitiSchema,
  autoApply: infinitiAutoApplySchema,
  pathKeys: ["users", "state"],
};

/** The `infiniti:` section of a loaded config (parsed with infinitiSchema), if there is one. */
export function infinitiConfigOf(loaded: LoadedConfig): InfinitiConfig | undefined {
  return loaded.config.infiniti as InfinitiConfig | undefined;
}
