/**
 * Hostile answers (issue #10 §6): an Alma answer over the cap fails that user only; reading stops at the
 * cap, so memory stays bounded whatever the server sends.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BodyTooLargeError, createHttpClient } from "../../src/alma/http.ts";
import { createTransport, MAX_ALMA_BODY } from "../../src/alma/transport.ts";
import { TransportError } from "../../src/alma/transport-errors.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { runPlan } from "../../src/run.ts";

const MB = 1024 * 1024;
const USER =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><user><record_type>PUBLIC</record_type><primary_id>P1</primary_id><account_type>INTERNAL</account_type><status>ACTIVE</status><user_identifiers/></user>';

let server: Server | undefined;
const dirs: string[] = [];
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A server that answers /BIG with up to 200 MB (chunked, no length; or with a declared length) and P1 with a record. */
async function hostile(): Promise<{ url: string; written: () => number }> {
  let written = 0;
  server = createServer((req, res) => {
    if (req.url?.includes("/P1")) {
      res.writeHead(200, { "Content-Type": "application/xml" }).end(USER);
      return;
    }
    if (req.url?.includes("/DECLARED")) {
      res.writeHead(200, { "Content-Type": "application/xml", "Content-Length": String(500 * MB) });
      res.write("<user>");
      return;
    }
    res.writeHead(200, { "Content-Type": "application/xml" });
    const chunk = Buffer.alloc(64 * 1024, "a");
    const pump = () => {
      while (written < 200 * MB && !res.destroyed) {
        written += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      res.end();
    };
    res.write("<user>");
    pump();
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, written: () => written };
}

describe("the cap on one Alma answer", () => {
  it("stops reading at the cap and drops the connection", async () => {
    const s = await hostile();
    const http = createHttpClient(1);
    try {
      const err = await http(`${s.url}/almaws/v1/users/BIG`, { method: "GET", maxBytes: MB }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(BodyTooLargeError);
      await new Promise((r) => setTimeout(r, 200));
      expect(s.written()).toBeLessThan(50 * MB); // the server was cut off long before its 200 MB
      const declared = await http(`${s.url}/almaws/v1/users/DECLARED`, { method: "GET", maxBytes: MB }).catch(
        (e: unknown) => e,
      );
      expect(declared).toBeInstanceOf(BodyTooLargeError);
    } finally {
      http.close();
    }
  });

  it("the transport fails that call once, unretried, with a plain sentence", async () => {
    const s = await hostile();
    const t = createTransport({
      rateLimit: 25,
      concurrency: 1,
      maxAttempts: 3,
      timeoutMs: 10_000,
      minRemaining: 0,
      maxBodyBytes: MB,
    });
    const err = (await t
      .send({ method: "GET", url: `${s.url}/almaws/v1/users/BIG` })
      .catch((e: unknown) => e)) as TransportError;
    expect(err).toBeInstanceOf(TransportError);
    expect(err.kind).toBe("too-large");
    expect(err.message).toContain("larger than 1,048,576 bytes");
    expect(t.stats().calls).toBe(1);
    expect(MAX_ALMA_BODY).toBe(4 * MB);
  });

  it("in a plan, only the user with the huge answer fails", async () => {
    const s = await hostile();
    const ws = mkdtempSync(join(tmpdir(), "ps-cap-"));
    dirs.push(ws);
    mkdirSync(join(ws, "data"));
    writeFileSync(join(ws, "data", "p.txt"), "BIG\nP1\n");
    writeFileSync(join(ws, "data", "b.txt"), "BIG|B1\nP1|B2\n");
    writeFileSync(
      join(ws, "patron-sync.yml"),
      "alma:\n  patrons: data/p.txt\n  barcodes: data/b.txt\n  check_holders: false\n",
    );
    const transport = createTransport({
      rateLimit: 25,
      concurrency: 2,
      maxAttempts: 2,
      timeoutMs: 10_000,
      minRemaining: 0,
    });
    const plan = await runPlan(
      { cwd: ws, env: { ALMA_API_KEY: "k", ALMA_BASE_URL: s.url }, log: memoryLogger(), out: "plans/p" },
      { alma: { transport } },
    );
    const entries = (
      JSON.parse(readFileSync(join(plan.planDir, "alma", "plan.json"), "utf8")) as {
        patrons: { primary_id: string; action: string; message: string }[];
      }
    ).patrons;
    expect(entries.map((e) => [e.primary_id, e.action])).toEqual([
      ["BIG", "failed"],
      ["P1", "add"],
    ]);
    expect(entries[0]!.message).toContain("larger than 4,194,304 bytes");
    expect(s.written()).toBeLessThan(50 * MB);
  });
});
