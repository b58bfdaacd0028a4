/**
 * Before the first configuration. A repository created from the template runs the plan workflow on
 * its first push, before anyone has added a secret. That run is not a failure: it ends green with
 * one notice pointing at docs/setup.md, and opens nothing.
 *
 * "Not configured yet" needs both: no plan was ever made in this repository (plans_dir holds no
 * plan directory), and something the plan needs is still missing (the Alma key for a plan that
 * reads Alma, or Infiniti's address is still the template's placeholder). Once a plan exists, a
 * missing key is an error again (exit 2), never a quiet green run.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { LoadedConfig } from "../config.ts";
import { hasManifest } from "../core/plandir.ts";
import type { Settings } from "../systems.ts";

export const SETUP_DOC = "docs/setup.md";
/** The template's placeholder for infiniti.url (the config's default). */
export const PLACEHOLDER_INFINITI_URL = "https://yourschool.concordinfiniti.com";

function hasAnyPlan(plansDirAbs: string): boolean {
  if (!existsSync(plansDirAbs)) return false;
  return readdirSync(plansDirAbs, { withFileTypes: true }).some(
    (d) => d.isDirectory() && hasManifest(join(plansDirAbs, d.name)),
  );
}

/** What is still missing, or undefined when the repository is configured (or has planned before). */
export function notConfigured(loaded: LoadedConfig, settings: Settings, only?: string): string[] | undefined {
  if (hasAnyPlan(resolve(loaded.root, loaded.config.plans_dir))) return undefined;
  const missing: string[] = [];
  const wants = (s: string) => !only || only === s;
  if (loaded.config.alma && wants("alma") && !settings.alma.apiKey)
    missing.push("no Alma API key (secret ALMA_READ_API_KEY or ALMA_API_KEY)");
  const url = loaded.config.infiniti?.url.replace(/\/+$/, "");
  if (
    loaded.config.infiniti &&
    wants("infiniti") &&
    url === PLACEHOLDER_INFINITI_URL &&
    !settings.infiniti.url
  )
    missing.push(`infiniti.url is still the template's ${PLACEHOLDER_INFINITI_URL}`);
  return missing.length ? missing : undefined;
}

export function notConfiguredNotice(missing: string[]): string {
  return `patron-sync is not configured yet: see ${SETUP_DOC} (missing: ${missing.join("; ")}). Nothing was read or sent, and no pull request was opened.`;
}
