import { describe, expect, it } from "vitest";
import { callsNeeded, quotaShortfall } from "../../src/alma/quota.ts";

describe("quota awareness for scheduled plans", () => {
  it("counts one call per patron left, two with the holder check", () => {
    expect(callsNeeded(120, false)).toBe(120);
    expect(callsNeeded(120, true)).toBe(240);
    expect(callsNeeded(0, true)).toBe(0);
  });

  it("starts only when the plan can finish at or above alma.min_remaining", () => {
    expect(quotaShortfall(5120, 120, 5000)).toBeUndefined();
    expect(quotaShortfall(5119, 120, 5000)).toBe(
      "The scheduled Alma plan was not started: Alma reports 5119 API calls left today, the plan needs about 120, and alma.min_remaining keeps 5000 in reserve. Nothing was sent; the next scheduled run tries again (or run the plan by hand).",
    );
    expect(quotaShortfall(0, 0, 0)).toBeUndefined();
  });
});
