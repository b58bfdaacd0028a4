/**
 * Hostile Alma lists (issue #10 §5): IDs that would change the URL path, and lists over the size caps, are
 * refused with file, line and column before any call (exit 2).
 */
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseBarcodeList, parsePatronList } from "../../src/alma/inputs.ts";
import { InputError } from "../../src/core/errors.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { runPlan, runValidate } from "../../src/run.ts";
import { startAlmaSimulator, type AlmaSimulator } from "../../src/simulators/alma.ts";

const dirs: string[] = [];
let sim: AlmaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function problemsOf(f: () => unknown): InputError["problems"] {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return e.problems;
    throw e;
  }
  throw new Error("no InputError");
}

function workspace(patrons: string, barcodes: string, extra = ""): string {
  const dir = mkdtempSync(join(tmpdir(), "ps-hostile-"));
  dirs.push(dir);
  mkdirSync(join(dir, "data"));
  writeFileSync(join(dir, "data", "p.txt"), patrons);
  writeFileSync(join(dir, "data", "b.txt"), barcodes);
  writeFileSync(
    join(dir, "patron-sync.yml"),
    `alma:\n  patrons: data/p.txt\n  barcodes: data/b.txt\n${extra}`,
  );
  return dir;
}

describe("IDs that would change the URL path", () => {
  it("are refused in the patron list with line and column", () => {
    const text = "OK1\n.\n..\n  a/b\nx\\y\nq?view=brief\nh#frag\n%2e%2e\nab%2Fcd\nOK2\n";
    const problems = problemsOf(() => parsePatronList(text, "p.txt"));
    expect(problems.map((p) => [p.line, p.column])).toEqual([
      [2, 1],
      [3, 1],
      [4, 4],
      [5, 2],
      [6, 2],
      [7, 2],
      [8, 1],
      [9, 3],
    ]);
    expect(problems[1]!.message).toContain("'..', a dot segment");
    expect(problems[7]!.message).toContain("%-encoded");
    // Dots inside an ID are fine.
    expect(parsePatronList("a.b\n...x\n", "p.txt").entries.map((e) => e.id)).toEqual(["a.b", "...x"]);
  });

  it("are refused as barcodes (they go into the holder lookup's URL)", () => {
    const problems = problemsOf(() => parseBarcodeList("E1|..\nE2|21/34\nE3|2134\n", "b.txt"));
    expect(problems.map((p) => [p.line, p.column])).toEqual([
      [1, 4],
      [2, 6],
    ]);
  });

  it("stop the plan before any call: exit 2 material", async () => {
    sim = await startAlmaSimulator({ apiKey: "k" });
    const ws = workspace("E00417\n..\n", "E00417|2123\n");
    const err = await runPlan({
      cwd: ws,
      env: { ALMA_API_KEY: "k", ALMA_BASE_URL: sim.url },
      log: memoryLogger(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain("data/p.txt:2:1:");
    expect(sim.stats().calls).toBe(0);
  });
});

describe("size caps of the Alma lists", () => {
  it("alma.max_lines: one line over is refused, with the line and the key to raise", async () => {
    const ws = workspace(
      Array.from({ length: 11 }, (_, i) => `P${i}`).join("\n"),
      "P1|1\n",
      "  max_lines: 10\n",
    );
    const err = (await runValidate({ cwd: ws, log: memoryLogger() }).catch((e: unknown) => e)) as InputError;
    expect(err).toBeInstanceOf(InputError);
    expect(err.problems[0]).toMatchObject({ file: "data/p.txt", line: 11 });
    expect(err.message).toContain("alma.max_lines");
    const ok = workspace(
      Array.from({ length: 10 }, (_, i) => `P${i}`).join("\n"),
      "P1|1\n",
      "  max_lines: 10\n",
    );
    await expect(runValidate({ cwd: ok, log: memoryLogger() })).resolves.toBeDefined();
  });

  it("alma.max_bytes: a file over the cap is refused from its size, before it is read", async () => {
    const ws = workspace("P1\n", "P1|1\n");
    // A 300 MB sparse file: over the default cap (256 MB); reading it whole is what the cap prevents.
    truncateSync(join(ws, "data", "b.txt"), 300 * 1024 * 1024);
    const err = (await runValidate({ cwd: ws, log: memoryLogger() }).catch((e: unknown) => e)) as InputError;
    expect(err).toBeInstanceOf(InputError);
    expect(err.problems[0]!.file).toBe("data/b.txt");
    expect(err.message).toContain("over the cap of 256 MB (alma.max_bytes)");
    const small = workspace("P1\nP2\n", "P1|1\n", "  max_bytes: 4\n");
    const err2 = (await runValidate({ cwd: small, log: memoryLogger() }).catch(
      (e: unknown) => e,
    )) as InputError;
    expect(err2.problems[0]!.file).toBe("data/p.txt");
  });
});
