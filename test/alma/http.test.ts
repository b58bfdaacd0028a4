import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpClient } from "../../src/alma/http.ts";
import { networkErrorCode } from "../../src/alma/retry.ts";

let server: Server | undefined;
const clients: { close(): void }[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A loopback server; returns its base URL and the requests and connections it saw. */
async function serve(
  handler: (req: IncomingMessage, body: string, res: ServerResponse, socket: Socket) => void,
) {
  const seen: { method?: string; url?: string; headers: IncomingMessage["headers"]; body: string }[] = [];
  let connections = 0;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      handler(req, body, res, req.socket);
    });
  });
  server.on("connection", () => connections++);
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, connections: () => connections };
}

function client() {
  const c = createHttpClient(4);
  clients.push(c);
  return c;
}

describe("the Alma HTTP client (node:http, keep-alive)", () => {
  it("returns status, headers and a UTF-8 body split mid-character across chunks", async () => {
    const text = "<user><last_name>Øster-Łukasiewicz 李</last_name></user>";
    const bytes = Buffer.from(text, "utf8");
    const cut = bytes.indexOf(Buffer.from("Ø", "utf8")) + 1; // inside the two bytes of Ø
    const { url } = await serve((_req, _body, res) => {
      res.writeHead(200, { "content-type": "application/xml", "X-Exl-Api-Remaining": "4999" });
      res.write(bytes.subarray(0, cut));
      setTimeout(() => res.end(bytes.subarray(cut)), 10);
    });
    const res = await client()(`${url}/almaws/v1/users/u1`, { method: "GET" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-exl-api-remaining")).toBe("4999");
    expect(res.headers.get("content-type")).toBe("application/xml");
    expect(await res.text()).toBe(text);
  });

  it("sends the method, headers and body of a PUT, with its byte length", async () => {
    const { url, seen } = await serve((_req, body, res) => res.end(body));
    const body = "<user><first_name>José</first_name></user>";
    const res = await client()(`${url}/almaws/v1/users/u1?user_id_type=all_unique`, {
      method: "PUT",
      headers: { Authorization: "apikey secret-key", "Content-Type": "application/xml" },
      body,
    });
    expect(await res.text()).toBe(body);
    expect(seen[0]).toMatchObject({
      method: "PUT",
      url: "/almaws/v1/users/u1?user_id_type=all_unique",
      body,
    });
    expect(seen[0]!.headers.authorization).toBe("apikey secret-key");
    expect(seen[0]!.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
  });

  it("reuses one connection for calls made one after another", async () => {
    const { url, connections } = await serve((_req, _b, res) => res.end("<user/>"));
    const c = client();
    for (let i = 0; i < 5; i++) await (await c(`${url}/u/${i}`, { method: "GET" })).text();
    expect(connections()).toBe(1);
  });

  it("does not follow redirects", async () => {
    const { url, seen } = await serve((_req, _b, res) => {
      res.writeHead(302, { location: "/elsewhere" });
      res.end();
    });
    const res = await client()(`${url}/u/1`, { method: "GET", redirect: "manual" });
    expect(res.status).toBe(302);
    expect(seen).toHaveLength(1);
  });

  it("a reset connection rejects like fetch: a TypeError whose cause names ECONNRESET", async () => {
    const { url } = await serve((_req, _b, _res, socket) => socket.destroy());
    const err = await client()(`${url}/u/1`, { method: "GET" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(networkErrorCode(err)).toBe("ECONNRESET");
  });

  it("an answer cut short rejects as a network failure, not a short body", async () => {
    const { url } = await serve((_req, _b, res, socket) => {
      res.writeHead(200, { "content-length": "5000" });
      res.write("<user><primary_id>");
      setTimeout(() => socket.destroy(), 10);
    });
    const err = await client()(`${url}/u/1`, { method: "GET" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(["ECONNRESET", "UND_ERR_SOCKET"]).toContain(networkErrorCode(err));
  });

  it("a refused connection names ECONNREFUSED", async () => {
    const { url } = await serve(() => undefined);
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const err = await client()(`${url}/u/1`, { method: "GET" }).catch((e: unknown) => e);
    expect(networkErrorCode(err)).toBe("ECONNREFUSED");
  });

  it("an abort rejects with the signal's reason and drops the request", async () => {
    const { url } = await serve(() => undefined); // never answers
    const ac = new AbortController();
    const pending = client()(`${url}/u/1`, { method: "GET", signal: ac.signal });
    setTimeout(() => ac.abort(new Error("timed out")), 20);
    await expect(pending).rejects.toThrow("timed out");
    const early = new AbortController();
    early.abort();
    await expect(client()(`${url}/u/1`, { method: "GET", signal: early.signal })).rejects.toMatchObject({
      name: "AbortError",
    });
  });
});
