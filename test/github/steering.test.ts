/** auto_apply never applies a plan from a push that changed the config or the workflows (issue #17 §3). */
import { describe, expect, it } from "vitest";
import { steeringChange } from "../../src/github/steering.ts";

describe("auto_apply and the push behind the plan (issue #17 §3)", () => {
  const ask = (files: string[] | undefined, eventName = "push", before = "a".repeat(40)) =>
    steeringChange({
      eventName,
      payload: { before, after: "b".repeat(40) },
      configPath: "patron-sync.yml",
      changedFiles: () => Promise.resolve(files),
    });

  it("a push that changed the config or the workflows may not auto-apply; one that changed data only may", async () => {
    expect(await ask(["data/barcodes.txt"])).toBeUndefined();
    expect(await ask(["data/barcodes.txt", "patron-sync.yml"])).toBe(
      "the push that made this plan changed the config (patron-sync.yml: the auto_apply policy, the rules and the addresses): a plan from such a push is always reviewed in a pull request",
    );
    expect(await ask([".github/workflows/apply.yml"])).toContain(
      "changed the workflows (.github/workflows/apply.yml)",
    );
  });

  it("a push git cannot tell about may not auto-apply; a schedule is no push", async () => {
    expect(await ask(undefined)).toContain("git cannot tell what the push that made this plan changed");
    expect(await ask(["x"], "push", "0".repeat(40))).toContain("git cannot tell");
    expect(await ask(["patron-sync.yml"], "schedule")).toBeUndefined();
  });
});
