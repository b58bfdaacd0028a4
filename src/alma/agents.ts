/**
 * The keep-alive agents under the Alma HTTP client: direct ones, and, when HTTPS_PROXY or HTTP_PROXY
 * applies to a URL (see core/proxy.ts), proxy agents from https-proxy-agent (CONNECT tunnel for
 * https://) and http-proxy-agent (absolute-URI requests for plain http://, the loopback simulator).
 * Each agent keeps at most `maxSockets` connections, so the pacing and concurrency are the same
 * through a proxy as without one.
 */
import http from "node:http";
import https from "node:https";
import { HttpProxyAgent } from "http-proxy-agent";
import { HttpsProxyAgent } from "https-proxy-agent";
import { proxyFor, type ProxySettings } from "../core/proxy.ts";

export interface Agents {
  /** The agent for a call to `target`. */
  for(target: URL): http.Agent;
  destroy(): void;
}

export function createAgents(maxSockets: number, proxies: ProxySettings = { noProxy: [] }): Agents {
  const options = { keepAlive: true, maxSockets };
  const direct = { "http:": new http.Agent(options), "https:": new https.Agent(options) };
  const proxied = new Map<string, http.Agent>();
  return {
    for(target) {
      const secure = target.protocol === "https:";
      const proxy = proxyFor(target, proxies);
      if (!proxy) return direct[secure ? "https:" : "http:"];
      const key = `${target.protocol} ${proxy.href}`;
      let agent = proxied.get(key);
      if (!agent) {
        agent = secure ? new HttpsProxyAgent(proxy, options) : new HttpProxyAgent(proxy, options);
        proxied.set(key, agent);
      }
      return agent;
    },
    destroy() {
      for (const a of [direct["http:"], direct["https:"], ...proxied.values()]) a.destroy();
    },
  };
}
