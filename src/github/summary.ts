/** The job summary: counts first, a chart where it reads better than prose, then the details. */
import * as core from "@actions/core";
import type { InputProblem } from "../core/errors.ts";
import { formatProblem } from "../core/errors.ts";
import type { PullResult } from "./outputs.ts";
import { code, md, mermaidPie, num } from "../core/markdown.ts";
import { truncateBody } from "./pulls.ts";

/** GitHub accepts up to 1 MiB per step summary; keep the embedded plan or results far below. */
export const SUMMARY_DETAIL_LIMIT = 200_000;
/** Failures listed one by one in the summary; the rest are in results.csv. */
export const FAILURE_ROW_LIMIT = 1000;

/** A table cell or inline text from data: the project's one escaper. */
export const cell = md;

export { mermaidPie };

function pullLine(pull: PullResult | undefined, applies = true): string {
  if (!pull || pull.operation === "none") return "No plan pull request is open.";
  const link = pull.url ? `[#${pull.number}](${pull.url})` : `#${pull.number}`;
  const next = applies ? ": review it, then merge it to apply." : " for review (apply is refused here).";
  switch (pull.operation) {
    case "created":
      return `Opened the plan pull request ${link}${next}`;
    case "updated":
      return `Updated the plan pull request ${link}${next}`;
    case "closed":
      return `Closed the stale plan pull request ${link}: nothing is left to change.`;
  }
}

export interface PlanSummaryInput {
  /** Each system's name in tables, by name (core/system.ts longLabels). */
  labels: Readonly<Record<string, string>>;
  title: string;
  planDir: string;
  changes: number;
  sections: { system: string; counts: Record<string, number>; changes: number; headline: string }[];
  pull?: PullResult;
  /** plan.md, or its redacted version in a public repository. */
  markdown: string;
  /** Set in a public repository: why only redacted files were committed. */
  publicNote?: string;
}

export function renderPlanSummary(p: PlanSummaryInput): string {
  const systemName = (s: string) => p.labels[s] ?? s;
  const out: string[] = [`# ${cell(p.title)}`, ""];
  if (p.publicNote) out.push(`> [!WARNING]\n> ${p.publicNote}`, "");
  out.push(
    p.changes
      ? `**${num(p.changes)}** record${p.changes === 1 ? "" : "s"} to send. ${pullLine(p.pull, !p.publicNote)}`
      : `Nothing to change. ${pullLine(p.pull, !p.publicNote)}`,
    "",
    "| System | Records to send | Summary |",
    "|---|--:|---|",
    ...p.sections.map((s) => `| ${systemName(s.system)} | ${num(s.changes)} | ${cell(s.headline)} |`),
    "",
  );
  const slices: [string, number][] = p.sections.flatMap((s) =>
    Object.entries(s.counts).map(([k, n]): [string, number] => [`${systemName(s.system)}: ${k}`, n]),
  );
  const pie = mermaidPie("Planned actions", slices);
  if (pie) out.push(pie);
  out.push(`Plan directory: \`${p.planDir}\` (also attached to this run as an artifact).`, "");
  out.push(
    ...details(
      "The plan",
      p.markdown,
      `The plan is longer than a summary can show: see \`${p.planDir}/plan.md\`.`,
    ),
  );
  return out.join("\n");
}

/** A folded section holding a whole markdown document (its title dropped), cut to fit with `tooLong` at the end. */
function details(summary: string, markdown: string, tooLong: string): string[] {
  return [
    `<details><summary>${summary}</summary>`,
    "",
    truncateBody(markdown.replace(/^# .*\n/, ""), tooLong, SUMMARY_DETAIL_LIMIT),
    "",
    "</details>",
    "",
  ];
}

export interface ApplySummaryInput {
  /** Each system's name in tables, by name (core/system.ts longLabels). */
  labels: Readonly<Record<string, string>>;
  title: string;
  planDir: string;
  sections: {
    system: string;
    counts: Record<string, number>;
    failures: { id: string; message: string }[];
  }[];
  updated: number;
  failed: number;
  pending: number;
  /** results.md. */
  markdown: string;
  /** What happened to the audit trail, e.g. "Results committed to main (abc1234)." */
  committed?: string;
}

export function renderApplySummary(a: ApplySummaryInput): string {
  const systemName = (s: string) => a.labels[s] ?? s;
  const verdict = a.failed
    ? `**${num(a.failed)} record${a.failed === 1 ? "" : "s"} failed**: see the table below; fix the cause and run apply again (records already done are not sent twice).`
    : a.pending
      ? `**${num(a.pending)} pending**: run apply again to carry on.`
      : "Every planned record is done.";
  const out: string[] = [
    `# ${cell(a.title)}`,
    "",
    `Updated **${num(a.updated)}**, failed **${num(a.failed)}**, pending **${num(a.pending)}**. ${verdict}`,
    "",
  ];
  const statuses = [...new Set(a.sections.flatMap((s) => Object.keys(s.counts)))];
  out.push(
    `| System | ${statuses.map(cell).join(" | ")} |`,
    `|---|${statuses.map(() => "--:").join("|")}|`,
    ...a.sections.map(
      (s) => `| ${systemName(s.system)} | ${statuses.map((k) => num(s.counts[k] ?? 0)).join(" | ")} |`,
    ),
    "",
  );
  const pie = mermaidPie(
    "Results",
    a.sections.flatMap((s) =>
      Object.entries(s.counts).map(([k, n]): [string, number] => [`${systemName(s.system)}: ${k}`, n]),
    ),
  );
  if (pie) out.push(pie);
  const failures = a.sections.flatMap((s) => s.failures.map((f) => ({ system: s.system, ...f })));
  if (failures.length) {
    out.push(`## Failures (${num(failures.length)})`, "", "| System | Record | Message |", "|---|---|---|");
    for (const f of failures.slice(0, FAILURE_ROW_LIMIT))
      out.push(`| ${systemName(f.system)} | ${cell(f.id)} | ${cell(f.message)} |`);
    if (failures.length > FAILURE_ROW_LIMIT)
      out.push("", `… and ${failures.length - FAILURE_ROW_LIMIT} more: see the results.csv files.`);
    out.push("");
  }
  if (a.committed) out.push(a.committed, "");
  out.push(
    ...details(
      "The results",
      a.markdown,
      `The results are longer than a summary can show: see \`${a.planDir}/results.md\`.`,
    ),
  );
  return out.join("\n");
}

export function renderProblemsSummary(command: string, problems: InputProblem[]): string {
  return [
    `# patron-sync ${command}: the input needs fixing`,
    "",
    "Nothing was sent. Fix these and commit again:",
    "",
    "| Where | Problem |",
    "|---|---|",
    ...problems.map((p) => {
      const where = formatProblem({ ...p, message: "" }).replace(/: $/, "");
      return `| ${code(where)} | ${cell(p.message)} |`;
    }),
    "",
  ].join("\n");
}

/** Appends Markdown to the job summary; outside Actions (no GITHUB_STEP_SUMMARY) does nothing. */
export async function writeSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  try {
    await core.summary.addRaw(markdown, true).write();
  } catch (e) {
    core.warning(`could not write the job summary: ${(e as Error).message}`);
  }
}
