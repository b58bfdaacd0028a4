/**
 * Pacing for every call to Alma: one pacer per transport, so one institution-wide budget.
 *
 * Two p-queues do the work:
 * - `slots` (concurrency N) bounds how many calls are in flight;
 * - `tokens` (intervalCap 1 per 1000/rate ms, strict sliding window) spaces the calls evenly: no burst
 *   at second boundaries. Its task is a no-op: finishing it is the permission to send. (Above 100/s, only
 *   for a local simulator, the window is 10 ms with rate/100 calls in it: timers are not finer.)
 * p-queue cannot change `interval` at run time, so a rate change swaps in a new token queue: the calls
 * waiting on the old one are moved over (their waits are aborted with a private reason and re-queued).
 *
 * `RateController` holds the arithmetic of the effective rate (AIMD), with no timers: ×0.85 on
 * PER_SECOND_THRESHOLD, then add back +1/s per quarter second's worth of clean calls up to 90% of the rate
 * that was refused (known to be nearly fine), +1/s per four seconds' worth across the last 10% (a plateau
 * where the refusal was, as TCP CUBIC does, so another integration sharing the budget sees few 429s), and
 * +1/s per second's worth beyond it, up to the configured rate.
 */
import { setMaxListeners } from "node:events";
import PQueue from "p-queue";

export interface RateControlOptions {
  /** The configured ceiling, calls per second. */
  rateLimit: number;
  /**
   * Multiplicative decrease on PER_SECOND_THRESHOLD. Default 0.85. Measured against the simulator with
   * another integration taking 10 of the 25 calls/s (`npm run bench -- --only competing`), with the plateau
   * below: 0.7 used 88–89% of the 15/s left, 0.8 90–94%, 0.85 93–95%; the other integration still got
   * 98.5–99% of its calls through in every case.
   */
  decreaseFactor?: number;
  /** The floor of the effective rate. Default 1/s (or rateLimit, if that is lower). */
  minRate?: number;
  /**
   * Successful calls per +1/s step of recovery. Default: a quarter of the current rate (about four steps a
   * second) below 90% of the rate last refused, four times the current rate (a step per four seconds) from
   * there up to the rate refused, and the current rate (about a step a second) beyond it.
   */
  recoverAfter?: number;
  /**
   * After a decrease, further PER_SECOND_THRESHOLD answers to calls sent less than this long after it are
   * the same overload (Alma counts per second), not new evidence: they do not decrease again. Default 1000 ms.
   */
  holdMs?: number;
}

/** AIMD for the effective rate. Times are from one clock (the transport's `now`), in ms. */
export class RateController {
  readonly rateLimit: number;
  readonly minRate: number;
  readonly decreaseFactor: number;
  readonly holdMs: number;
  private readonly recoverAfter: number | undefined;
  private current: number;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  /** The rate in effect when Alma last refused a call. */
  private refusedAt = Number.POSITIVE_INFINITY;
  private successes = 0;

  constructor(opts: RateControlOptions) {
    if (!(opts.rateLimit > 0)) throw new RangeError("rateLimit must be a positive number");
    this.rateLimit = opts.rateLimit;
    this.minRate = Math.min(opts.minRate ?? 1, opts.rateLimit);
    this.decreaseFactor = opts.decreaseFactor ?? 0.85;
    if (!(this.decreaseFactor > 0 && this.decreaseFactor < 1))
      throw new RangeError("decreaseFactor must be between 0 and 1");
    this.holdMs = opts.holdMs ?? 1000;
    this.recoverAfter = opts.recoverAfter;
    this.current = opts.rateLimit;
  }

  get rate(): number {
    return this.current;
  }

  /**
   * A call sent at `sentAt` was refused with PER_SECOND_THRESHOLD at `now`.
   * Returns true when the rate was lowered.
   */
  throttled(sentAt: number, now: number): boolean {
    if (sentAt < this.lastDecreaseAt + this.holdMs) return false;
    this.lastDecreaseAt = now;
    this.refusedAt = this.current;
    this.successes = 0;
    const next = Math.max(this.minRate, round1(this.current * this.decreaseFactor));
    if (next === this.current) return false;
    this.current = next;
    return true;
  }

  /** A call sent at `sentAt` was not throttled. Returns true when the rate was raised. */
  succeeded(sentAt: number): boolean {
    if (this.current >= this.rateLimit || sentAt < this.lastDecreaseAt) return false;
    this.successes++;
    const needed = this.recoverAfter ?? Math.ceil(this.current * this.stepSeconds());
    if (this.successes < needed) return false;
    this.successes = 0;
    this.current = Math.min(this.rateLimit, this.current + 1);
    return true;
  }

  /**
   * Seconds' worth of clean calls per +1/s step: fast back to 90% of the rate last refused (known to be
   * nearly fine), slow across the last 10% below it (where the refusal was: a plateau, as TCP CUBIC does),
   * and back to one step a second once past it (the budget has grown).
   */
  private stepSeconds(): number {
    if (this.current < this.refusedAt * 0.9) return 0.25;
    if (this.current < this.refusedAt) return PLATEAU_STEP_SECONDS;
    return 1;
  }
}

/** Seconds' worth of clean calls per step across the plateau (see stepSeconds). */
const PLATEAU_STEP_SECONDS = 4;

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

export interface PacerOptions {
  /** Calls per second, spaced evenly. */
  rate: number;
  /** Calls in flight at most. */
  concurrency: number;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Higher runs first (retries go ahead of first attempts). */
  priority?: number;
}

/** Why a wait on a retired token queue was aborted: move to the new queue. */
const RETIRED = Symbol("token queue retired");

interface TokenQueue {
  queue: PQueue;
  retire: AbortController;
}

export class Pacer {
  readonly concurrency: number;
  private readonly slots: PQueue;
  private tokens: TokenQueue;
  private currentRate: number;
  /** When the last permission to send was given, on p-queue's clock (Date.now). */
  private lastTokenAt = Number.NEGATIVE_INFINITY;
  private inFlightNow = 0;
  private inFlightMax = 0;

  constructor(opts: PacerOptions) {
    if (!(opts.rate > 0)) throw new RangeError("rate must be a positive number");
    if (!(Number.isInteger(opts.concurrency) && opts.concurrency >= 1))
      throw new RangeError("concurrency must be a whole number from 1");
    this.concurrency = opts.concurrency;
    this.currentRate = opts.rate;
    this.slots = new PQueue({ concurrency: opts.concurrency });
    this.tokens = this.tokenQueue(opts.rate);
  }

  /** The rate calls are being spaced at now. */
  get rate(): number {
    return this.currentRate;
  }

  /** Calls running `fn` right now. */
  get inFlight(): number {
    return this.inFlightNow;
  }

  /** The most calls that were ever running `fn` at once. */
  get maxInFlight(): number {
    return this.inFlightMax;
  }

  /** Space calls at a new rate from now on, including the calls already waiting. */
  setRate(rate: number): void {
    if (!(rate > 0)) throw new RangeError("rate must be a positive number");
    if (rate === this.currentRate) return;
    const old = this.tokens;
    this.currentRate = rate;
    this.tokens = this.tokenQueue(rate);
    old.retire.abort(RETIRED);
  }

  /**
   * Waits for a slot and for the next permission to send, then runs `fn` holding the slot.
   * Rejects with the signal's reason if it aborts first. Once `fn` has started, the signal no longer
   * cuts it short (a call that has been sent is given its answer): `fn` runs to its end.
   */
  run<T>(fn: () => Promise<T>, opts: RunOptions = {}): Promise<T> {
    const priority = opts.priority ?? 0;
    const { signal } = opts;
    // p-queue's signal also rejects a task already running; this one follows `signal` only while waiting.
    const waiting = new AbortController();
    const onAbort = () => waiting.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    const unlink = () => signal?.removeEventListener("abort", onAbort);
    return this.slots
      .add(
        async () => {
          await this.token(priority);
          signal?.throwIfAborted();
          unlink();
          this.inFlightNow++;
          this.inFlightMax = Math.max(this.inFlightMax, this.inFlightNow);
          try {
            return await fn();
          } finally {
            this.inFlightNow--;
          }
        },
        { signal: waiting.signal, priority },
      )
      .finally(unlink);
  }

  /** Settles when nothing is waiting or running. */
  onIdle(): Promise<void> {
    return this.slots.onIdle();
  }

  private tokenQueue(rate: number): TokenQueue {
    // One call per 1000/rate ms. Timers are not finer than a millisecond or so, so above 100/s (only a
    // local simulator goes there) the window holds rate/100 calls per 10 ms instead.
    const intervalCap = Math.max(1, Math.floor(rate / 100));
    const interval = (intervalCap * 1000) / rate;
    const queue = new PQueue({ intervalCap, interval, strict: true });
    // The last call given leave by the previous queue counts against this one too, so that a swap
    // never lets two calls out closer together than the new spacing.
    if (Date.now() - this.lastTokenAt < interval) void queue.add(() => undefined);
    const retire = new AbortController();
    // Every call waiting for leave listens to it: up to `concurrency` listeners, by design.
    setMaxListeners(0, retire.signal);
    return { queue, retire };
  }

  private async token(priority: number): Promise<void> {
    for (;;) {
      const current = this.tokens;
      try {
        await current.queue.add(
          () => {
            this.lastTokenAt = Date.now();
          },
          { signal: current.retire.signal, priority },
        );
        return;
      } catch (err) {
        if (err !== RETIRED) throw err;
        // The rate changed while waiting: wait on the new queue instead.
      }
    }
  }
}
