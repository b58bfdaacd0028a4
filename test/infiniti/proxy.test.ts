/**
 * The Infiniti import through an institutional proxy (HTTPS_PROXY / HTTP_PROXY / NO_PROXY), proved
 * with a forwarding proxy on 127.0.0.1 that records what it sees.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryLogger } from "../../src/core/log.ts";
import { runApply, runPlan } from "../../src/run.ts";
import { postImport } from "../../src/infiniti/client.ts";
import { startInfinitiSimulator, type InfinitiSimulator } from "../../src/simulators/infiniti.ts";
import { startTestProxy, type TestProxy } from "../helpers/proxy.ts";

const USER = "autoimport";
const PASS = "inf-pass-5d1a";
const ROSTER = "username,givenname,surname,graduationyear,enabled,staffmember\nzoe,Zoë,Hartley,2027,y,n\n";

const dirs: string[] = [];
let sim: InfinitiSimulator;
let proxy: TestProxy;
beforeEach(async () => {
  sim = await startInfinitiSimulator({ username: USER, password: PASS });
  proxy = await startTestProxy({ credentials: "carol:pr0xy-pass" });
});
afterEach(async () => {
  await sim.close();
  await proxy.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "ps-inf-proxy-"));
  dirs.push(dir);
  mkdirSync(join(dir, "data", "infiniti"), { recursive: true });
  writeFileSync(join(dir, "data", "infiniti", "users.csv"), ROSTER);
  writeFileSync(join(dir, "patron-sync.yml"), "infiniti:\n  users: data/infiniti/users.csv\n");
  return dir;
}

async function planAndApply(extra: NodeJS.ProcessEnv) {
  const env = { INFINITI_URL: sim.url, INFINITI_USERNAME: USER, INFINITI_PASSWORD: PASS, ...extra };
  const ws = workspace();
  const log = memoryLogger();
  const plan = await runPlan({ cwd: ws, env, log, out: "plans/p1" });
  const result = await runApply({ cwd: ws, env, log, planDir: plan.planDir });
  return { result, log: log.lines.join("\n") };
}

const host = () => new URL(sim.url).host;

describe("Infiniti through a proxy", () => {
  it("the import goes through HTTP_PROXY as a tunnel: the proxy sees host:port only", async () => {
    const { result, log } = await planAndApply({
      http_proxy: proxy.url.replace("http://", "http://carol:pr0xy-pass@"),
    });
    expect(result.failed).toBe(0);
    expect(sim.stats().posts).toBe(1);
    expect(proxy.seen).toEqual([
      {
        method: "CONNECT",
        target: host(),
        proxyAuthorization: `Basic ${Buffer.from("carol:pr0xy-pass").toString("base64")}`,
      },
    ]);
    expect(log).toContain("through the proxy http://***@127.0.0.1:");
    expect(log).not.toContain("pr0xy-pass");
    expect(log).not.toContain(PASS);
  });

  it("NO_PROXY naming the host posts directly", async () => {
    await planAndApply({ HTTP_PROXY: proxy.url, NO_PROXY: `${new URL(sim.url).hostname}` });
    expect(sim.stats().posts).toBe(1);
    expect(proxy.seen).toEqual([]);
  });

  it("a proxy that refuses the tunnel: nothing reaches Infiniti, the message names the masked proxy", async () => {
    const endpoint = {
      url: `${sim.url}/api/import/users`,
      authorization: `Basic ${Buffer.from(`${USER}:${PASS}`).toString("base64")}`,
      proxy: new URL(proxy.url.replace("http://", "http://carol:wrong@")),
    };
    const err = await postImport(endpoint, ROSTER).catch((e: unknown) => e);
    expect(String(err)).toMatch(
      /could not reach 127\.0\.0\.1:\d+ through the proxy http:\/\/\*\*\*@127\.0\.0\.1:\d+\/: /,
    );
    expect(String(err)).not.toContain("wrong");
    expect(proxy.seen).toHaveLength(1);
    expect(sim.stats().posts).toBe(0);
  });
});
