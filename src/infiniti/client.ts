/**
 * The one call patron-sync makes to Concord Infiniti: POST {url}/api/import/users, multipart/form-data
 * with the CSV as the only file part (field `file`, filename `import.csv`, text/csv), HTTP Basic auth.
 * Credentials come only from the settings (INFINITI_USERNAME and INFINITI_PASSWORD, or the action's
 * inputs), never from the URL, and are never logged. Plain http:// is refused except to a loopback address
 * (the simulator; core/url.ts).
 * The call goes through undici's fetch, through the proxy HTTPS_PROXY / HTTP_PROXY / NO_PROXY give for
 * the URL (core/proxy.ts) with undici's ProxyAgent: a CONNECT tunnel, so the proxy sees only host:port.
 */
import { fetch, FormData, ProxyAgent } from "undici";
import type { InfinitiConfig } from "./config.ts";
import type { InfinitiSettings } from "./settings.ts";
import { InputError } from "../core/errors.ts";
import { maskProxy, proxyFor } from "../core/proxy.ts";
import { LOOPBACK_HOSTS, requireHttps } from "../core/url.ts";
import { authorizationSecrets } from "./mask.ts";
import type { HttpAnswer } from "./result.ts";

export const IMPORT_PATH = "/api/import/users";
/** How long the whole import may take before we stop waiting. */
export const INFINITI_TIMEOUT_MS = 120_000;

export interface InfinitiEndpoint {
  /** The import URL (no credentials in it). */
  url: string;
  /** The value of the Authorization header. */
  authorization: string;
  /** The proxy the call goes through (HTTPS_PROXY/HTTP_PROXY, unless NO_PROXY names the host). */
  proxy?: URL;
  /** What Infiniti's answers must never show (mask.ts): the password, the header value, its base64. */
  secrets?: string[];
}

/** Where the URL came from, for messages. */
function source(settings: Pick<InfinitiSettings, "url">, configFile: string): string {
  return settings.url ? "INFINITI_URL" : configFile;
}

/** The import URL: INFINITI_URL, else `infiniti.url`; trailing slashes (and a pasted /api/import/users) dropped. */
export function importUrl(
  cfg: InfinitiConfig,
  settings: Pick<InfinitiSettings, "url">,
  configFile: string,
): string {
  const raw = settings.url || cfg.url;
  const file = source(settings, configFile);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new InputError({
      file,
      message: "the Infiniti URL is not a valid URL (e.g. https://yourschool.concordinfiniti.com)",
    });
  }
  if (u.username || u.password) {
    throw new InputError({
      file,
      message:
        "the Infiniti URL must not hold a user name or password: give them in INFINITI_USERNAME and INFINITI_PASSWORD",
    });
  }
  requireHttps(
    u,
    (protocol) =>
      new InputError({
        file,
        message: `the Infiniti URL must start with https:// (plain ${protocol}// is allowed only to ${LOOPBACK_HOSTS}): the password would travel unencrypted`,
      }),
  );
  let path = u.pathname.replace(/\/+$/, "");
  if (path.toLowerCase().endsWith(IMPORT_PATH)) path = path.slice(0, -IMPORT_PATH.length);
  return `${u.origin}${path}${IMPORT_PATH}`;
}

/** Credentials from the settings (the environment or the action's inputs); missing ones are an input error (exit 2, nothing sent). */
export function basicAuthorization(settings: Pick<InfinitiSettings, "username" | "password">): string {
  const { username, password } = settings;
  const missing = [!username && "INFINITI_USERNAME", !password && "INFINITI_PASSWORD"].filter(Boolean);
  if (missing.length) {
    throw new InputError({
      file: "environment",
      message: `${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set: the Infiniti import needs the user name and password of an Infiniti user with system administration rights`,
    });
  }
  if (username.includes(":")) {
    throw new InputError({ file: "environment", message: "INFINITI_USERNAME must not contain ':'" });
  }
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}

export function infinitiEndpoint(
  cfg: InfinitiConfig,
  settings: InfinitiSettings,
  configFile: string,
): InfinitiEndpoint {
  const url = importUrl(cfg, settings, configFile);
  const proxy = proxyFor(new URL(url), settings.proxies);
  const authorization = basicAuthorization(settings);
  return {
    url,
    authorization,
    secrets: [
      settings.password,
      ...authorizationSecrets(authorization),
      proxy?.password ? decodeURIComponent(proxy.password) : "",
    ],
    ...(proxy ? { proxy } : {}),
  };
}

/** Why the call got no answer (the import may or may not have happened). */
export class InfinitiUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InfinitiUnreachableError";
  }
}

/**
 * Posts the CSV. Resolves with Infiniti's status and body whatever the status; rejects with
 * InfinitiUnreachableError when no answer came (timeout, refused connection), and with the abort
 * reason when `signal` was aborted before the POST was sent. Once sent, the POST is not cut short by
 * `signal` (an interrupt): its answer is waited for (up to the timeout), so that what Infiniti did is known.
 */
export async function postImport(
  endpoint: InfinitiEndpoint,
  csv: string,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  const form = new FormData();
  form.append("file", new Blob([csv], { type: "text/csv" }), "import.csv");
  const timeoutMs = opts.timeoutMs ?? INFINITI_TIMEOUT_MS;
  opts.signal?.throwIfAborted();
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = timeout;
  const host = new URL(endpoint.url).host;
  const dispatcher = endpoint.proxy ? new ProxyAgent({ uri: endpoint.proxy.href }) : undefined;
  try {
    const res = await fetch(endpoint.url, {
      ...(dispatcher ? { dispatcher } : {}),
      method: "POST",
      headers: { Authorization: endpoint.authorization, Accept: "application/json" },
      body: form,
      signal,
      // A redirect is reported, not followed: a POST would turn into a GET and the credentials could travel on.
      redirect: "manual",
    });
    const body = await res.text();
    const location = res.headers.get("location") ?? undefined;
    return { status: res.status, body, ...(location ? { location } : {}) };
  } catch (e) {
    if (timeout.aborted) {
      throw new InfinitiUnreachableError(
        `no answer from ${host} within ${Math.round(timeoutMs / 1000)} s: the import may or may not have happened`,
      );
    }
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const via = endpoint.proxy ? ` through the proxy ${maskProxy(endpoint.proxy)}` : "";
    throw new InfinitiUnreachableError(
      `could not reach ${host}${via}: ${cause?.code ?? cause?.message ?? (e as Error).message}`,
    );
  } finally {
    await dispatcher?.close();
  }
}
