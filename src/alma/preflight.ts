/**
 * Alma's preflight for an apply, before the first call of any system: the plan file can be read, and
 * when it has changes to send, the API key is set, the address is allowed, and every change follows
 * from the plan's data (src/alma/rederive.ts). Throws InputError (exit 2).
 */
import { almaBaseUrl, almaConfigOf } from "./config.ts";
import { InputError } from "../core/errors.ts";
import type { PlanData } from "../core/integrity.ts";
import type { RunContext } from "../core/types.ts";
import { almaApiKey, checkAlmaUrl } from "./connection.ts";
import { systemPlanPath } from "../core/plandir.ts";
import { ALMA_DIR, readPlanHeader } from "./planfile.ts";
import type { AlmaSettings } from "./settings.ts";
import { checkAlmaPlan, type AlmaDerivation } from "./rederive.ts";

/** Returns how to re-derive each change; undefined for a revert plan (core/revert.ts checks those). */
export async function prepareAlmaApply(
  ctx: RunContext,
  data: () => Promise<PlanData>,
  revert: boolean,
  settings: AlmaSettings,
): Promise<AlmaDerivation | undefined> {
  const alma = almaConfigOf(ctx.loaded);
  if (!alma)
    throw new InputError({ file: ctx.loaded.path, message: "there is no 'alma' section in the config" });
  const planPath = systemPlanPath(ctx.planDir, ALMA_DIR);
  const header = await readPlanHeader(planPath);
  almaApiKey(settings);
  checkAlmaUrl(almaBaseUrl(alma, settings));
  return revert ? undefined : checkAlmaPlan(await data(), ctx.planDir, header);
}
