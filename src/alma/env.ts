import { almaBaseUrl, type AlmaConfig } from "./config.ts";
import { InputError } from "../core/errors.ts";
import type { Logger } from "../core/log.ts";
import { maskProxy, proxyFor, proxySettings } from "../core/proxy.ts";
import { isLoopback } from "../core/url.ts";
import { AlmaClient } from "./client.ts";
import { createTransport, type Transport } from "./transport.ts";

/** The API key, from the environment only. Missing ⇒ exit 2 before any call. */
export function almaApiKey(env: NodeJS.ProcessEnv): string {
  const key = env.ALMA_API_KEY?.trim();
  if (!key) {
    throw new InputError({
      file: "environment",
      message:
        "ALMA_API_KEY is not set: put the Alma API key (Users, read/write) in the ALMA_API_KEY environment variable or the action's alma-api-key input",
    });
  }
  return key;
}

export function almaClient(
  alma: AlmaConfig,
  env: NodeJS.ProcessEnv,
  log: Logger,
  transport?: Transport,
  purpose: "plan" | "apply" = "apply",
): { client: AlmaClient; transport: Transport } {
  const apiKey = almaApiKey(env);
  const baseUrl = almaBaseUrl(alma, env);
  const proxies = proxySettings(env);
  const proxy = proxyFor(new URL(baseUrl), proxies);
  if (proxy && !transport) log.info(`Alma calls go through the proxy ${maskProxy(proxy)}`);
  const t =
    transport ??
    createTransport({
      rateLimit: simulatorRateLimit(baseUrl, env) ?? alma.rate_limit,
      concurrency: alma.concurrency,
      maxAttempts: alma.max_attempts,
      timeoutMs: alma.timeout_ms,
      minRemaining: alma.min_remaining,
      proxies,
      log,
    });
  return {
    client: new AlmaClient({
      baseUrl: almaBaseUrl(alma, env),
      apiKey,
      userIdType: alma.user_id_type,
      transport: t,
      keyContext: {
        keyName:
          purpose === "plan" && env.ALMA_READ_API_KEY?.trim() === apiKey
            ? "ALMA_READ_API_KEY"
            : "ALMA_API_KEY",
        purpose,
        ...(env.ALMA_BASE_URL?.trim() ? {} : { region: alma.region }),
      },
    }),
    transport: t,
  };
}

/**
 * For the benchmark's memory run only: PATRON_SYNC_SIM_RATE_LIMIT lifts alma.rate_limit's ceiling
 * of 25/s, and is honoured only when Alma is a loopback address (a simulator), never a real Alma.
 */
export function simulatorRateLimit(baseUrl: string, env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.PATRON_SYNC_SIM_RATE_LIMIT;
  if (!raw) return undefined;
  const n = Number(raw);
  return isLoopback(new URL(baseUrl).hostname) && n > 0 ? n : undefined;
}
