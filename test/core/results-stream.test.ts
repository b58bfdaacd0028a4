/** core/results-stream.ts: results written as they come give the files writeResults gives at once. */
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { csvForPeople } from "../../src/core/csv.ts";
import { resultsPath, writeResults, type ResultsFile } from "../../src/core/plandir.ts";
import { ResultsStream } from "../../src/core/results-stream.ts";
import { removeTempDirs, tempDir } from "../helpers/tmp.ts";

afterEach(removeTempDirs);

type R = { primary_id: string; status: string; message: string };
const COLUMNS = ["primary_id", "status", "message"];

function planDir(): string {
  const dir = tempDir("ps-results-");
  mkdirSync(join(dir, "ledger"), { recursive: true });
  return dir;
}

async function streamed(dir: string, results: R[], when: string) {
  const s = new ResultsStream<R>(dir, "ledger", COLUMNS);
  for (const r of results) s.add([r.primary_id, r.status, r.message], r);
  const counts = { updated: results.length };
  await s.finish<ResultsFile<R>>({ system: "ledger", applied_at: when, complete: true, counts }, []);
}

describe("ResultsStream", () => {
  const results: R[] = Array.from({ length: 1_500 }, (_, i) => ({
    primary_id: `S${i}`,
    status: i % 7 ? "updated" : "failed",
    message: i % 5 ? `line "${i}", with a comma` : "=SUM(A1)\nsecond line",
  }));

  it("writes results.json and results.csv byte for byte as writeResults and csvForPeople, history included", async () => {
    const a = planDir();
    const b = planDir();
    for (const [when, rows] of [
      ["2026-12-01T10:00:00.000Z", results],
      ["2026-12-02T10:00:00.000Z", results.slice(0, 3)],
      ["2026-12-03T10:00:00.000Z", []],
    ] as const) {
      await streamed(a, [...rows], when);
      writeResults<ResultsFile<R>>(
        b,
        {
          system: "ledger",
          applied_at: when,
          complete: true,
          counts: { updated: rows.length },
          results: [...rows],
        },
        [],
      );
      expect(readFileSync(resultsPath(a, "ledger"), "utf8")).toBe(
        readFileSync(resultsPath(b, "ledger"), "utf8"),
      );
      expect(readFileSync(join(a, "ledger", "results.csv"), "utf8")).toBe(
        csvForPeople(
          COLUMNS,
          rows.map((r) => [r.primary_id, r.status, r.message]),
        ),
      );
    }
    expect(JSON.parse(readFileSync(resultsPath(a, "ledger"), "utf8")).history).toHaveLength(3);
    expect(readdirSync(join(a, "ledger")).sort()).toEqual(["results.csv", "results.json"]);
  });

  it("leaves no results file and no part file when the apply stops before its end", () => {
    const dir = planDir();
    const s = new ResultsStream<R>(dir, "ledger", COLUMNS);
    s.add(["S1", "updated", "ok"], { primary_id: "S1", status: "updated", message: "ok" });
    s.abort();
    expect(existsSync(resultsPath(dir, "ledger"))).toBe(false);
    expect(readdirSync(join(dir, "ledger"))).toEqual([]);
  });
});
