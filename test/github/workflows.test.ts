/** The shipped workflows: least privilege, pinned actions, the default-branch check, Dependabot. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const text = (f: string) => readFileSync(ROOT + f, "utf8");

interface Step {
  uses?: string;
  with?: Record<string, string>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  concurrency?: { group: string; "cancel-in-progress": boolean };
  permissions?: Record<string, string>;
  steps: Step[];
}
const jobs = (f: string) => (parse(text(f)) as { jobs: Record<string, Job> }).jobs;
const WORKFLOWS = [".github/workflows/plan.yml", ".github/workflows/apply.yml"];

describe("workflows", () => {
  it.each(WORKFLOWS)("%s pins every third-party action by commit SHA, with the version in a comment", (f) => {
    const lines = text(f)
      .split("\n")
      .filter((l) => /^\s*(- )?uses:/.test(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      const ref = /uses:\s*(\S+)/.exec(l)![1]!;
      if (ref.startsWith("./")) continue;
      expect(l, l).toMatch(/@[0-9a-f]{40} # v\d+\.\d+\.\d+\s*$/);
    }
  });

  it.each(WORKFLOWS)(
    "%s runs only on the default branch, checked on github.ref (a tag cannot match)",
    (f) => {
      // A job that needs another runs only after that one passed its check.
      for (const job of Object.values(jobs(f)).filter((j) => !j.needs)) {
        expect(job.if).toContain(
          "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)",
        );
        expect(job.if).toContain("github.event.repository.fork == false");
        expect(job.if).not.toContain("ref_name");
      }
    },
  );

  it("the plan job never receives Infiniti credentials, and prefers a read-only Alma key", () => {
    const plan = jobs(".github/workflows/plan.yml").plan!;
    expect(JSON.stringify(plan)).not.toMatch(/INFINITI_(USERNAME|PASSWORD)|infiniti-(username|password)/);
    const step = plan.steps.find((s) => s.uses === "./")!;
    expect(step.with!["alma-api-key"]).toBe("${{ secrets.ALMA_READ_API_KEY || secrets.ALMA_API_KEY }}");
    expect(plan.permissions).toEqual({ contents: "write", "pull-requests": "write" });
  });

  it("plan.yml also runs on a schedule; scheduled runs pass the default-branch check", () => {
    const wf = parse(text(".github/workflows/plan.yml")) as { on: { schedule?: { cron: string }[] } };
    expect(wf.on.schedule?.[0]?.cron).toMatch(/^\d+ \d+ \* \* \*$/);
    expect(jobs(".github/workflows/plan.yml").plan!.if).toMatch(/^github\.event_name == 'schedule' \|\| \(/);
  });

  it("only the auto-apply job, after the plan job chose it, holds the write key and the Infiniti credentials", () => {
    const all = jobs(".github/workflows/plan.yml");
    const auto = all["auto-apply"]!;
    expect(auto.needs).toBe("plan");
    expect(auto.if).toBe("needs.plan.outputs.auto-apply == 'true'");
    expect(auto.permissions).toEqual({ contents: "write" });
    expect(auto.concurrency).toEqual({ group: "patron-sync-apply", "cancel-in-progress": false });
    const step = auto.steps.find((s) => s.uses === "./")!;
    expect(step.with).toMatchObject({
      command: "apply",
      "auto-apply": "true",
      "plan-dir": "${{ needs.plan.outputs.plan-dir }}",
      "alma-api-key": "${{ secrets.ALMA_API_KEY }}",
      "infiniti-username": "${{ secrets.INFINITI_USERNAME }}",
    });
    const download = auto.steps.find((s) => s.uses?.startsWith("actions/download-artifact@"))!;
    expect(download.with!.name).toBe("patron-sync-plan-${{ github.run_id }}");
  });

  it("apply keeps its results as an artifact even when the job fails, for the configured time", () => {
    const apply = Object.values(jobs(".github/workflows/apply.yml"))[0]!;
    // pull-requests: write for the results comment (e2e-workflows.test.ts runs it under GitHub's rules).
    expect(apply.permissions).toEqual({ contents: "write", "pull-requests": "write" });
    const upload = apply.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"))!;
    expect((upload as { if?: string }).if).toMatch(/^always\(\)/);
    expect(upload.with!["retention-days"]).toContain("artifact-retention-days");
  });

  it("Dependabot watches the actions and the npm packages", () => {
    const d = parse(text(".github/dependabot.yml")) as {
      version: number;
      updates: { "package-ecosystem": string }[];
    };
    expect(d.version).toBe(2);
    expect(d.updates.map((u) => u["package-ecosystem"]).sort()).toEqual(["github-actions", "npm"]);
  });
});
