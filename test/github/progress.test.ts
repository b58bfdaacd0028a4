import { afterEach, describe, expect, it, vi } from "vitest";
import { neutralizeCommands, startHeartbeat } from "../../src/github/progress.ts";

describe("neutralizeCommands", () => {
  it("keeps data from being read as a workflow command", () => {
    expect(neutralizeCommands("::add-mask::x")).toBe("> ::add-mask::x");
    expect(neutralizeCommands("ok\n  ::error::boom")).toBe("ok\n>   ::error::boom");
    expect(neutralizeCommands("alma: 3 updated")).toBe("alma: 3 updated");
  });
});

describe("startHeartbeat", () => {
  afterEach(() => vi.useRealTimers());
  it("writes a line when the log has been quiet, and not otherwise", () => {
    vi.useFakeTimers();
    let t = 0;
    const lines: string[] = [];
    const hb = startHeartbeat({ everyMs: 1000, quietMs: 5000, now: () => t, out: (l) => lines.push(l) });
    try {
      hb.phase("applying");
      t = 3000;
      vi.advanceTimersByTime(3000);
      expect(lines).toEqual([]);
      t = 6000;
      vi.advanceTimersByTime(1000);
      expect(lines).toEqual(["patron-sync: still applying (6s so far)"]);
      // Output on stderr at 10s resets the quiet time: at 12s the log has been quiet 2s, not 6s.
      t = 10_000;
      process.stderr.write("");
      t = 12_000;
      vi.advanceTimersByTime(1000);
      expect(lines).toHaveLength(1);
      // Quiet for 5s after that output: the next line.
      t = 15_000;
      vi.advanceTimersByTime(1000);
      expect(lines).toEqual([
        "patron-sync: still applying (6s so far)",
        "patron-sync: still applying (15s so far)",
      ]);
      // stdout counts as output too.
      t = 17_000;
      process.stdout.write("");
      t = 21_000;
      vi.advanceTimersByTime(1000);
      expect(lines).toHaveLength(2);
    } finally {
      hb.stop();
    }
  });

  it("stop() puts the streams' own write back", () => {
    const writes = () =>
      [process.stdout, process.stderr].map((s) => Object.getOwnPropertyDescriptor(s, "write"));
    const before = writes();
    const hb = startHeartbeat({ everyMs: 1000, quietMs: 5000, out: () => undefined });
    expect(writes()).not.toEqual(before);
    hb.stop();
    expect(writes()).toEqual(before);
  });
});
