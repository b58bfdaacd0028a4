/**
 * Reverts are held to the rule (issue #17 §2), in the action's mode (`mainline`): a revert is
 * re-derived from the reverted plan's results and journal as committed on the default branch, never from
 * the working tree, and it may name only a plan under plans_dir whose results are there.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { runApply, runPlan, runRevert } from "../../src/run.ts";
import { bench, type Bench } from "../helpers/apply-workspace.ts";

let b: Bench;
beforeEach(async () => {
  b = await bench({ git: true });
});
afterEach(async () => {
  await b.close();
});

const opts = () => ({ cwd: b.dir, env: b.env, log: memoryLogger() });
const apply = (planDir: string) => runApply({ ...opts(), planDir, mainline: true, only: "alma" });
/** Paths committed on their own, as the merge of a pull request that changed only them brings them. */
const land = (...paths: string[]) => {
  b.git("add", "-f", "--", ...paths);
  b.git("commit", "-q", "-m", `Merge ${paths.join(", ")}`);
};
const refusal = async (planDir: string) => {
  const e = await apply(planDir).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(InputError);
  return (e as InputError).message;
};

/** plans/p1 planned, merged, applied (Alma only), and its results committed. */
async function applied(): Promise<void> {
  await runPlan({ ...opts(), out: "plans/p1", only: "alma" });
  land("plans/p1");
  const a = await apply("plans/p1");
  expect(a.updated).toBeGreaterThan(0);
  land("plans/p1");
  expect(b.barcodes("E00417")).toEqual(["21234000123456:ACTIVE"]);
}

describe("a revert in the action", () => {
  it("is re-derived from the journal as committed: one edited in the working tree is refused", async () => {
    await applied();
    const journal = join(b.dir, "plans/p1/alma/journal.ndjson");
    const lines = readFileSync(journal, "utf8").trim().split("\n");
    writeFileSync(
      journal,
      lines
        .map((l) => {
          const j = JSON.parse(l);
          if (j.primary_id === "E00417" && j.applied)
            j.applied.before = [{ at: 0, node: { name: "user_identifier", attrs: {}, children: [] } }];
          return JSON.stringify(j);
        })
        .join("\n") + "\n",
    );
    // The revert made from the edited journal (as `patron-sync revert` would) and merged on its own.
    await runRevert({ ...opts(), planDir: "plans/p1", out: "plans/r1" });
    land("plans/r1");
    const puts = b.alma.stats().byMethod.PUT ?? 0;
    expect(await refusal("plans/r1")).toContain("does not follow from the recorded results of plans/p1");
    expect(b.alma.stats().byMethod.PUT ?? 0).toBe(puts);
    expect(b.barcodes("E00417")).toEqual(["21234000123456:ACTIVE"]);
  });

  it("the same revert, made from the committed journal, is applied", async () => {
    await applied();
    await runRevert({ ...opts(), planDir: "plans/p1", out: "plans/r1" });
    land("plans/r1");
    const a = await apply("plans/r1");
    expect(a.updated).toBeGreaterThan(0);
    expect(b.barcodes("E00417")).toEqual([]);
  });

  it("may name only a plan under plans_dir whose results are on the default branch", async () => {
    await runPlan({ ...opts(), out: "plans/p1", only: "alma" });
    land("plans/p1");
    // A plan never applied: nothing of it to revert.
    await runRevert({ ...opts(), planDir: "plans/p1", out: "plans/r1" });
    land("plans/r1");
    expect(await refusal("plans/r1")).toContain(
      "reverts plans/p1, which has no results on the default branch",
    );
    // A copy under docs/ (committed on its own): no plan of the default branch.
    cpSync(join(b.dir, "plans/p1"), join(b.dir, "docs/fake"), { recursive: true });
    land("docs/fake");
    await runRevert({ ...opts(), planDir: "docs/fake", out: "plans/r2" });
    land("plans/r2");
    expect(await refusal("plans/r2")).toContain(
      "reverts docs/fake, which is not a plan directory under plans_dir (plans/)",
    );
    expect(b.alma.stats().byMethod.PUT ?? 0).toBe(0);
  });
});
