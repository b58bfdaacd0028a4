/**
 * What Alma needs from outside the config: the API key, the address override, the proxies. Resolved
 * once, at the edge (the CLI from the environment, the action from its inputs over the environment:
 * src/systems.ts, src/github/inputs.ts) and given to the Alma system. Nothing under src/alma reads the
 * environment.
 */
import { proxySettings, type ProxySettings } from "../core/proxy.ts";

export interface AlmaSettings {
  /** The API key; "" when none was given (plan and apply refuse, exit 2, before any call). */
  apiKey: string;
  /** Where a plan's key came from, named when Alma refuses it: ALMA_API_KEY, or ALMA_READ_API_KEY. */
  keyName: "ALMA_API_KEY" | "ALMA_READ_API_KEY";
  /** ALMA_BASE_URL (the action: alma-base-url): the API host instead of alma.region's; "" when not given. */
  baseUrl: string;
  /** HTTPS_PROXY, HTTP_PROXY and NO_PROXY (src/core/proxy.ts). */
  proxies: ProxySettings;
  /** PATRON_SYNC_SIM_RATE_LIMIT: the benchmark's rate, honoured only against a loopback simulator. */
  simulatorRateLimit?: string;
}

/** No credentials, no override, no proxy: a system built with these refuses to call Alma (exit 2). */
export const NO_ALMA_SETTINGS: AlmaSettings = {
  apiKey: "",
  keyName: "ALMA_API_KEY",
  baseUrl: "",
  proxies: { noProxy: [] },
};

/** The settings the environment gives: ALMA_API_KEY, ALMA_BASE_URL, the proxies. */
export function almaSettingsFromEnv(env: NodeJS.ProcessEnv): AlmaSettings {
  const apiKey = env.ALMA_API_KEY?.trim() ?? "";
  return {
    apiKey,
    // A read-only key given in both variables is named as the read-only one.
    keyName: apiKey && env.ALMA_READ_API_KEY?.trim() === apiKey ? "ALMA_READ_API_KEY" : "ALMA_API_KEY",
    baseUrl: env.ALMA_BASE_URL?.trim() ?? "",
    proxies: proxySettings(env),
    ...(env.PATRON_SYNC_SIM_RATE_LIMIT ? { simulatorRateLimit: env.PATRON_SYNC_SIM_RATE_LIMIT } : {}),
  };
}
