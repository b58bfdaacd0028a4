/** `npm run demo`: the whole flow on the sample data, without touching the repository's own files. */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { memoryLogger } from "../src/core/log.ts";
import { readResults } from "../src/core/plandir.ts";
import { runDemo } from "../src/demo.ts";

describe("demo", () => {
  it("plans, applies, applies again without sending twice, and says where the files are", async () => {
    const log = memoryLogger();
    const before = readFileSync("data/alma/patronlist_no_barcode.txt", "utf8");
    expect(await runDemo({ log })).toBe(0);
    const out = log.lines.join("\n");
    expect(out).toMatch(
      /Patron sync plan: Alma [\d,]+ add · [\d,]+ deactivate · [\d,]+ replace · 4 update: user_group 1 · expiry_date 3 · email 1.*; Infiniti 12 create · 0 update · 0 disable/,
    );
    expect(out).toMatch(/alma: \d+ updated/);
    // The apply's line says each system's own words: Infiniti's 12 new users are created, not "updated".
    expect(out).toMatch(/^ {3}Patron sync results: Alma [\d,]+ updated[^;\n]*; Infiniti 12 created$/m);
    expect(out).toContain("infiniti: 12 created");
    expect(out).toContain("nothing posted");
    const dir = /Files, in (.+):/.exec(out)?.[1];
    expect(dir).toBeDefined();
    const work = /Working on a copy of the sample data in (.+)/.exec(out)![1]!;
    onTestFinished(() => rmSync(work, { recursive: true, force: true })); // the demo keeps it for people
    const results = readFileSync(join(dir!, "alma", "results.csv"), "utf8");
    expect(results.split("\n")[0]).toBe("primary_id,status,message");
    // The demo's field updates (alma.updates on the copy): written in the same apply, one PUT per user.
    expect(results).toMatch(
      /S0071302,unchanged,"?updated by an earlier apply .*user_group UG → GRAD; expiry_date/,
    );
    expect(results).toMatch(
      /E00512,unchanged,"?updated by an earlier apply .*email k\.mensah-bonsu@example\.edu → /,
    );
    // After the second apply each done record is "unchanged", and says what the first apply did.
    expect(results).toMatch(/,unchanged,"?updated by an earlier apply /);
    // Both systems write the one results envelope, with the history of every apply that wrote it
    // (Alma twice; Infiniti's second apply posted nothing and wrote no results).
    for (const [system, applies] of [
      ["alma", 2],
      ["infiniti", 1],
    ] as const) {
      const r = readResults(dir!, system)!;
      expect(Object.keys(r)).toEqual(expect.arrayContaining(["applied_at", "complete", "counts", "results"]));
      expect(r.system).toBe(system);
      expect(Object.keys(r).at(-1)).toBe("history");
      expect(r.history).toHaveLength(applies);
      expect(r.history!.at(-1)).toEqual({
        applied_at: r.applied_at,
        complete: r.complete,
        counts: r.counts,
        failures: [],
      });
    }
    // The demo works on a copy: the sample files here are untouched.
    expect(readFileSync("data/alma/patronlist_no_barcode.txt", "utf8")).toBe(before);
  }, 60_000);

  it("refuses to run outside a folder holding patron-sync.yml and data/", async () => {
    const log = memoryLogger();
    expect(await runDemo({ log, source: "test" })).toBe(2);
    expect(log.lines.join("\n")).toContain("the demo needs patron-sync.yml and data/");
  });
});
