import { describe, expect, it } from "vitest";
import {
  createProgress,
  formatEta,
  formatProgressBar,
  formatProgressLine,
  type ProgressStream,
} from "../../src/core/progress.ts";

describe("formatEta", () => {
  it("says seconds, minutes and seconds, or hours and minutes", () => {
    expect(formatEta(0)).toBe("0s");
    expect(formatEta(42_400)).toBe("42s");
    expect(formatEta(59_600)).toBe("1m 0s");
    expect(formatEta(848_000)).toBe("14m 8s");
    expect(formatEta(2 * 3_600_000 + 5 * 60_000 + 20_000)).toBe("2h 5m");
    expect(formatEta(3_600_000)).toBe("1h 0m");
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe("unknown");
    expect(formatEta(-1)).toBe("unknown");
  });
});

describe("formatProgressLine", () => {
  it("gives done/total, percentage, rate and time left", () => {
    expect(formatProgressLine({ label: "alma apply", done: 1200, total: 20000, elapsedMs: 60_000 })).toBe(
      "alma apply: 1200/20000 (6%), 20.0/s, about 15m 40s left",
    );
    expect(formatProgressLine({ label: "alma plan", done: 1999, total: 2000, elapsedMs: 100_000 })).toBe(
      "alma plan: 1999/2000 (99%), 20.0/s, about 0s left",
    );
  });

  it("leaves the time out while it cannot be known", () => {
    expect(formatProgressLine({ label: "alma apply", done: 0, total: 20000, elapsedMs: 3_000 })).toBe(
      "alma apply: 0/20000 (0%), 0.0/s",
    );
  });

  it("says how long it took at the end", () => {
    expect(
      formatProgressLine({
        label: "alma apply",
        done: 20000,
        total: 20000,
        elapsedMs: 1_000_000,
        finished: true,
      }),
    ).toBe("alma apply: 20000/20000 (100%), 20.0/s, took 16m 40s");
  });
});

describe("formatProgressBar", () => {
  it("draws a bar of the given width", () => {
    expect(formatProgressBar({ label: "alma apply", done: 5000, total: 20000, elapsedMs: 250_000 }, 20)).toBe(
      "alma apply [#####---------------] 5000/20000 25% 20.0/s ETA 12m 30s",
    );
  });
});

function collect(isTTY: boolean) {
  const writes: string[] = [];
  const stream: ProgressStream = { write: (s: string) => writes.push(s), columns: 100 };
  let t = 0;
  const clock = { now: () => t, advance: (ms: number) => (t += ms) };
  return { writes, stream, clock, isTTY };
}

describe("createProgress", () => {
  it("outside a terminal: a plain line every intervalMs, and a last line", () => {
    const { writes, stream, clock } = collect(false);
    const p = createProgress({ label: "alma apply", total: 100, stream, isTTY: false, now: clock.now });
    for (let i = 0; i < 40; i++) {
      clock.advance(100); // 10/s
      p.tick();
    }
    expect(writes).toEqual([]); // 4 s: not yet
    for (let i = 0; i < 10; i++) {
      clock.advance(100);
      p.tick();
    }
    expect(writes).toEqual(["alma apply: 50/100 (50%), 10.0/s, about 5s left\n"]); // at 5 s
    clock.advance(2_000);
    p.tick(50);
    expect(writes).toHaveLength(1); // 2 s since the last line
    p.done();
    p.done(); // once only
    expect(writes).toHaveLength(2);
    expect(writes[1]).toBe("alma apply: 100/100 (100%), 14.3/s, took 7s\n");
  });

  it("writes nothing for a run shorter than one interval", () => {
    const { writes, stream, clock } = collect(false);
    const p = createProgress({ label: "alma plan", total: 3, stream, isTTY: false, now: clock.now });
    p.tick();
    p.tick(2);
    clock.advance(300);
    p.done();
    expect(writes).toEqual([]);
  });

  it("on a terminal: redraws one line in place, ends it when done", () => {
    const { writes, stream, clock } = collect(true);
    const p = createProgress({ label: "alma apply", total: 10, stream, isTTY: true, now: clock.now });
    for (let i = 0; i < 10; i++) {
      clock.advance(500);
      p.tick();
    }
    p.done();
    expect(writes).toHaveLength(11);
    for (const w of writes) expect(w.startsWith("\r")).toBe(true);
    expect(writes.slice(0, -1).some((w) => w.includes("\n"))).toBe(false);
    expect(writes[0]).toContain("1/10 10% 2.0/s ETA 5s");
    expect(writes.at(-1)!.endsWith("10/10 100% 2.0/s in 5s\x1b[K\n")).toBe(true);
  });
});
