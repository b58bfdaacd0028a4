import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Pacer, RateController } from "../../src/alma/pacer.ts";

describe("RateController (AIMD, fake clock)", () => {
  it("lowers the rate to 85% on PER_SECOND_THRESHOLD, not below the floor of 1/s", () => {
    const c = new RateController({ rateLimit: 20 });
    expect(c.rate).toBe(20);
    const rates: number[] = [];
    for (let t = 0; t < 60_000; t += 2_000) if (c.throttled(t, t + 10)) rates.push(c.rate);
    expect(rates).toEqual([
      17, 14.5, 12.3, 10.5, 8.9, 7.6, 6.5, 5.5, 4.7, 4, 3.4, 2.9, 2.5, 2.1, 1.8, 1.5, 1.3, 1.1, 1,
    ]);
    expect(c.throttled(70_000, 70_010)).toBe(false); // already at the floor
    expect(c.rate).toBe(1);
  });

  it("counts one overload once: refusals of calls sent before or just after a decrease do not lower it again", () => {
    const c = new RateController({ rateLimit: 20, holdMs: 1000 });
    expect(c.throttled(100, 200)).toBe(true);
    expect(c.throttled(150, 210)).toBe(false); // sent before the decrease
    expect(c.throttled(900, 950)).toBe(false); // sent within the hold after it
    expect(c.rate).toBe(17);
    expect(c.throttled(1_300, 1_350)).toBe(true); // sent after the hold: new evidence
    expect(c.rate).toBe(14.5);
  });

  /** Feeds `count` successes sent after `from`; returns [rate reached (1 decimal), successes it took] per step. */
  function recover(c: RateController, from: number, count: number): [number, number][] {
    const steps: [number, number][] = [];
    let n = 0;
    for (let i = 0; i < count; i++) {
      n++;
      if (c.succeeded(from + i)) {
        steps.push([Math.round(c.rate * 10) / 10, n]);
        n = 0;
      }
    }
    return steps;
  }

  it("recovers quickly to 90% of the rate refused, then slowly (a step per 4 s worth of calls) up to it", () => {
    const c = new RateController({ rateLimit: 40 });
    c.throttled(0, 1_000); // refused at 40: 40 → 34 at t=1000
    expect(c.rate).toBe(34);
    for (let i = 0; i < 50; i++) expect(c.succeeded(999)).toBe(false); // sent before the decrease: no evidence
    expect(recover(c, 2_000, 1_000)).toEqual([
      // below 36 (90% of 40): a quarter of the rate per step, about four steps a second
      [35, 9], // ceil(34 / 4)
      [36, 9], // ceil(35 / 4)
      // from 36 up to 40, where Alma refused: four times the rate per step, about one step in four seconds
      [37, 144],
      [38, 148],
      [39, 152],
      [40, 156],
    ]);
    expect(c.rate).toBe(40);
    expect(c.succeeded(5_000)).toBe(false); // at the ceiling: no further
  });

  it("past the rate last refused, probes at a step a second up to the configured ceiling", () => {
    const c = new RateController({ rateLimit: 40 });
    c.throttled(0, 10); // 40 → 34
    c.throttled(2_000, 2_010); // refused at 34: 34 → 28.9
    expect(c.rate).toBe(28.9);
    expect(recover(c, 3_000, 2_000)).toEqual([
      [29.9, 8], // below 30.6 (90% of 34): ceil(28.9 / 4)
      [30.9, 8],
      [31.9, 124], // from 30.6 to 34: ceil(4 × 30.9)
      [32.9, 128],
      [33.9, 132],
      [34.9, 136],
      [35.9, 35], // past 34: ceil(34.9), about a step a second
      [36.9, 36],
      [37.9, 37],
      [38.9, 38],
      [39.9, 39],
      [40, 40],
    ]);
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
