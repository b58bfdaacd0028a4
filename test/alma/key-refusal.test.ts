/**
 * A refused Alma key stops the whole run: each way Alma refuses a key (issue #9 §2) stops the plan and the
 * apply after at most `concurrency` calls, with one error naming the key's variable, where it was used, the
 * permission needed and the IP-range possibility; no plan is written and nothing is PUT.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { AlmaClient } from "../../src/alma/client.ts";
import { createTransport } from "../../src/alma/transport.ts";
import { AlmaKeyRefusedError, keyRefusalOf } from "../../src/alma/key-refusal.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { runApply, runPlan } from "../../src/run.ts";
import { startAlmaSimulator, type AlmaSimulator } from "../../src/simulators/alma.ts";
import { KEY_REFUSALS } from "../../src/simulators/alma-refusals.ts";

const RIGHT = "l7xx-right-key-0123456789abcdef";
const WRONG = "l7xx-wrong-key-0123456789abcdef";
const CONCURRENCY = 4;

const dirs: string[] = [];
let sim: AlmaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** 60 listed patrons (the demo users first), all with a barcode. */
function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "ps-key-"));
  dirs.push(dir);
  mkdirSync(join(dir, "data"));
  const ids = ["E00417", "E00512", "S0071234", ...Array.from({ length: 57 }, (_, i) => `X${i}`)];
  writeFileSync(join(dir, "data", "p.txt"), ids.join("\n") + "\n");
  writeFileSync(
    join(dir, "data", "b.txt"),
    ids.map((id, i) => `${id}|2123400${String(i).padStart(7, "0")}`).join("\n"),
  );
  writeFileSync(
    join(dir, "patron-sync.yml"),
    `alma:\n  patrons: data/p.txt\n  barcodes: data/b.txt\n  concurrency: ${CONCURRENCY}\n  rate_limit: 25\n  min_remaining: 0\n`,
  );
  return dir;
}

describe("keyRefusalOf: which answers are a refused key", () => {
  const wsr = (code: string, msg: string) =>
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<web_service_result xmlns="http://com/exlibris/urm/general/xmlbeans">\n  <errorsExist>true</errorsExist>\n  <errorList>\n    <error>\n      <errorCode>${code}</errorCode>\n      <errorMessage>${msg}</errorMessage>\n    </error>\n  </errorList>\n</web_service_result>`;
  it("recognises each documented refusal", () => {
    const unauthorized = wsr("UNAUTHORIZED", "API-key not defined or not configured to allow this API.");
    expect(keyRefusalOf(400, unauthorized, "application/xml")?.code).toBe("UNAUTHORIZED");
    expect(keyRefusalOf(401, unauthorized, "application/xml")?.code).toBe("UNAUTHORIZED");
    const json = JSON.stringify({
      errorsExist: true,
      errorList: {
        error: [
          {
            errorCode: "UNAUTHORIZED",
            errorMessage: "API-key not defined or not configured to allow this API.",
          },
        ],
      },
      result: null,
    });
    expect(keyRefusalOf(400, json, "application/json")?.code).toBe("UNAUTHORIZED");
    expect(keyRefusalOf(400, "Invalid API Key", "text/plain;charset=UTF-8")).toBeDefined();
    expect(keyRefusalOf(403, wsr("INVALID_REQUEST", "x"), "application/xml")?.code).toBe("INVALID_REQUEST");
    expect(keyRefusalOf(403, wsr("FORBIDDEN", "x"), "application/xml")?.code).toBe("FORBIDDEN");
    expect(
      keyRefusalOf(400, "HTTP requests from IP address 212.205.179.166 are not allowed", "text/plain"),
    ).toBeDefined();
    expect(
      keyRefusalOf(401, "<html><body><h1>HTTP Status 401 – Unauthorized</h1></body></html>", "text/html"),
    ).toBeDefined();
  });
  it("leaves business errors, thresholds and server errors to the per-patron handling", () => {
    expect(
      keyRefusalOf(400, wsr("401861", "User with identifier X was not found."), "application/xml"),
    ).toBeUndefined();
    expect(
      keyRefusalOf(400, wsr("402203", "Input parameters x is not valid."), "application/xml"),
    ).toBeUndefined();
    expect(
      keyRefusalOf(
        429,
        wsr("PER_SECOND_THRESHOLD", "HTTP requests are more than allowed per second"),
        "application/xml",
      ),
    ).toBeUndefined();
    expect(keyRefusalOf(400, "Bad request", "text/plain")).toBeUndefined();
    expect(keyRefusalOf(500, "<html>Internal Server Error</html>", "text/html")).toBeUndefined();
    expect(keyRefusalOf(200, "<user/>", "application/xml")).toBeUndefined();
  });
});

describe("a refused key stops the run", { timeout: 30_000 }, () => {
  for (const kind of KEY_REFUSALS) {
    it(`plan, refusal ${kind}: one error after at most ${CONCURRENCY} calls, no plan written`, async () => {
      sim = await startAlmaSimulator({ apiKey: RIGHT, keyRefusal: kind });
      const ws = workspace();
      const log = memoryLogger();
      const err = await runPlan({
        cwd: ws,
        env: { ALMA_API_KEY: WRONG, ALMA_BASE_URL: sim.url },
        log,
        out: "plans/p",
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AlmaKeyRefusedError);
      const message = (err as Error).message;
      expect(message).toContain("ALMA_API_KEY");
      expect(message).toContain(`ALMA_BASE_URL (${sim.url})`);
      expect(message).toMatch(/Users API with at least read permission/);
      expect(message).toMatch(/IP ranges/);
      expect(message).not.toContain(WRONG);
      expect(message).toContain("no plan was written");
      if (kind === "401-html") expect(message).toContain('HTML page ("HTTP Status 401 – Unauthorized")');
      expect(sim.stats().calls).toBeGreaterThan(0);
      expect(sim.stats().calls).toBeLessThanOrEqual(CONCURRENCY);
      expect(existsSync(join(ws, "plans", "p", "plan.json"))).toBe(false);
      expect(existsSync(join(ws, "plans", "p", "plan.md"))).toBe(false);
      expect(existsSync(join(ws, "plans", "p"))).toBe(false); // no half plan left behind
      expect(JSON.stringify(log.lines)).not.toContain(WRONG);
    });
  }

  it("names the region when ALMA_BASE_URL does not override it", async () => {
    sim = await startAlmaSimulator({ apiKey: RIGHT, keyRefusal: "400-xml" });
    const client = new AlmaClient({
      baseUrl: sim.url,
      apiKey: WRONG,
      userIdType: "all_unique",
      transport: createTransport({
        rateLimit: 25,
        concurrency: 1,
        maxAttempts: 1,
        timeoutMs: 5000,
        minRemaining: 0,
      }),
      keyContext: { keyName: "ALMA_API_KEY", purpose: "apply", region: "eu" },
    });
    const err = (await client.getUser("E00417").catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(`region 'eu' (${sim.url})`);
    expect(err.message).toContain("read/write permission");
    // Once refused, the client sends nothing more.
    const calls = sim.stats().calls;
    await expect(client.getUser("E00512")).rejects.toBe(err);
    expect(sim.stats().calls).toBe(calls);
  });

  it("names ALMA_READ_API_KEY when the plan used the read-only key (the action sets both)", async () => {
    sim = await startAlmaSimulator({ apiKey: RIGHT, keyRefusal: "401" });
    const err = (await runPlan({
      cwd: workspace(),
      env: { ALMA_API_KEY: WRONG, ALMA_READ_API_KEY: WRONG, ALMA_BASE_URL: sim.url },
      log: memoryLogger(),
      out: "plans/p",
    }).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain("Alma refused the API key in ALMA_READ_API_KEY");
    expect(err.message).not.toContain(WRONG);
  });

  it("apply: a key refused on the first re-read stops the apply; nothing is PUT", async () => {
    sim = await startAlmaSimulator({ apiKey: RIGHT, keyRefusal: "403-forbidden" });
    const ws = workspace();
    const log = memoryLogger();
    const plan = await runPlan({
      cwd: ws,
      env: { ALMA_API_KEY: RIGHT, ALMA_BASE_URL: sim.url },
      log,
      out: "plans/p",
    });
    expect(plan.changes).toBeGreaterThan(0);
    sim.resetStats();
    const err = await runApply({
      cwd: ws,
      env: { ALMA_API_KEY: WRONG, ALMA_BASE_URL: sim.url },
      log,
      planDir: "plans/p",
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlmaKeyRefusedError);
    expect((err as Error).message).toContain("no record was written to Alma");
    expect((err as Error).message).toContain("read/write permission");
    expect(sim.stats().byMethod.PUT ?? 0).toBe(0);
    expect(sim.stats().calls).toBeLessThanOrEqual(CONCURRENCY);
    expect(existsSync(join(ws, "plans", "p", "alma", "results.json"))).toBe(false);
  });
});

describe("the CLI with a refused key", { timeout: 30_000 }, () => {
  it("exits 1 with one message and no failure per patron", async () => {
    sim = await startAlmaSimulator({ apiKey: RIGHT, keyRefusal: "400-text" });
    const ws = workspace();
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      const child = spawn(
        process.execPath,
        [
          "--import",
          pathToFileURL(resolve("node_modules/tsx/dist/loader.mjs")).href,
          resolve("src/cli.ts"),
          "plan",
        ],
        { cwd: ws, env: { PATH: process.env.PATH, ALMA_API_KEY: WRONG, ALMA_BASE_URL: sim!.url } },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("exit", (code) => done({ code, stdout, stderr }));
    });
    expect(r.code).toBe(1);
    const all = r.stdout + r.stderr;
    expect(all.match(/refused the API key/g)).toHaveLength(1);
    expect(all).toContain("Invalid API Key");
    expect(all).not.toMatch(/X\d+/); // no patron is named
    expect(all).not.toContain(WRONG);
    expect(all).not.toContain("Nothing was sent");
    expect(sim.stats().calls).toBeLessThanOrEqual(CONCURRENCY);
  });
});
