import { describe, expect, it } from "vitest";
import { BODY_LIMIT, pullTitle, TITLE_LIMIT, truncateBody } from "../../src/github/pulls.ts";

const row = (i: number) => `| P${String(i).padStart(6, "0")} | \`add\` | — | 21234000${i} |`;

describe("truncateBody", () => {
  it("returns a body that fits unchanged", () => {
    const body = "# Plan\n\n| a | b |\n|---|---|\n| 1 | 2 |\n";
    expect(truncateBody(body, "see the file")).toBe(body);
  });

  it("cuts a long body at a line boundary below the limit and points to the file", () => {
    const lines = ["# Patron sync plan", "", "| Primary ID | Action | Old | New |", "|---|---|---|---|"];
    for (let i = 0; i < 5000; i++) lines.push(row(i));
    const body = lines.join("\n");
    expect(body.length).toBeGreaterThan(65_536);
    const out = truncateBody(body, "The whole plan is `plans/x/plan.md` on the `patron-sync/plan` branch.");
    expect(out.length).toBeLessThanOrEqual(BODY_LIMIT);
    expect(out.length).toBeLessThan(65_536);
    expect(out.length).toBeGreaterThan(BODY_LIMIT - 200);
    expect(out).toContain("plans/x/plan.md");
    // Every table line kept is whole.
    const kept = out.split("\n---\n")[0]!.trimEnd().split("\n");
    expect(kept.at(-1)).toMatch(/^\| P\d{6} \| `add` \| — \| 21234000\d+ \|$/);
  });

  it("closes a code block that the cut leaves open", () => {
    const body = "intro\n```mermaid\n" + "x\n".repeat(40_000) + "```\n";
    const out = truncateBody(body, "pointer", 1000);
    expect(out.length).toBeLessThanOrEqual(1000);
    expect((out.match(/^```/gm) ?? []).length % 2).toBe(0);
  });

  it("cuts a body without line breaks too", () => {
    const out = truncateBody("x".repeat(5000), "pointer", 1000);
    expect(out.length).toBeLessThanOrEqual(1000);
    expect(out.endsWith("pointer\n")).toBe(true);
  });
});

describe("pullTitle", () => {
  it("keeps the plan's title with its counts", () => {
    const t = "Patron sync plan: 120 barcodes to add, 3 conflicts · 45 Infiniti users to import";
    expect(pullTitle(t)).toBe(t);
  });
  it("folds whitespace and cuts to GitHub's limit", () => {
    expect(pullTitle("a\n b")).toBe("a b");
    const long = pullTitle("Patron sync plan: " + "x".repeat(400));
    expect(long.length).toBe(TITLE_LIMIT);
    expect(long.endsWith("…")).toBe(true);
  });
});
