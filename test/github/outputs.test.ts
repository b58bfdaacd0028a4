import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OUTPUT_NAMES, outputValues, writeOutputs } from "../../src/github/outputs.ts";
import { parseGithubOutput } from "./helpers.ts";

describe("outputValues", () => {
  it("sets every output, with defaults when not applicable", () => {
    expect(outputValues({})).toEqual({
      "plan-dir": "",
      "plan-dirs": "",
      "artifact-paths": "",
      "artifact-retention-days": "",
      "pull-request-number": "",
      "pull-request-url": "",
      "pull-request-operation": "none",
      changes: "0",
      updated: "0",
      failed: "0",
      "auto-apply": "false",
      "auto-apply-rule": "",
    });
  });
  it("says whether the plan is auto-applied, and by which rule", () => {
    const rule = "alma: 2 add (allowed: add; at most 50)";
    expect(outputValues({ autoApply: { apply: true, rule } })).toMatchObject({
      "auto-apply": "true",
      "auto-apply-rule": rule,
    });
    expect(outputValues({ autoApply: { apply: false } })).toMatchObject({
      "auto-apply": "false",
      "auto-apply-rule": "",
    });
  });
  it("formats a plan's pull request and counts", () => {
    const v = outputValues({
      planDir: "plans/20250101T000000Z",
      pull: { operation: "created", number: 7, url: "https://github.com/o/r/pull/7" },
      changes: 12,
    });
    expect(v["pull-request-number"]).toBe("7");
    expect(v["pull-request-operation"]).toBe("created");
    expect(v["pull-request-url"]).toBe("https://github.com/o/r/pull/7");
    expect(v.changes).toBe("12");
    expect(v["plan-dirs"]).toBe("plans/20250101T000000Z");
    expect(Object.keys(v).sort()).toEqual([...OUTPUT_NAMES].sort());
  });
  it("lists every applied plan directory, one per line, and the artifact retention", () => {
    const v = outputValues({
      planDir: "plans/b",
      planDirs: ["plans/a", "plans/b"],
      artifactRetentionDays: 14,
    });
    expect(v["plan-dirs"]).toBe("plans/a\nplans/b");
    expect(v["plan-dir"]).toBe("plans/b");
    expect(v["artifact-retention-days"]).toBe("14");
  });
});

describe("writeOutputs", () => {
  const saved = process.env.GITHUB_OUTPUT;
  let dir = "";
  afterEach(() => {
    process.env.GITHUB_OUTPUT = saved;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  it("writes heredoc entries to GITHUB_OUTPUT that parse back", () => {
    dir = mkdtempSync(join(tmpdir(), "patron-sync-out-"));
    const file = join(dir, "output");
    writeFileSync(file, "");
    process.env.GITHUB_OUTPUT = file;
    writeOutputs({ planDir: "plans/x", updated: 3, failed: 1 });
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/^plan-dir<<ghadelimiter_/m);
    expect(parseGithubOutput(text)).toMatchObject({
      "plan-dir": "plans/x",
      updated: "3",
      failed: "1",
      "pull-request-operation": "none",
    });
  });
});
