import { longLabels } from "../../src/core/system.ts";
import { builtInSystems } from "../../src/systems.ts";
import { describe, expect, it } from "vitest";
import {
  type PlanSummaryInput,
  FAILURE_ROW_LIMIT,
  mermaidPie,
  renderApplySummary,
  renderPlanSummary,
  renderProblemsSummary,
} from "../../src/github/summary.ts";

const LABELS = longLabels(builtInSystems());

describe("mermaidPie", () => {
  it("draws the non-empty slices, or nothing", () => {
    const pie = mermaidPie("Planned actions", [
      ["Alma: add", 3],
      ['Alma: "odd"', 1],
      ["Alma: keep", 0],
    ]);
    expect(pie).toContain("```mermaid\npie showData title Planned actions");
    expect(pie).toContain('"Alma: add" : 3');
    expect(pie).toContain(`"Alma: 'odd'" : 1`);
    expect(pie).not.toContain("keep");
    expect(mermaidPie("x", [["a", 0]])).toBe("");
  });
});

describe("renderPlanSummary", () => {
  const input: PlanSummaryInput = {
    labels: LABELS,
    title: "Patron sync plan: 2 barcodes to add · 1 Infiniti user to import",
    planDir: "plans/20250101T000000Z",
    changes: 3,
    sections: [
      { system: "alma", counts: { add: 2, unchanged: 4 }, changes: 2, headline: "2 barcodes to add" },
      { system: "infiniti", counts: { create: 1 }, changes: 1, headline: "1 Infiniti user to import" },
    ],
    pull: { operation: "created", number: 4, url: "https://github.com/o/r/pull/4" },
    markdown: "# Patron sync plan: …\n\n## Alma barcode repair\n| a | b |\n",
  };
  it("shows the counts per system, a pie chart, the pull request and the plan", () => {
    const md = renderPlanSummary(input);
    expect(md).toContain("# Patron sync plan: 2 barcodes to add · 1 Infiniti user to import");
    expect(md).toContain("**3** records to send");
    expect(md).toContain("[#4](https://github.com/o/r/pull/4)");
    expect(md).toContain("| Alma | 2 | 2 barcodes to add |");
    expect(md).toContain("| Concord Infiniti | 1 | 1 Infiniti user to import |");
    expect(md).toContain('"Alma: add" : 2');
    expect(md).toContain('"Concord Infiniti: create" : 1');
    expect(md).toContain("## Alma barcode repair");
    expect(md).not.toContain("> [!WARNING]");
  });
  it("says when nothing is left and the stale pull request was closed, and why a public repo is redacted", () => {
    const md = renderPlanSummary({
      ...input,
      changes: 0,
      pull: { operation: "closed", number: 4, url: "u" },
      publicNote: "This repository is public",
    });
    expect(md).toContain("Nothing to change. Closed the stale plan pull request");
    expect(md).toContain("> [!WARNING]\n> This repository is public");
  });
});

describe("renderApplySummary", () => {
  it("shows counts per system and every failure with its message", () => {
    const md = renderApplySummary({
      labels: LABELS,
      title: "Patron sync results: 2 barcodes to add",
      planDir: "plans/x",
      sections: [
        {
          system: "alma",
          counts: { updated: 1, failed: 1 },
          failures: [{ id: "E00512", message: "401861: User with identifier E00512 | not found" }],
        },
        { system: "infiniti", counts: { created: 1 }, failures: [] },
      ],
      updated: 2,
      failed: 1,
      pending: 0,
      markdown: "# Patron sync results\n\n## Alma\n",
      committed: "Results committed to `main` (abc1234) as the audit trail.",
    });
    expect(md).toContain("Updated **2**, failed **1**, pending **0**");
    expect(md).toContain("| System | updated | failed | created |");
    expect(md).toContain("| Alma | 1 | 1 | 0 |");
    expect(md).toContain("## Failures (1)");
    expect(md).toContain("| Alma | E00512 | 401861: User with identifier E00512 \\| not found |");
    expect(md).toContain("Results committed to `main`");
    expect(md).toContain("pie showData title Results");
  });
  it("caps the failure table", () => {
    const failures = Array.from({ length: FAILURE_ROW_LIMIT + 3 }, (_, i) => ({ id: `P${i}`, message: "x" }));
    const md = renderApplySummary({
      labels: LABELS,
      title: "t",
      planDir: "plans/x",
      sections: [{ system: "alma", counts: { failed: failures.length }, failures }],
      updated: 0,
      failed: failures.length,
      pending: 0,
      markdown: "",
    });
    expect(md).toContain("… and 3 more");
  });
});

describe("renderProblemsSummary", () => {
  it("lists every input problem where it is", () => {
    const md = renderProblemsSummary("plan", [
      {
        file: "data/alma/library_barcode_full_list.txt",
        line: 4,
        column: 1,
        message: "not employee_id|barcode",
      },
      { file: "environment", message: "ALMA_API_KEY is not set" },
    ]);
    expect(md).toContain("Nothing was sent.");
    expect(md).toContain("| `data/alma/library_barcode_full_list.txt:4:1` | not employee_id\\|barcode |");
    expect(md).toContain("| `environment` | ALMA_API_KEY is not set |");
  });
});
