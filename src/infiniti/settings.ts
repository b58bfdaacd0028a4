/**
 * What the Infiniti import needs from outside the config: the user name and password, the address
 * override, the proxies. Resolved once, at the edge (the CLI from the environment, the action from its
 * inputs over the environment: src/systems.ts, src/github/inputs.ts) and given to the Infiniti system.
 * Nothing under src/infiniti reads the environment.
 */
import { proxySettings, type ProxySettings } from "../core/proxy.ts";

export interface InfinitiSettings {
  /** INFINITI_USERNAME (trimmed); "" when not given. */
  username: string;
  /** INFINITI_PASSWORD (as given: a password may begin or end with a space); "" when not given. */
  password: string;
  /** INFINITI_URL (the action: infiniti-url): the address instead of infiniti.url; "" when not given. */
  url: string;
  /** HTTPS_PROXY, HTTP_PROXY and NO_PROXY (src/core/proxy.ts). */
  proxies: ProxySettings;
}

/** No credentials, no override, no proxy: a system built with these refuses to post (exit 2). */
export const NO_INFINITI_SETTINGS: InfinitiSettings = {
  username: "",
  password: "",
  url: "",
  proxies: { noProxy: [] },
};

/** The settings the environment gives: INFINITI_USERNAME, INFINITI_PASSWORD, INFINITI_URL, the proxies. */
export function infinitiSettingsFromEnv(env: NodeJS.ProcessEnv): InfinitiSettings {
  return {
    username: env.INFINITI_USERNAME?.trim() ?? "",
    password: env.INFINITI_PASSWORD ?? "",
    url: env.INFINITI_URL?.trim() ?? "",
    proxies: proxySettings(env),
  };
}
