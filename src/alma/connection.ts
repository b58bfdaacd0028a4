/** The Alma client and transport, built from the config and the settings (src/alma/settings.ts). */
import { almaBaseUrl, type AlmaConfig } from "./config.ts";
import { InputError } from "../core/errors.ts";
import type { Logger } from "../core/log.ts";
import { maskProxy, proxyFor } from "../core/proxy.ts";
import { isLoopback, LOOPBACK_HOSTS, requireHttps } from "../core/url.ts";
import { AlmaClient } from "./client.ts";
import type { AlmaSettings } from "./settings.ts";
import { createTransport, type Transport } from "./transport.ts";

/**
 * The API key, from the settings only (the environment or the action's input). Missing ⇒ exit 2 before any
 * call. A plan reads only, so its message names the read-only key first.
 */
export function almaApiKey(settings: AlmaSettings, purpose: "plan" | "apply" = "apply"): string {
  const key = settings.apiKey;
  if (!key) {
    throw new InputError({
      file: "environment",
      message:
        purpose === "plan"
          ? "no Alma API key: a plan only reads, so a read-only key is enough: put an Alma API key with read permission for Users in ALMA_READ_API_KEY (or a read/write one in ALMA_API_KEY), or the action's alma-read-api-key input"
          : "ALMA_API_KEY is not set: put the Alma API key (Users, read/write) in the ALMA_API_KEY environment variable or the action's alma-api-key input",
    });
  }
  return key;
}

/**
 * The Alma address must be https (plain http only to a loopback simulator; core/url.ts): the key travels
 * with every call, the plan's GETs as well as the apply's PUTs.
 */
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

export function almaClient(
  alma: AlmaConfig,
  settings: AlmaSettings,
  log: Logger,
  transport?: Transport,
  purpose: "plan" | "apply" = "apply",
): { client: AlmaClient; transport: Transport } {
  const apiKey = almaApiKey(settings, purpose);
  const baseUrl = almaBaseUrl(alma, settings);
  checkAlmaUrl(baseUrl);
  const proxies = settings.proxies;
  const proxy = proxyFor(new URL(baseUrl), proxies);
  if (proxy && !transport) log.info(`Alma calls go through the proxy ${maskProxy(proxy)}`);
  const t =
    transport ??
    createTransport({
      rateLimit: simulatorRateLimit(baseUrl, settings) ?? alma.rate_limit,
      concurrency: alma.concurrency,
      maxAttempts: alma.max_attempts,
      timeoutMs: alma.timeout_ms,
      minRemaining: alma.min_remaining,
      proxies,
      log,
    });
  return {
    client: new AlmaClient({
      baseUrl,
      apiKey,
      userIdType: alma.user_id_type,
      transport: t,
      keyContext: {
        keyName: purpose === "plan" ? settings.keyName : "ALMA_API_KEY",
        purpose,
        ...(settings.baseUrl ? {} : { region: alma.region }),
      },
    }),
    transport: t,
  };
}

/**
 * For the benchmark's memory run only: PATRON_SYNC_SIM_RATE_LIMIT lifts alma.rate_limit's ceiling
 * of 25/s, and is honoured only when Alma is a loopback address (a simulator), never a real Alma.
 */
export function simulatorRateLimit(
  baseUrl: string,
  settings: Pick<AlmaSettings, "simulatorRateLimit">,
): number | undefined {
  const raw = settings.simulatorRateLimit;
  if (!raw) return undefined;
  const n = Number(raw);
  return isLoopback(new URL(baseUrl).hostname) && n > 0 ? n : undefined;
}
