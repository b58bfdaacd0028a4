import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Pacer, RateController } from "../../src/alma/pacer.ts";

describe("RateController (AIMD, fake clock)", () => {
  it("lowers the rate to 70% on PER_SECOND_THRESHOLD, not below the floor of 1/s", () => {
    const c = new RateController({ rateLimit: 20 });
    expect(c.rate).toBe(20);
    const rates: number[] = [];
    for (let t = 0; t < 20_000; t += 2_000) if (c.throttled(t, t + 10)) rates.push(c.rate);
    expect(rates).toEqual([14, 9.8, 6.9, 4.8, 3.4, 2.4, 1.7, 1.2, 1]);
    expect(c.throttled(30_000, 30_010)).toBe(false); // already at the floor
    expect(c.rate).toBe(1);
  });

  it("counts one overload once: refusals of calls sent before or just after a decrease do not lower it again", () => {
    const c = new RateController({ rateLimit: 20, holdMs: 1000 });
    expect(c.throttled(100, 200)).toBe(true);
    expect(c.throttled(150, 210)).toBe(false); // sent before the decrease
    expect(c.throttled(900, 950)).toBe(false); // sent within the hold after it
    expect(c.rate).toBe(14);
    expect(c.throttled(1_300, 1_350)).toBe(true); // sent after the hold: new evidence
    expect(c.rate).toBe(9.8);
  });

  it("recovers quickly to 90% of the rate refused, then by +1/s per `rate` successes, up to the limit", () => {
    const c = new RateController({ rateLimit: 40 });
    c.throttled(0, 1_000); // refused at 40: 40 → 28 at t=1000
    expect(c.rate).toBe(28);
    for (let i = 0; i < 50; i++) expect(c.succeeded(999)).toBe(false); // sent before the decrease: no evidence
    const steps: [number, number][] = []; // [rate reached, successes it took]
    let n = 0;
    for (let i = 0; i < 1_000; i++) {
      n++;
      if (c.succeeded(2_000 + i)) {
        steps.push([c.rate, n]);
        n = 0;
      }
    }
    expect(steps).toEqual([
      // below 36 (90% of 40): a quarter of the rate per step
      [29, 7],
      [30, 8],
      [31, 8],
      [32, 8],
      [33, 8],
      [34, 9],
      [35, 9],
      [36, 9],
      // from 36: the rate per step, about one step a second
      [37, 36],
      [38, 37],
      [39, 38],
      [40, 39],
    ]);
    expect(c.rate).toBe(40);
  });

  it("takes recoverAfter, decreaseFactor and minRate", () => {
    const c = new RateController({ rateLimit: 10, recoverAfter: 2, decreaseFactor: 0.5, minRate: 2 });
    c.throttled(0, 0);
    expect(c.rate).toBe(5);
    expect(c.succeeded(5)).toBe(false);
    expect(c.succeeded(6)).toBe(true);
    expect(c.rate).toBe(6);
    for (let t = 2_000; t < 20_000; t += 2_000) c.throttled(t, t);
    expect(c.rate).toBe(2);
    expect(() => new RateController({ rateLimit: 10, decreaseFactor: 1 })).toThrow(RangeError);
  });
});

function gaps(ts: number[]): number[] {
  return ts.slice(1).map((t, i) => t - ts[i]!);
}

// p-queue runs on Date.now and setTimeout: with vitest's fake clock the spacing is exact and the tests instant.
describe("Pacer (p-queue, fake clock)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Queues `n` calls; each records when it started. */
  function queueCalls(
    pacer: Pacer,
    n: number,
    work: (i: number) => Promise<unknown> = () => Promise.resolve(),
  ) {
    const starts: number[] = [];
    const all = Promise.all(
      Array.from({ length: n }, (_, i) =>
        pacer.run(() => {
          starts.push(Date.now());
          return work(i);
        }),
      ),
    );
    return { starts, all };
  }

  it("spaces calls evenly at the rate: one every 1000/rate ms, no burst", async () => {
    const pacer = new Pacer({ rate: 50, concurrency: 10 });
    const { starts, all } = queueCalls(pacer, 12);
    await vi.advanceTimersByTimeAsync(1_000);
    await all;
    expect(gaps(starts)).toEqual(Array(11).fill(20));
  });

  it("never has more than `concurrency` calls running", async () => {
    const pacer = new Pacer({ rate: 1000, concurrency: 3 });
    let running = 0;
    let peak = 0;
    const { all } = queueCalls(pacer, 10, async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
    });
    await vi.advanceTimersByTimeAsync(1_000);
    await all;
    expect(peak).toBe(3);
    expect(pacer.maxInFlight).toBe(3);
    expect(pacer.inFlight).toBe(0);
  });

  it("moves waiting calls to a lower rate, none lost, none early", async () => {
    const pacer = new Pacer({ rate: 100, concurrency: 10 });
    const { starts, all } = queueCalls(pacer, 6, (i) => {
      if (i === 1) pacer.setRate(10); // 10 ms → 100 ms, while 4 calls wait
      return Promise.resolve(i);
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await all).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(gaps(starts)).toEqual([10, 100, 100, 100, 100]);
    expect(pacer.rate).toBe(10);
  });

  it("moves waiting calls to a higher rate", async () => {
    const pacer = new Pacer({ rate: 10, concurrency: 10 });
    const { starts, all } = queueCalls(pacer, 5, (i) => {
      if (i === 1) pacer.setRate(100);
      return Promise.resolve();
    });
    await vi.advanceTimersByTimeAsync(1_000);
    await all;
    expect(gaps(starts)).toEqual([100, 10, 10, 10]);
  });

  it("above 100/s (a local simulator) lets rate/100 calls through per 10 ms", async () => {
    const pacer = new Pacer({ rate: 5_000, concurrency: 1_000 });
    const { starts, all } = queueCalls(pacer, 200);
    await vi.advanceTimersByTimeAsync(1_000);
    await all;
    const perWindow = new Map<number, number>();
    for (const t of starts) perWindow.set(t - starts[0]!, (perWindow.get(t - starts[0]!) ?? 0) + 1);
    expect([...perWindow.entries()]).toEqual([
      [0, 50],
      [10, 50],
      [20, 50],
      [30, 50],
    ]);
  });

  it("rejects with the signal's reason when aborted while waiting, and runs nothing for it", async () => {
    const pacer = new Pacer({ rate: 10, concurrency: 1 });
    const ac = new AbortController();
    let ran = 0;
    const work = () => {
      ran++;
      return Promise.resolve();
    };
    const first = pacer.run(work);
    const second = pacer.run(work, { signal: ac.signal });
    const rejected = expect(second).rejects.toThrow("stop");
    ac.abort(new Error("stop"));
    await rejected;
    await first;
    await vi.advanceTimersByTimeAsync(1_000); // well past the next permission
    expect(ran).toBe(1);
  });
});
