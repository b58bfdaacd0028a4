/**
 * The HTTP transport for Alma: institution-wide paced concurrency, retries, and the daily quota.
 *
 * - Every attempt (retries included) goes through one pacer: at most `rateLimit` calls/s, evenly spaced,
 *   at most `concurrency` in flight.
 * - 429 PER_SECOND_THRESHOLD (another integration is using the institution's budget, or we are too fast):
 *   the effective rate drops to 85%, the call waits about a second and is sent again (up to 20 times, not counted
 *   in `maxAttempts`); the rate then climbs back: quickly to 90% of the rate refused, slowly (1/s per 4 s) up to it, then 1/s a second.
 * - DAILY_THRESHOLD (with 429, 400 or any error status: retry.ts isDailyThreshold), or X-Exl-Api-Remaining
 *   below `minRemaining`: QuotaExhaustedError for the call
 *   that was refused and for every later call; calls already in flight complete normally.
 * - 5xx, timeouts and network failures: exponential backoff with full jitter, up to `maxAttempts` in all,
 *   then TransportError. Other 4xx are Alma's business errors: returned to the caller, never retried.
 *
 * Nothing here writes a header into a message, a log or an error: the Authorization header carries the key.
 */
import type { Logger } from "../core/log.ts";
import type { ProxySettings } from "../core/proxy.ts";
import { SignalLinks } from "../core/signals.ts";
import { BodyTooLargeError, createHttpClient, type HttpFetch } from "./http.ts";
import { Pacer, RateController } from "./pacer.ts";
import {
  backoffDelay,
  describeNetworkError,
  networkErrorCode,
  remainingOf,
  retryAfterMs,
  throttleDelay,
  isDailyThreshold,
  throttleKind,
  type BackoffOptions,
} from "./retry.ts";
import { QuotaExhaustedError, TransportError } from "./transport-errors.ts";
import { plural, seconds, statusText } from "./transport-text.ts";

/** The cap of one Alma answer: a user record is a few KB; 4 MB leaves room for any real one. */
export const MAX_ALMA_BODY = 4 * 1024 * 1024;

export interface TransportRequest {
  method: "GET" | "PUT" | "POST";
  url: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface TransportResponse {
  status: number;
  headers: Headers;
  body: string;
  /** HTTP requests this call took, 429 retries included. */
  attempts: number;
}

export interface ThrottleOptions {
  /** Multiplicative decrease of the effective rate on PER_SECOND_THRESHOLD. Default 0.85. */
  decreaseFactor?: number;
  /** Floor of the effective rate. Default 1/s. */
  minRate?: number;
  /**
   * Successful calls per +1/s of recovery. Default: a quarter of the current rate below 90% of the rate last
   * refused (about four steps a second), four times the current rate from there up to it (a step per four
   * seconds), the current rate beyond it (about one step a second).
   */
  recoverAfter?: number;
  /** How often one call may be refused with PER_SECOND_THRESHOLD before it fails. Default 20. */
  maxRetries?: number;
  /** A refused call waits waitMs × [0.5, 1.5) before it is sent again. Default 1000 ms. */
  waitMs?: number;
}

export interface TransportOptions {
  /** Calls per second, institution-wide (Alma: 25 max; we default 20). */
  rateLimit: number;
  /** Requests in flight. */
  concurrency: number;
  /** Attempts in all for 5xx, timeouts and connection failures. */
  maxAttempts: number;
  timeoutMs: number;
  /** Stop cleanly when X-Exl-Api-Remaining < this. */
  minRemaining: number;
  /** Longest answer read for one call (default MAX_ALMA_BODY); a longer one fails that call, unretried. */
  maxBodyBytes?: number;
  /** The HTTP client. Default: node:http/https with keep-alive (see http.ts); tests pass their own. */
  fetch?: HttpFetch;
  /** Proxies for the default HTTP client (HTTPS_PROXY, HTTP_PROXY, NO_PROXY); none when absent. */
  proxies?: ProxySettings;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Monotonic ms, for the rate control's timing. Pacing itself runs on p-queue's real clock. */
  now?: () => number;
  log?: Logger;
  backoff?: BackoffOptions;
  throttle?: ThrottleOptions;
}

export interface TransportStats {
  /** HTTP requests sent (every attempt). */
  calls: number;
  /** Responses received, by status class. 429s are in "4xx" too. */
  responses: Record<"1xx" | "2xx" | "3xx" | "4xx" | "5xx", number>;
  /** All 429 answers. */
  status429: number;
  /** 429 PER_SECOND_THRESHOLD answers (each lowered the rate or was part of the same overload). */
  throttled: number;
  /** Requests sent again (after a 429, a 5xx, a timeout or a network failure). */
  retries: number;
  /** Connection resets, refusals and other network failures. */
  networkErrors: number;
  /** Attempts that got no answer within timeoutMs. */
  timeouts: number;
  /** The effective rate now (what the pacer spaces calls at), calls per second. */
  rate: number;
  /** The configured ceiling. */
  rateLimit: number;
  /** The lowest effective rate so far. */
  minRateSeen: number;
  /** The latest X-Exl-Api-Remaining seen. */
  lastRemaining: number | undefined;
  inFlight: number;
  maxInFlight: number;
  /** True once the daily quota stop was hit. */
  quotaExhausted: boolean;
}

export interface Transport {
  send(req: TransportRequest): Promise<TransportResponse>;
  stats(): TransportStats;
  /** Settles when no call is waiting, in flight or between retries. */
  onIdle(): Promise<void>;
}

function abortError(): DOMException {
  return new DOMException("The call to Alma was aborted.", "AbortError");
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** What one HTTP attempt came to. */
type Outcome =
  | { kind: "response"; status: number; headers: Headers; body: string; sentAt: number }
  | { kind: "timeout"; sentAt: number }
  | { kind: "network"; code: string; error: unknown; sentAt: number }
  | { kind: "unsendable"; sentAt: number }
  | { kind: "too-large"; sentAt: number; maxBytes: number };

const TIMED_OUT = Symbol("timed out");

export function createTransport(opts: TransportOptions): Transport {
  if (!(Number.isInteger(opts.maxAttempts) && opts.maxAttempts >= 1))
    throw new RangeError("maxAttempts must be a whole number from 1");
  if (!(opts.timeoutMs > 0)) throw new RangeError("timeoutMs must be positive");
  const doFetch = opts.fetch ?? createHttpClient(opts.concurrency, opts.proxies);
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? (() => performance.now());
  const log = opts.log;
  const throttle = {
    maxRetries: opts.throttle?.maxRetries ?? 20,
    waitMs: opts.throttle?.waitMs ?? 1000,
  };
  const control = new RateController({
    rateLimit: opts.rateLimit,
    decreaseFactor: opts.throttle?.decreaseFactor,
    minRate: opts.throttle?.minRate,
    recoverAfter: opts.throttle?.recoverAfter,
  });
  const pacer = new Pacer({ rate: opts.rateLimit, concurrency: opts.concurrency });

  const counts = {
    calls: 0,
    responses: { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 },
    status429: 0,
    throttled: 0,
    retries: 0,
    networkErrors: 0,
    timeouts: 0,
  };
  let minRateSeen = opts.rateLimit;
  let lastRemaining: number | undefined;
  let quota: QuotaExhaustedError | undefined;

  // Throttle warnings: at most one line a minute, saying how many more there were.
  let lastThrottleLogAt = Number.NEGATIVE_INFINITY;
  let unloggedThrottles = 0;

  const signals = new SignalLinks();
  let active = 0;
  let idleWaiters: (() => void)[] = [];

  const stopForQuota = (err: QuotaExhaustedError): QuotaExhaustedError => {
    if (!quota) {
      quota = err;
      log?.warn(`alma: ${err.message}`);
    }
    return quota;
  };

  const noteRemaining = (headers: Headers) => {
    const remaining = remainingOf(headers);
    if (remaining === undefined) return;
    lastRemaining = remaining;
    if (remaining < opts.minRemaining)
      stopForQuota(new QuotaExhaustedError("below-minimum", remaining, opts.minRemaining));
  };

  const slowDown = (sentAt: number) => {
    const before = control.rate;
    if (control.throttled(sentAt, now())) {
      pacer.setRate(control.rate);
      minRateSeen = Math.min(minRateSeen, control.rate);
      unloggedThrottles++;
      const t = now();
      if (t - lastThrottleLogAt >= 60_000) {
        const more =
          unloggedThrottles > 1
            ? ` (slowed down ${plural(unloggedThrottles - 1, "more time")} since the last note)`
            : "";
        log?.warn(
          `alma: Alma says too many calls per second are being made across the institution (PER_SECOND_THRESHOLD); slowing down from ${before}/s to ${control.rate}/s and trying again${more}`,
        );
        lastThrottleLogAt = t;
        unloggedThrottles = 0;
      }
    }
  };

  const speedUp = (sentAt: number) => {
    if (control.succeeded(sentAt)) pacer.setRate(control.rate);
  };

  /** One HTTP request, inside a pacer slot. Never throws for HTTP or network trouble: it says what happened. */
  const attempt = async (req: TransportRequest, tally: { attempts: number }): Promise<Outcome> => {
    if (quota) throw quota;
    const { signal } = req;
    if (signal?.aborted) throw abortError();
    tally.attempts++;
    counts.calls++;
    const sentAt = now();
    // The caller's signal (an interrupt, a refused key) stops new calls and retries, not this one: once
    // sent, a call is given its answer (up to the timeout), so that a PUT that reached Alma is recorded as
    // done rather than left unknown. Only the timeout cuts it short.
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(TIMED_OUT), opts.timeoutMs);
    try {
      const res = await doFetch(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: ac.signal,
        redirect: "manual",
        maxBytes: opts.maxBodyBytes ?? MAX_ALMA_BODY,
      });
      const body = await res.text();
      return { kind: "response", status: res.status, headers: res.headers, body, sentAt };
    } catch (err) {
      if (ac.signal.aborted && ac.signal.reason === TIMED_OUT) return { kind: "timeout", sentAt };
      if (err instanceof BodyTooLargeError) return { kind: "too-large", sentAt, maxBytes: err.maxBytes };
      const code = networkErrorCode(err);
      if (code) return { kind: "network", code, error: err, sentAt };
      // Not a network failure: a bad URL or header value. Its message may quote a header: drop it.
      return { kind: "unsendable", sentAt };
    } finally {
      clearTimeout(timer);
    }
  };

  const sendOnce = async (req: TransportRequest): Promise<TransportResponse> => {
    const { signal } = req;
    const tally = { attempts: 0 };
    let failures = 0;
    let throttles = 0;
    const fail = (
      message: string,
      details: Omit<ConstructorParameters<typeof TransportError>[1], "attempts" | "method" | "url">,
    ) =>
      new TransportError(message, { ...details, attempts: tally.attempts, method: req.method, url: req.url });
    const gaveUp = () => `gave up after ${plural(tally.attempts, "attempt")}.`;

    for (;;) {
      if (signal?.aborted) throw abortError();
      if (quota) throw quota;
      let outcome: Outcome;
      try {
        outcome = await pacer.run(() => attempt(req, tally), {
          signal,
          priority: tally.attempts > 0 ? 1 : 0,
        });
      } catch (err) {
        if (signal?.aborted) throw abortError();
        throw err;
      }

      let wait: number;
      switch (outcome.kind) {
        case "response": {
          const { status, headers, body } = outcome;
          const cls =
            `${Math.min(Math.max(Math.floor(status / 100), 1), 5)}xx` as keyof typeof counts.responses;
          counts.responses[cls]++;
          noteRemaining(headers);
          // DAILY_THRESHOLD in whatever status it comes (400 as well as 429): the run stops, as for a 429.
          if (status >= 400 && status !== 429 && isDailyThreshold(body)) {
            throw stopForQuota(
              new QuotaExhaustedError("daily-threshold", remainingOf(headers) ?? 0, opts.minRemaining),
            );
          }
          if (status === 429) {
            counts.status429++;
            if (throttleKind(body) === "daily") {
              throw stopForQuota(
                new QuotaExhaustedError("daily-threshold", remainingOf(headers) ?? 0, opts.minRemaining),
              );
            }
            counts.throttled++;
            throttles++;
            slowDown(outcome.sentAt);
            if (throttles > throttle.maxRetries) {
              throw fail(
                `Alma kept refusing the call because too many calls per second were being made across the institution (PER_SECOND_THRESHOLD); ${gaveUp()}`,
                { kind: "throttled", status, body },
              );
            }
            wait = retryAfterMs(headers) ?? throttleDelay(random, throttle.waitMs);
            break;
          }
          if (status >= 500) {
            failures++;
            if (failures >= opts.maxAttempts) {
              throw fail(`Alma kept answering HTTP ${statusText(status)}; ${gaveUp()}`, {
                kind: "http",
                status,
                body,
              });
            }
            wait = Math.max(backoffDelay(failures, random, opts.backoff), retryAfterMs(headers) ?? 0);
            break;
          }
          speedUp(outcome.sentAt);
          return { status, headers, body, attempts: tally.attempts };
        }
        case "timeout":
          counts.timeouts++;
          failures++;
          if (failures >= opts.maxAttempts) {
            throw fail(`Alma did not answer within ${seconds(opts.timeoutMs)}; ${gaveUp()}`, {
              kind: "timeout",
            });
          }
          wait = backoffDelay(failures, random, opts.backoff);
          break;
        case "network":
          counts.networkErrors++;
          failures++;
          if (failures >= opts.maxAttempts) {
            throw fail(`Alma could not be reached: ${describeNetworkError(outcome.code)}; ${gaveUp()}`, {
              kind: "network",
              code: outcome.code,
              cause: outcome.error,
            });
          }
          wait = backoffDelay(failures, random, opts.backoff);
          break;
        case "too-large":
          throw fail(
            `Alma's answer was larger than ${outcome.maxBytes.toLocaleString("en-US")} bytes, the cap for one answer (a user record is a few KB); reading stopped there and it was not retried.`,
            { kind: "too-large" },
          );
        case "unsendable":
          throw fail(
            "The request to Alma could not be sent: it failed before reaching the network (an invalid URL or header value, for instance); it was not retried.",
            {
              kind: "unsendable",
            },
          );
      }
      counts.retries++;
      try {
        await sleep(wait, signal);
      } catch (err) {
        if (signal?.aborted) throw abortError();
        throw err;
      }
    }
  };

  return {
    async send(req) {
      active++;
      const link = signals.link(req.signal);
      try {
        return await sendOnce({ ...req, signal: link.signal });
      } finally {
        link.unlink();
        active--;
        if (active === 0) {
          const waiters = idleWaiters;
          idleWaiters = [];
          for (const w of waiters) w();
        }
      }
    },
    stats() {
      return {
        calls: counts.calls,
        responses: { ...counts.responses },
        status429: counts.status429,
        throttled: counts.throttled,
        retries: counts.retries,
        networkErrors: counts.networkErrors,
        timeouts: counts.timeouts,
        rate: pacer.rate,
        rateLimit: opts.rateLimit,
        minRateSeen,
        lastRemaining,
        inFlight: pacer.inFlight,
        maxInFlight: pacer.maxInFlight,
        quotaExhausted: quota !== undefined,
      };
    },
    onIdle() {
      if (active === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
