/**
 * Alma calls through an institutional proxy (HTTPS_PROXY / HTTP_PROXY / NO_PROXY), proved with a
 * forwarding proxy on 127.0.0.1 that records what it sees.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHttpClient } from "../../src/alma/http.ts";
import { InputError } from "../../src/core/errors.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { proxySettings } from "../../src/core/proxy.ts";
import { runApply, runPlan } from "../../src/run.ts";
import { startAlmaSimulator, type AlmaSimulator } from "../../src/simulators/alma.ts";
import { fixture } from "../helpers/fixtures.ts";
import { startTestProxy, type TestProxy } from "../helpers/proxy.ts";

const KEY = "alma-key-7f3e9c";

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "ps-alma-proxy-"));
  dirs.push(dir);
  mkdirSync(join(dir, "data", "alma"), { recursive: true });
  writeFileSync(join(dir, "data", "alma", "patrons.txt"), "E00417\n");
  writeFileSync(join(dir, "data", "alma", "barcodes.txt"), "E00417|21234000123456\n");
  writeFileSync(
    join(dir, "patron-sync.yml"),
    "alma:\n  patrons: data/alma/patrons.txt\n  barcodes: data/alma/barcodes.txt\n  min_remaining: 0\n  max_attempts: 1\n",
  );
  return dir;
}

const dirs: string[] = [];
let sim: AlmaSimulator;
let proxy: TestProxy;
beforeEach(async () => {
  sim = await startAlmaSimulator({ apiKey: KEY, users: [{ xml: fixture("alma/users/staff_roles.xml") }] });
  proxy = await startTestProxy({ credentials: "alice:pr0xy-pass" });
});
afterEach(async () => {
  await sim.close();
  await proxy.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const withCredentials = () => proxy.url.replace("http://", "http://alice:pr0xy-pass@");

describe("Alma through a proxy", () => {
  it("plan and apply go through HTTP_PROXY, with the key only in the Authorization header", async () => {
    const ws = workspace();
    const env = { ALMA_API_KEY: KEY, ALMA_BASE_URL: sim.url, HTTP_PROXY: withCredentials() };
    const log = memoryLogger();
    const plan = await runPlan({ cwd: ws, env, log, out: "plans/p1" });
    const applied = await runApply({ cwd: ws, env, log, planDir: plan.planDir });
    expect(applied.failed).toBe(0);

    const calls = proxy.seen.filter((s) => s.target.startsWith(`${sim.url}/almaws/v1/users/`));
    expect(calls.map((c) => c.method)).toEqual(expect.arrayContaining(["GET", "PUT"]));
    expect(calls.length).toBe(proxy.seen.length); // nothing else went through it
    expect(sim.stats().calls).toBe(calls.length); // and nothing reached Alma around it
    for (const c of proxy.seen) {
      expect(c.target).not.toContain(KEY);
      expect(c.proxyAuthorization).toBe(`Basic ${Buffer.from("alice:pr0xy-pass").toString("base64")}`);
    }
    const text = log.lines.join("\n");
    expect(text).toContain(`Alma calls go through the proxy http://***@127.0.0.1:`);
    expect(text).not.toContain("pr0xy-pass");
  });

  it("an Alma error body quoting proxy-authorization: neither the base64 nor the password reaches plan.json or plan.md", async () => {
    await proxy.close();
    // A gateway that answers with an Alma error quoting the request's headers (issue #17).
    proxy = await startTestProxy({
      credentials: "alice:pr0xy-pass",
      answer: (req) =>
        req.url?.includes("/almaws/v1/users/")
          ? {
              status: 400,
              contentType: "application/xml",
              body: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><web_service_result xmlns="http://com/exlibris/urm/general/xmlbeans"><errorsExist>true</errorsExist><errorList><error><errorCode>GENERAL_ERROR</errorCode><errorMessage>Request rejected: proxy-authorization: ${String(req.headers["proxy-authorization"])}; Authorization: ${String(req.headers.authorization)}; seen Bearer eyJhbGciOi.J9x</errorMessage></error></errorList></web_service_result>`,
            }
          : undefined,
    });
    const ws = workspace();
    const env = { ALMA_API_KEY: KEY, ALMA_BASE_URL: sim.url, HTTP_PROXY: withCredentials() };
    const plan = await runPlan({ cwd: ws, env, log: memoryLogger(), out: "plans/p1" }).catch(
      (e: unknown) => e,
    );
    const base64 = Buffer.from("alice:pr0xy-pass").toString("base64");
    const files = ["plan.md", "plan.json", "alma/plan.json"]
      .map((f) => join(ws, "plans", "p1", f))
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f, "utf8"));
    expect(files.length).toBeGreaterThan(0);
    const text = [...files, plan instanceof Error ? plan.message : ""].join("\n");
    expect(text).toContain("GENERAL_ERROR");
    expect(text).toContain("proxy-authorization: Basic …");
    expect(text).toContain("Bearer …");
    for (const secret of [base64, base64.slice(0, 12), "pr0xy-pass", KEY, "eyJhbGciOi"])
      expect(text).not.toContain(secret);
  });

  it("NO_PROXY naming the host sends the calls directly", async () => {
    const ws = workspace();
    const env = {
      ALMA_API_KEY: KEY,
      ALMA_BASE_URL: sim.url,
      HTTP_PROXY: proxy.url,
      no_proxy: "localhost,127.0.0.1",
    };
    await runPlan({ cwd: ws, env, log: memoryLogger(), out: "plans/p1" });
    expect(sim.stats().calls).toBeGreaterThan(0);
    expect(proxy.seen).toEqual([]);
  });

  it("without NO_PROXY even the loopback simulator is reached through the proxy", async () => {
    const ws = workspace();
    const env = { ALMA_API_KEY: KEY, ALMA_BASE_URL: sim.url, HTTP_PROXY: proxy.url };
    await runPlan({ cwd: ws, env, log: memoryLogger(), out: "plans/p1" });
    // The proxy wants credentials: every call got 407 there and none reached the simulator.
    expect(proxy.seen.length).toBeGreaterThan(0);
    expect(sim.stats().calls).toBe(0);
  });

  it("an https:// Alma is tunnelled: the proxy sees CONNECT host:port, never the path or the key", async () => {
    const client = createHttpClient(2, proxySettings({ HTTPS_PROXY: withCredentials() }));
    try {
      const url =
        "https://api-eu.hosted.exlibrisgroup.invalid/almaws/v1/users/E00417?user_id_type=all_unique";
      await expect(
        client(url, { method: "GET", headers: { Authorization: `apikey ${KEY}` } }),
      ).rejects.toThrow();
    } finally {
      client.close();
    }
    expect(proxy.seen).toEqual([
      {
        method: "CONNECT",
        target: "api-eu.hosted.exlibrisgroup.invalid:443",
        proxyAuthorization: `Basic ${Buffer.from("alice:pr0xy-pass").toString("base64")}`,
      },
    ]);
  });

  it("a SOCKS proxy is refused before any call (exit 2), its password masked", async () => {
    const ws = workspace();
    const env = { ALMA_API_KEY: KEY, ALMA_BASE_URL: sim.url, HTTPS_PROXY: "socks5://u:sekret@127.0.0.1:1" };
    const err = await runPlan({ cwd: ws, env, log: memoryLogger(), out: "plans/p1" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect(String(err)).toContain("HTTPS_PROXY (socks5://***@127.0.0.1:1) is not supported");
    expect(String(err)).not.toContain("sekret");
    expect(sim.stats().calls).toBe(0);
  });
});
