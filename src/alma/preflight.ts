/**
 * Alma's preflight for an apply, before the first call of any system: the plan file can be read, and
 * when it has changes to send, the API key is set, the address is allowed, and every change follows
 * from the plan's data (src/alma/rederive.ts). Throws InputError (exit 2).
 */
import { almaBaseUrl, almaConfigOf } from "./config.ts";
import { InputError } from "../core/errors.ts";
import type { PlanData } from "../core/integrity.ts";
import type { RunContext } from "../core/types.ts";
import { LOOPBACK_HOSTS, requireHttps } from "../core/url.ts";
import { almaApiKey } from "./connection.ts";
import { systemPlanPath } from "../core/plandir.ts";
import { ALMA_DIR, readPlanHeader } from "./planfile.ts";
import type { AlmaSettings } from "./settings.ts";
import { checkAlmaPlan, type AlmaDerivation } from "./rederive.ts";

/** The Alma address must be https (plain http only to a loopback simulator; core/url.ts): the key travels with every call. */
export function checkAlmaUrl(baseUrl: string): void {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    throw new InputError({ file: "ALMA_BASE_URL", message: `'${baseUrl}' is not a valid URL` });
  }
  requireHttps(
    u,
    () =>
      new InputError({
        file: "ALMA_BASE_URL",
        message: `the Alma address must start with https:// (plain http:// only to ${LOOPBACK_HOSTS}): the API key would travel unencrypted`,
      }),
  );
}

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
