/**
 * Which proxy, if any, a call to Alma or Infiniti goes through: the standard environment variables that
 * self-hosted runners behind an institutional proxy set.
 *
 * - HTTPS_PROXY for https:// URLs, HTTP_PROXY for http:// URLs. The lower-case forms are read too, and
 *   win when both are set (as curl, proxy-from-env and undici's EnvHttpProxyAgent read them). ALL_PROXY
 *   and SOCKS proxies are not supported. A value without a scheme (`proxy.example.edu:3128`) means http://.
 * - NO_PROXY (or no_proxy): hosts reached directly, separated by commas or spaces. `*` alone: no proxy
 *   at all. `example.edu`, `.example.edu` and `*.example.edu` each match example.edu and every host
 *   under it (curl's and Go's reading); `host:port` matches that port only; IP addresses match exactly.
 *   Loopback addresses are NOT exempt by themselves: list `127.0.0.1,localhost,::1` to reach a local
 *   simulator directly while a proxy is set.
 *
 * The proxy's own user name and password, if its URL holds them, are sent to the proxy only
 * (Proxy-Authorization) and masked in every message. API keys and passwords stay in the Authorization
 * header of the call itself: an https:// call is tunnelled (CONNECT host:port), so the proxy sees
 * neither the path nor the headers.
 */
import { InputError } from "./errors.ts";

export interface ProxySettings {
  /** For http:// URLs. */
  http?: URL;
  /** For https:// URLs. */
  https?: URL;
  noProxy: { host: string; port?: number }[];
}

function read(env: NodeJS.ProcessEnv, name: string): { name: string; value: string } | undefined {
  for (const n of [name.toLowerCase(), name.toUpperCase()]) {
    const value = env[n]?.trim();
    if (value) return { name: n, value };
  }
  return undefined;
}

/** The proxy URL with any user name and password replaced by `***`, for messages. */
export function maskProxy(url: URL | string): string {
  const text = String(url);
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, "$1***@");
}

function proxyUrl(env: NodeJS.ProcessEnv, name: string): URL | undefined {
  const found = read(env, name);
  if (!found) return undefined;
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(found.value) ? found.value : `http://${found.value}`;
  const fail = (why: string) =>
    new InputError({ file: "environment", message: `${found.name} (${maskProxy(text)}) ${why}` });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw fail("is not a valid proxy URL (e.g. http://proxy.example.edu:3128)");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw fail("is not supported: only http:// and https:// proxies are");
  }
  return url;
}

function noProxyList(env: NodeJS.ProcessEnv): ProxySettings["noProxy"] {
  const raw = read(env, "no_proxy")?.value ?? "";
  return raw
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry) => {
      if (entry === "*") return { host: "*" };
      // [v6]:port, v6 (two colons or more: no port), host:port, host
      const m =
        /^\[(.*)\](?::(\d+))?$/.exec(entry) ??
        (/:.*:/.test(entry) ? [entry, entry] : /^(.*?)(?::(\d+))?$/.exec(entry)!);
      const host = m[1].toLowerCase().replace(/^\*?\./, "");
      return m[2] ? { host, port: Number(m[2]) } : { host };
    });
}

/** Reads the proxy variables; a malformed or unsupported proxy URL is an input error (exit 2, nothing sent). */
export function proxySettings(env: NodeJS.ProcessEnv): ProxySettings {
  const http = proxyUrl(env, "http_proxy");
  const https = proxyUrl(env, "https_proxy");
  return { ...(http ? { http } : {}), ...(https ? { https } : {}), noProxy: noProxyList(env) };
}

function isIp(host: string): boolean {
  return host.includes(":") || /^[\d.]+$/.test(host);
}

function defaultPort(url: URL): number {
  return Number(url.port) || (url.protocol === "https:" ? 443 : 80);
}

/** The proxy a call to `target` goes through, or undefined to go directly. */
export function proxyFor(target: URL, settings: ProxySettings): URL | undefined {
  const proxy = target.protocol === "https:" ? settings.https : settings.http;
  if (!proxy) return undefined;
  const host = target.hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  const port = defaultPort(target);
  const bypass = settings.noProxy.some(
    (e) =>
      e.host === "*" ||
      ((e.port === undefined || e.port === port) &&
        (host === e.host || (!isIp(e.host) && host.endsWith(`.${e.host}`)))),
  );
  return bypass ? undefined : proxy;
}

/**
 * The proxy passwords in HTTPS_PROXY / HTTP_PROXY (either case), as written and decoded, and the
 * Proxy-Authorization values made from them: for the action to register as secrets (shown as ***).
 */
export function proxySecrets(env: NodeJS.ProcessEnv): string[] {
  const out = new Set<string>();
  for (const name of ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"]) {
    const value = env[name]?.trim();
    if (!value) continue;
    let url: URL;
    try {
      url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
    } catch {
      continue;
    }
    if (!url.password) continue;
    const [user, password] = [decodeURIComponent(url.username), decodeURIComponent(url.password)];
    const basic = Buffer.from(`${user}:${password}`, "utf8").toString("base64");
    for (const s of [url.password, password, basic, `Basic ${basic}`]) out.add(s);
  }
  return [...out];
}
