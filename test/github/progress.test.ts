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
      process.stderr.write(""); // any output resets the quiet time
      t = 9000;
      vi.advanceTimersByTime(3000);
      expect(lines).toHaveLength(1);
    } finally {
      hb.stop();
    }
  });
});
