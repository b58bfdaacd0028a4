/**
 * A test-only third system, "ledger", built on src/core/system.ts alone: it proves that core plans,
 * checks, applies and reverts a system it has never heard of, with no change to core.
 *
 * Its data: a file of `name|value` lines (config `ledger.file`). Its remote: an in-memory map of name →
 * value (a stand-in for a vendor's API). Its plan: `ledger/plan.json`, the names whose value differs,
 * with the value before and after. Apply re-derives the plan from the plan's data, refuses a plan
 * file that does not follow from it, re-reads each record and skips one that changed since the plan.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { InputError } from "../../src/core/errors.ts";
import { code, countsTable, md } from "../../src/core/markdown.ts";
import type { System } from "../../src/core/system.ts";
import { autoApplyRuleSchema, type LoadedConfig } from "../../src/core/config.ts";

interface LedgerChange {
  name: string;
  before: string | null;
  after: string;
}
interface LedgerPlan {
  changes: LedgerChange[];
}
interface LedgerConfig {
  file: string;
}

const section = (loaded: LoadedConfig) => loaded.config.ledger as LedgerConfig;
const planFile = (planDir: string) => join(planDir, "ledger", "plan.json");

function parse(text: string, file: string): Map<string, string> {
  const out = new Map<string, string>();
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const bar = line.indexOf("|");
    if (bar <= 0) throw new InputError({ file, line: i + 1, column: 1, message: "expected name|value" });
    out.set(line.slice(0, bar), line.slice(bar + 1));
  });
  return out;
}

function diff(wanted: Map<string, string>, remote: Map<string, string>): LedgerChange[] {
  return [...wanted]
    .filter(([name, value]) => remote.get(name) !== value)
    .map(([name, after]) => ({ name, before: remote.get(name) ?? null, after }));
}

export interface Ledger {
  system: System<LedgerChange[]>;
  /** The remote records. */
  remote: Map<string, string>;
  /** Every write sent to the remote, in order. */
  writes: { name: string; value: string | null }[];
}

export function ledgerSystem(remote = new Map<string, string>()): Ledger {
  const writes: Ledger["writes"] = [];
  const section_ = {
    name: "ledger",
    schema: z.object({ file: z.string().min(1) }).strict(),
    autoApply: autoApplyRuleSchema(["set"], ["set"]),
    pathKeys: ["file"],
  };
  const render = (changes: LedgerChange[], counts: Record<string, number>) =>
    [
      "## Ledger\n",
      countsTable(counts, ["set"], { set: "Values to set" }),
      "",
      ...changes.map((c) => `- ${md(c.name)}: ${code(c.before ?? "∅")} → ${code(c.after)}`),
    ].join("\n");
  const system: System<LedgerChange[]> = {
    name: "ledger",
    label: "Ledger",
    longLabel: "The Ledger",
    config: section_,
    changing: ["set"],
    recordFiles: [],
    promise: "each ledger record is re-read first",
    inputFiles: (loaded) => [{ role: "ledger.file", path: section(loaded).file }],
    validate(loaded) {
      const file = section(loaded).file;
      const entries = parse(readFileSync(join(loaded.root, file), "utf8"), file);
      return Promise.resolve(`${file}: ${entries.size} entries`);
    },
    endpoint: () => ({ url: "memory://ledger", sentence: "The ledger lives in memory." }),
    plan(ctx) {
      const file = section(ctx.loaded).file;
      const changes = diff(parse(readFileSync(join(ctx.loaded.root, file), "utf8"), file), remote);
      mkdirSync(join(ctx.planDir, "ledger"), { recursive: true });
      writeFileSync(planFile(ctx.planDir), JSON.stringify({ changes } satisfies LedgerPlan));
      const counts = { set: changes.length };
      return Promise.resolve({
        system: "ledger",
        counts,
        changes: changes.length,
        headline: `${changes.length} values to set`,
        markdown: render(changes, counts),
        files: ["ledger/plan.json"],
      });
    },
    async preflight(ctx, { data, revert }) {
      const planned = (JSON.parse(readFileSync(planFile(ctx.planDir), "utf8")) as LedgerPlan).changes;
      if (revert) return planned;
      // Re-derive every write from the plan's data: the plan file is a record, not the source.
      const d = await data();
      const file = section(d.loaded).file;
      const bytes = await d.read(file);
      const wanted = parse(bytes?.toString("utf8") ?? "", file);
      for (const c of planned)
        if (wanted.get(c.name) !== c.after)
          throw new InputError({
            file: planFile(ctx.planDir),
            message: `sets ${c.name} to '${c.after}', which does not follow from ${d.label}`,
          });
      return planned;
    },
    apply(ctx, planned) {
      const counts: Record<string, number> = { updated: 0, "changed-since-plan": 0 };
      for (const c of planned) {
        // Re-read first; a record that changed since the plan is skipped, never overwritten.
        if ((remote.get(c.name) ?? null) !== c.before) {
          counts["changed-since-plan"]!++;
          continue;
        }
        if (ctx.writes) ctx.writes.attempted++;
        remote.set(c.name, c.after);
        writes.push({ name: c.name, value: c.after });
        counts.updated!++;
      }
      writeFileSync(join(ctx.planDir, "ledger", "results.json"), JSON.stringify({ counts }));
      return Promise.resolve({
        system: "ledger",
        counts,
        updated: counts.updated!,
        failed: 0,
        pending: 0,
        failures: [],
        markdown: `## Ledger\n\n${countsTable(counts, ["updated"], { updated: "Updated", "changed-since-plan": "Changed since the plan" })}\n`,
        files: ["ledger/results.json"],
        stateFiles: [],
      });
    },
    revert: {
      plan(planDir, reverted) {
        const done = (JSON.parse(readFileSync(planFile(reverted), "utf8")) as LedgerPlan).changes;
        const changes = done
          .filter((c) => c.before !== null)
          .map((c) => ({ name: c.name, before: c.after, after: c.before! }));
        mkdirSync(join(planDir, "ledger"), { recursive: true });
        writeFileSync(planFile(planDir), JSON.stringify({ changes } satisfies LedgerPlan));
        const counts = { set: changes.length };
        return Promise.resolve({
          system: "ledger",
          counts,
          changes: changes.length,
          headline: `${changes.length} values to restore`,
          markdown: render(changes, counts),
          files: ["ledger/plan.json"],
        });
      },
      check(planDir, reverted, reverts) {
        const done = (JSON.parse(readFileSync(planFile(reverted), "utf8")) as LedgerPlan).changes;
        const have = (JSON.parse(readFileSync(planFile(planDir), "utf8")) as LedgerPlan).changes;
        const want = done
          .filter((c) => c.before !== null)
          .map((c) => ({ name: c.name, before: c.after, after: c.before }));
        if (JSON.stringify(have) !== JSON.stringify(want))
          throw new InputError({ file: planFile(planDir), message: `does not follow from ${reverts}` });
      },
    },
  };
  return { system, remote, writes };
}
