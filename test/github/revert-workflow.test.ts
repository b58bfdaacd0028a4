/** Undo on GitHub (issue #13): the plan workflow's `revert` dispatch input runs the action's revert command. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { parseInputs } from "../../src/github/inputs.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

describe("revert on GitHub", () => {
  it("the plan workflow has a revert input that switches the action to command revert with that plan-dir", () => {
    const wf = parse(readFileSync(ROOT + ".github/workflows/plan.yml", "utf8")) as {
      on: { workflow_dispatch: { inputs: Record<string, { type: string }> } };
      jobs: Record<string, { steps: { uses?: string; with?: Record<string, string> }[] }>;
    };
    expect(wf.on.workflow_dispatch.inputs.revert!.type).toBe("string");
    const step = Object.values(wf.jobs)[0]!.steps.find((s) => s.uses === "./")!;
    expect(step.with!.command).toBe("${{ inputs.revert != '' && 'revert' || 'plan' }}");
    expect(step.with!["plan-dir"]).toBe("${{ inputs.revert }}");
  });

  it("action.yml documents command revert, and the input parser accepts it", () => {
    const action = parse(readFileSync(ROOT + "action.yml", "utf8")) as {
      inputs: Record<string, { description: string }>;
    };
    expect(action.inputs.command!.description).toContain("revert");
    expect(action.inputs["plan-dir"]!.description).toContain("revert (required)");
    const get = (m: Record<string, string>) => (n: string) => m[n] ?? "";
    expect(parseInputs(get({ command: "revert", "plan-dir": "plans/x" }))).toMatchObject({
      command: "revert",
      planDir: "plans/x",
    });
    expect(() => parseInputs(get({ command: "undo" }))).toThrow(/plan, apply, revert or validate/);
  });
});
