import { getEventListeners } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createTransport, type Transport, type TransportOptions } from "../../src/alma/transport.ts";
import { QuotaExhaustedError, TransportError } from "../../src/alma/transport-errors.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { fixture } from "../helpers/fixtures.ts";

/** A tiny Alma stand-in: `handle` gets the 1-based request number. Records arrivals and concurrency. */
interface TestServer {
  url: string;
  arrivals: number[];
  requests: { method: string; url: string; authorization: string | undefined }[];
  readonly count: number;
  readonly maxActive: number;
  close(): Promise<void>;
}

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(
  handle: (n: number, req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestServer> {
  let count = 0;
  let active = 0;
  let maxActive = 0;
  const arrivals: number[] = [];
  const requests: TestServer["requests"] = [];
  const server = createServer((req, res) => {
    arrivals.push(performance.now());
    requests.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization });
    active++;
    maxActive = Math.max(maxActive, active);
    res.on("close", () => active--);
    req.resume();
    handle(++count, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const s: TestServer = {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    requests,
    get count() {
      return count;
    },
    get maxActive() {
      return maxActive;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(s);
  return s;
}

function reply(res: ServerResponse, status: number, body = "<user/>", headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/xml", ...headers });
  res.end(body);
}

const SECRET = "l7xx0123456789SECRETKEY";

/** Fast, recorded backoff: the sleeps return at once; the pacer still paces in real time. */
function setup(extra: Partial<TransportOptions> = {}) {
  const sleeps: number[] = [];
  /** stats().rate at each backoff wait: what the pacer was set to before the call went again. */
  const ratesWhileWaiting: number[] = [];
  const log = memoryLogger();
  const transport: Transport = createTransport({
    rateLimit: 200,
    concurrency: 10,
    maxAttempts: 5,
    timeoutMs: 5_000,
    minRemaining: 0,
    random: () => 1,
    sleep: (ms) => {
      sleeps.push(ms);
      ratesWhileWaiting.push(transport.stats().rate);
      return Promise.resolve();
    },
    log,
    ...extra,
  });
  return { transport, sleeps, ratesWhileWaiting, log };
}

const get = (url: string, extra: { signal?: AbortSignal; headers?: Record<string, string> } = {}) => ({
  method: "GET" as const,
  url,
  headers: { Authorization: `apikey ${SECRET}`, Accept: "application/xml", ...extra.headers },
  ...(extra.signal && { signal: extra.signal }),
});

describe("transport: pacing", () => {
  it("spreads calls evenly at rateLimit: no burst in any window", async () => {
    const server = await serve((_n, _req, res) => reply(res, 200));
    // Warm fetch up first: its first use loads undici and can delay one request into the next one's slot.
    await (await fetch(`${server.url}/warm-up`)).text();
    server.arrivals.length = 0;
    const rate = 40; // one every 25 ms
    const { transport } = setup({ rateLimit: rate, concurrency: 10 });
    const n = 16;
    await Promise.all(Array.from({ length: n }, (_, i) => transport.send(get(`${server.url}/u/${i}`))));
    const t = server.arrivals;
    expect(t).toHaveLength(n);
    // The exact spacing is proven on a fake clock in pacer.test.ts. Here, end to end and on the real clock,
    // any window holds at most ceil(rate × window) + 1 calls, + 1 more for the event-loop jitter of a busy CI
    // machine in the server's own timestamps. Unpaced, 10 of these calls would arrive in the same millisecond.
    for (const windowMs of [100, 250]) {
      const allowed = Math.ceil((rate * windowMs) / 1000) + 2;
      for (const start of t) {
        const inWindow = t.filter((x) => x >= start && x < start + windowMs).length;
        expect(inWindow, `calls within ${windowMs} ms`).toBeLessThanOrEqual(allowed);
      }
    }
    // Spread, not bunched: the whole run spans (n-1) spacings, give or take arrival jitter.
    expect(t[n - 1]! - t[0]!).toBeGreaterThanOrEqual((n - 1) * 25 * 0.8);
    expect(transport.stats().calls).toBe(n);
  });

  it("keeps at most `concurrency` requests in flight", async () => {
    const server = await serve((_n, _req, res) => setTimeout(() => reply(res, 200), 40));
    const { transport } = setup({ rateLimit: 1000, concurrency: 3 });
    await Promise.all(Array.from({ length: 9 }, (_, i) => transport.send(get(`${server.url}/u/${i}`))));
    expect(server.count).toBe(9);
    expect(server.maxActive).toBe(3);
    expect(transport.stats().maxInFlight).toBe(3);
    expect(transport.stats().inFlight).toBe(0);
  });
});

describe("transport: 429 PER_SECOND_THRESHOLD", () => {
  it("retries the call, lowers the rate, then recovers it", async () => {
    const throttled = fixture("alma/errors/per_second_threshold.json");
    const server = await serve((n, _req, res) =>
      n === 1 ? reply(res, 429, throttled, { "content-type": "application/json" }) : reply(res, 200),
    );
    const { transport, sleeps, ratesWhileWaiting, log } = setup({
      rateLimit: 40,
      random: () => 0.5,
      throttle: { recoverAfter: 1 },
    });
    const first = await transport.send(get(`${server.url}/u/1`));
    expect(first.status).toBe(200);
    expect(first.attempts).toBe(2);
    expect(sleeps).toEqual([1000]); // waitMs × (0.5 + 0.5)
    expect(ratesWhileWaiting).toEqual([34]); // the pacer was slowed (×0.85) before the call went again
    let s = transport.stats();
    expect(s.status429).toBe(1);
    expect(s.throttled).toBe(1);
    expect(s.minRateSeen).toBe(34);
    expect(s.rate).toBe(35); // the pacer's rate; the retry's success already counted towards recovery
    expect(log.lines.join("\n")).toMatch(/PER_SECOND_THRESHOLD.*from 40\/s to 34\/s/);

    // Recovery: +1/s per success (recoverAfter 1), back to the ceiling and no further.
    for (let i = 0; i < 25; i++) await transport.send(get(`${server.url}/u/x${i}`));
    s = transport.stats();
    expect(s.rate).toBe(40);
    expect(s.calls).toBe(27);
    expect(s.retries).toBe(1);
  });

  it("bounds the 429 retries of one call: TransportError after throttle.maxRetries", async () => {
    const throttled = fixture("alma/errors/per_second_threshold.json");
    const server = await serve((_n, _req, res) =>
      reply(res, 429, throttled, { "content-type": "application/json" }),
    );
    const { transport } = setup({ maxAttempts: 2, throttle: { maxRetries: 3 } });
    const err = await transport.send(get(`${server.url}/u/1`)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).kind).toBe("throttled");
    expect((err as TransportError).attempts).toBe(4); // 429s do not use up maxAttempts (2)
    expect((err as TransportError).status).toBe(429);
    expect(server.count).toBe(4);
  });
});

describe("transport: retries", () => {
  it("retries 5xx with exponential backoff, then succeeds", async () => {
    const server = await serve((n, _req, res) =>
      n <= 2
        ? reply(res, 503, fixture("alma/errors/gateway_502.html"), { "content-type": "text/html" })
        : reply(res, 200),
    );
    const { transport, sleeps } = setup();
    const res = await transport.send(get(`${server.url}/u/1`));
    expect(res.status).toBe(200);
    expect(res.body).toBe("<user/>");
    expect(res.attempts).toBe(3);
    expect(sleeps).toEqual([250, 500]); // full jitter with random() = 1: the ceilings
    const s = transport.stats();
    expect(s.responses["5xx"]).toBe(2);
    expect(s.responses["2xx"]).toBe(1);
    expect(s.retries).toBe(2);
  });

  it("gives up on 5xx after maxAttempts with a TransportError carrying status, body and attempts", async () => {
    const server = await serve((_n, _req, res) => reply(res, 500, "<oops/>"));
    const { transport, sleeps } = setup({ maxAttempts: 4, backoff: { baseMs: 250, capMs: 600 } });
    const err = await transport.send(get(`${server.url}/u/1`)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    const te = err as TransportError;
    expect(te.message).toBe(
      "Alma kept answering HTTP 500 (Internal Server Error); gave up after 4 attempts.",
    );
    expect(te.kind).toBe("http");
    expect(te.status).toBe(500);
    expect(te.body).toBe("<oops/>");
    expect(te.attempts).toBe(4);
    expect(server.count).toBe(4);
    expect(sleeps).toEqual([250, 500, 600]); // capped
  });

  it("retries a connection reset", async () => {
    const server = await serve((n, req, res) => (n === 1 ? req.socket.destroy() : reply(res, 200)));
    const { transport } = setup();
    const res = await transport.send(get(`${server.url}/u/1`));
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(2);
    expect(transport.stats().networkErrors).toBe(1);
  });

  it("reports a connection that keeps failing as a network TransportError", async () => {
    const server = await serve((_n, req) => req.socket.destroy());
    const { transport } = setup({ maxAttempts: 3 });
    const err = (await transport.send(get(`${server.url}/u/1`)).catch((e: unknown) => e)) as TransportError;
    expect(err).toBeInstanceOf(TransportError);
    expect(err.kind).toBe("network");
    expect(err.attempts).toBe(3);
    expect(err.message).toMatch(/^Alma could not be reached: .+ \([A-Z_]+\); gave up after 3 attempts\.$/);
    expect(server.count).toBe(3);
  });

  it("retries a timeout", async () => {
    const server = await serve((n, _req, res) => {
      if (n > 1) reply(res, 200); // the first request is never answered
    });
    const { transport } = setup({ timeoutMs: 150 });
    const res = await transport.send(get(`${server.url}/u/1`));
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(2);
    expect(transport.stats().timeouts).toBe(1);
  });

  it("returns a 400 business error once, without retrying", async () => {
    const body = fixture("alma/errors/user_401851.xml");
    const server = await serve((_n, _req, res) => reply(res, 400, body));
    const { transport, sleeps } = setup();
    const res = await transport.send({ ...get(`${server.url}/u/1`), method: "PUT", body: "<user/>" });
    expect(res.status).toBe(400);
    expect(res.body).toBe(body);
    expect(res.attempts).toBe(1);
    expect(server.count).toBe(1);
    expect(server.requests[0]!.method).toBe("PUT");
    expect(sleeps).toEqual([]);
  });
});

describe("transport: daily quota", () => {
  it("stops cleanly when X-Exl-Api-Remaining falls below minRemaining; calls in flight complete", async () => {
    let held: (() => void)[] = [];
    const server = await serve((_n, _req, res) => {
      held.push(() => reply(res, 200, "<user/>", { "X-Exl-Api-Remaining": "4999" }));
      if (held.length === 3) {
        for (const r of held) r();
        held = [];
      }
    });
    const { transport, log } = setup({ minRemaining: 5000, concurrency: 3 });
    const inFlight = await Promise.all([1, 2, 3].map((i) => transport.send(get(`${server.url}/u/${i}`))));
    expect(inFlight.map((r) => r.status)).toEqual([200, 200, 200]);
    const later = await transport.send(get(`${server.url}/u/4`)).catch((e: unknown) => e);
    expect(later).toBeInstanceOf(QuotaExhaustedError);
    expect((later as QuotaExhaustedError).remaining).toBe(4999);
    expect((later as QuotaExhaustedError).message).toMatch(
      /4999 calls left today, below alma\.min_remaining \(5000\)/,
    );
    await expect(transport.send(get(`${server.url}/u/5`))).rejects.toBeInstanceOf(QuotaExhaustedError);
    expect(server.count).toBe(3);
    expect(transport.stats()).toMatchObject({ lastRemaining: 4999, quotaExhausted: true });
    expect(log.lines.filter((l) => l.includes("quota"))).toHaveLength(1);
  });

  it("tracks the latest X-Exl-Api-Remaining while above the minimum", async () => {
    const server = await serve((n, _req, res) =>
      reply(res, 200, "<user/>", { "X-Exl-Api-Remaining": String(9000 - n) }),
    );
    const { transport } = setup({ minRemaining: 5000 });
    await transport.send(get(`${server.url}/u/1`));
    await transport.send(get(`${server.url}/u/2`));
    expect(transport.stats()).toMatchObject({ lastRemaining: 8998, quotaExhausted: false });
  });

  it("DAILY_THRESHOLD: QuotaExhaustedError for this call and every later one", async () => {
    const server = await serve((_n, _req, res) =>
      reply(res, 429, fixture("alma/errors/daily_threshold.xml")),
    );
    const { transport } = setup();
    const err = await transport.send(get(`${server.url}/u/1`)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuotaExhaustedError);
    expect((err as QuotaExhaustedError).reason).toBe("daily-threshold");
    expect((err as QuotaExhaustedError).remaining).toBe(0);
    await expect(transport.send(get(`${server.url}/u/2`))).rejects.toBeInstanceOf(QuotaExhaustedError);
    expect(server.count).toBe(1);
    expect(transport.stats().rate).toBe(200); // not a per-second throttle
  });
});

describe("transport: DAILY_THRESHOLD in any status (issue #19)", () => {
  it("a 400 (JSON) or a 500 (XML) carrying it stops like the 429: not retried, every later call refused", async () => {
    for (const [status, body] of [
      [
        400,
        '{"errorsExist":true,"errorList":{"error":[{"errorCode":"DAILY_THRESHOLD","errorMessage":"Daily API Request Threshold has been reached."}]},"result":null}',
      ],
      [500, fixture("alma/errors/daily_threshold.xml")],
    ] as const) {
      const server = await serve((_n, _req, res) => reply(res, status, body));
      const { transport } = setup();
      const err = await transport.send(get(`${server.url}/u/1`)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QuotaExhaustedError);
      expect((err as QuotaExhaustedError).reason).toBe("daily-threshold");
      await expect(transport.send(get(`${server.url}/u/2`))).rejects.toBeInstanceOf(QuotaExhaustedError);
      expect(server.count).toBe(1);
    }
  });

  it("a user record that mentions it is not one", async () => {
    const server = await serve((_n, _req, res) =>
      reply(res, 200, "<user><user_note><note_text>DAILY_THRESHOLD</note_text></user_note></user>"),
    );
    const { transport } = setup();
    expect((await transport.send(get(`${server.url}/u/1`))).status).toBe(200);
  });
});

describe("transport: secrets", () => {
  const leaks = (err: unknown, log: { lines: string[] }) =>
    [String(err), (err as Error).message, (err as Error).stack ?? "", JSON.stringify(err), ...log.lines].some(
      (s) => s.includes(SECRET),
    );

  it("never puts the Authorization header or an apikey parameter in an error or the log", async () => {
    const server = await serve((_n, _req, res) => reply(res, 503, "<busy/>"));
    const { transport, log } = setup({ maxAttempts: 2 });
    const err = (await transport
      .send(get(`${server.url}/u/1?apikey=${SECRET}&view=full`))
      .catch((e: unknown) => e)) as TransportError;
    expect(err).toBeInstanceOf(TransportError);
    expect(server.requests[0]!.authorization).toBe(`apikey ${SECRET}`); // it was sent...
    expect(leaks(err, log)).toBe(false); // ...and is nowhere in what we say
    expect(err.url).toBe(`${server.url}/u/1?view=full`);
  });

  it("does not pass on fetch's own message, which may quote a header value", async () => {
    const { transport, log } = setup();
    const err = (await transport
      .send(get("http://127.0.0.1:9/u/1", { headers: { Authorization: `apikey ${SECRET}\nbroken` } }))
      .catch((e: unknown) => e)) as TransportError;
    expect(err).toBeInstanceOf(TransportError);
    expect(err.kind).toBe("unsendable");
    expect(err.attempts).toBe(1);
    expect(err.cause).toBeUndefined();
    expect(leaks(err, log)).toBe(false);
  });
});

describe("transport: abort and idle", () => {
  it("an abort during the backoff wait stops retrying with an AbortError", async () => {
    const server = await serve((_n, _req, res) => reply(res, 503, "<busy/>"));
    const ac = new AbortController();
    const { transport } = setup({
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener("abort", () => reject(new Error("sleep aborted")));
          ac.abort();
        }),
    });
    const err = await transport
      .send(get(`${server.url}/u/1`, { signal: ac.signal }))
      .catch((e: unknown) => e);
    expect((err as Error).name).toBe("AbortError");
    expect(server.count).toBe(1);
  });

  it("an abort while waiting for a slot sends nothing; onIdle waits for the call in flight", async () => {
    const server = await serve((_n, _req, res) => setTimeout(() => reply(res, 200), 80));
    const { transport } = setup({ concurrency: 1 });
    const ac = new AbortController();
    const first = transport.send(get(`${server.url}/u/1`));
    const second = transport.send(get(`${server.url}/u/2`, { signal: ac.signal }));
    setTimeout(() => ac.abort(), 20);
    await expect(second).rejects.toMatchObject({ name: "AbortError" });
    expect(transport.stats().inFlight).toBe(1);
    await transport.onIdle();
    expect(transport.stats().inFlight).toBe(0);
    expect((await first).status).toBe(200);
    expect(server.count).toBe(1);
  });

  it("keeps one listener on a signal shared by many concurrent calls (no MaxListeners warning)", async () => {
    const ac = new AbortController();
    let seenAtTenth: { listeners: number; inFlight: number } | undefined;
    const { transport } = setup({ rateLimit: 1000, concurrency: 16 });
    const server = await serve((n, _req, res) => {
      if (n === 10)
        seenAtTenth = {
          listeners: getEventListeners(ac.signal, "abort").length,
          inFlight: transport.stats().inFlight,
        };
      setTimeout(() => reply(res, 200), 30);
    });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          transport.send(get(`${server.url}/u/${i}`, { signal: ac.signal })),
        ),
      );
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    } finally {
      process.off("warning", onWarning);
    }
    // While 40 calls were under way (30 or more not yet answered), the caller's signal had one listener.
    expect(seenAtTenth?.listeners).toBe(1);
    expect(seenAtTenth?.inFlight).toBeGreaterThan(1);
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
    expect(warnings).toEqual([]);
  });

  it("an already aborted signal sends nothing", async () => {
    const server = await serve((_n, _req, res) => reply(res, 200));
    const { transport } = setup();
    await expect(
      transport.send(get(`${server.url}/u/1`, { signal: AbortSignal.abort() })),
    ).rejects.toMatchObject({
      name: "AbortError",
    });
    expect(server.count).toBe(0);
  });
});
