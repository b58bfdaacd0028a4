import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Journal } from "../../src/core/journal.ts";
import { runPool } from "../../src/core/pool.ts";
import { removeTempDirs, tempDir } from "../helpers/tmp.ts";

afterEach(removeTempDirs);

describe("journal", () => {
  it("reads back what was appended, skipping a torn last line", async () => {
    const path = join(tempDir("ps-j-"), "j.ndjson");
    const j = new Journal<{ id: string; n: number }>(path);
    expect(j.exists()).toBe(false);
    j.append({ id: "a", n: 1 });
    j.append({ id: "é", n: 2 });
    appendFileSync(path, '{"id":"c","n"'); // killed mid-write
    const got = [];
    for await (const { entry, offset } of j.entries()) got.push([entry.id, offset]);
    expect(got).toEqual([
      ["a", 0],
      ["é", 17],
    ]);
  });
});

describe("runPool", () => {
  it("runs every item once, never more than the concurrency at a time", async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await runPool(50, 4, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      seen.push(i);
      inFlight--;
    });
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(peak).toBe(4);
  });

  it("skips, and stops taking work when told", async () => {
    const seen: number[] = [];
    await runPool(
      100,
      1,
      (i) => {
        seen.push(i);
        return Promise.resolve();
      },
      {
        skip: (i) => i % 2 === 0,
        shouldStop: () => seen.length >= 3,
      },
    );
    expect(seen).toEqual([1, 3, 5]);
  });
});
