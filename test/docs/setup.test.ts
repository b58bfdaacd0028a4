/**
 * docs/setup.md against what the code prints and what the workflows grant (#19 §5, #18 §4), so a status, a
 * title or a permission added in the code fails here until the guide says it too:
 * - each status table lists exactly the members of the code's status type (read with the TypeScript
 *   compiler, not copied here), and so does the README's per-patron table;
 * - the plan pull request's title is quoted as the code renders it for the template's sample data (a real plan
 *   against the demo's simulators), and every other title it shows has the same shape;
 * - the table of job permissions is each job's effective `permissions:` in .github/workflows/.
 */
import { cpSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { memoryLogger } from "../../src/core/log.ts";
import { pullTitle } from "../../src/github/pulls.ts";
import { runPlan } from "../../src/run.ts";
import { startDemoPair } from "../../src/simulators/demo-pair.ts";
import { removeTempDirs, tempDir } from "../helpers/tmp.ts";

afterEach(removeTempDirs);

const SETUP = readFileSync("docs/setup.md", "utf8");

/** The string literals of a union type alias, as the compiler sees it. */
function unionMembers(file: string, name: string): string[] {
  const program = ts.createProgram([file], { noResolve: true, noEmit: true, strict: true });
  const source = program.getSourceFile(file)!;
  const checker = program.getTypeChecker();
  let found: ts.TypeAliasDeclaration | undefined;
  source.forEachChild((n) => {
    if (ts.isTypeAliasDeclaration(n) && n.name.text === name) found = n;
  });
  if (!found) throw new Error(`${file} has no type ${name}`);
  const type = checker.getTypeAtLocation(found.name);
  const parts = type.isUnion() ? type.types : [type];
  return parts.map((t) => {
    if (!t.isStringLiteral()) throw new Error(`${name} has a member that is not a string literal`);
    return t.value;
  });
}

/** The codes in the first column of the table whose header's first cell is `heading`. */
export function tableCodes(markdown: string, heading: string): string[] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`| ${heading} |`));
  if (start < 0) throw new Error(`no table headed '${heading}'`);
  const codes: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    const first = line.split("|")[1]!;
    for (const m of first.matchAll(/`([^`]+)`/g)) codes.push(m[1]!);
  }
  return codes;
}

describe("docs/setup.md says what the code says", () => {
  it("the table reader finds the first column's codes, and only that table's", () => {
    const md =
      "| A status | Meaning |\n|---|---|\n| `x` / `y` | `not-this` |\n| `z` | z |\n\n| B | M |\n|---|---|\n| `w` | w |\n";
    expect(tableCodes(md, "A status")).toEqual(["x", "y", "z"]);
    expect(() => tableCodes(md, "C")).toThrow("no table headed 'C'");
  });

  it.each([
    ["Alma plan status (per patron)", "src/alma/decide.ts", "AlmaAction"],
    ["Infiniti plan status (per user)", "src/infiniti/diff.ts", "InfinitiAction"],
    ["Alma result status (per patron)", "src/alma/apply.ts", "AlmaStatus"],
    ["Infiniti result status (per user)", "src/infiniti/result.ts", "InfinitiStatus"],
  ])("the table '%s' lists exactly the members of %s's %s", (heading, file, type) => {
    const code = unionMembers(file, type);
    expect(code.length).toBeGreaterThan(3);
    expect([...tableCodes(SETUP, heading)].sort()).toEqual([...code].sort());
  });

  it("the README's per-patron table lists exactly the members of AlmaAction", () => {
    const readme = readFileSync("README.md", "utf8");
    const code = unionMembers("src/alma/decide.ts", "AlmaAction");
    expect([...tableCodes(readme, "Action")].sort()).toEqual([...code].sort());
  });

  it(
    "quotes the plan pull request's title as the code renders it for the sample data; every other title has its shape",
    { timeout: 60_000 },
    async () => {
      const work = tempDir("ps-setup-title-");
      cpSync("patron-sync.yml", join(work, "patron-sync.yml"));
      cpSync("data", join(work, "data"), { recursive: true });
      const pair = await startDemoPair();
      let title: string;
      try {
        const env = { ...process.env, ...pair.env };
        const plan = await runPlan({ cwd: work, env, log: memoryLogger(), out: join(work, "plans", "t") });
        title = pullTitle(plan.title);
      } finally {
        await pair.close();
      }
      expect(SETUP).toContain(`*${title}*`);

      // Each system's fixed head (its changing actions, always shown), numbers generalised.
      const heads = title
        .replace(/^Patron sync plan: /, "")
        .split("; ")
        .map((segment) =>
          segment
            .split(",")[0]!
            .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
            .replace(/\d[\d,]*/g, "[\\d,]+"),
        );
      const shape = new RegExp(`^Patron sync plan: (revert of |(${heads.join("|")})(,|;|$| …))`);
      const quoted = [...SETUP.matchAll(/Patron sync plan: [^*"\n]*/g)].map((m) => m[0]);
      expect(quoted.length).toBeGreaterThan(1);
      for (const q of quoted) expect(q).toMatch(shape);
    },
  );

  it("names the run artifacts as the workflows' upload steps name them", () => {
    const named = new Set<string>();
    for (const file of readdirSync(".github/workflows").filter((f) => f.endsWith(".yml"))) {
      const wf = parse(readFileSync(join(".github/workflows", file), "utf8")) as {
        jobs: Record<string, { steps?: { uses?: string; with?: { name?: string } }[] }>;
      };
      for (const job of Object.values(wf.jobs))
        for (const step of job.steps ?? [])
          if (step.uses?.startsWith("actions/upload-artifact@") && step.with?.name)
            named.add(
              step.with.name
                .replace(/\$\{\{\s*github\.run_id\s*\}\}/g, "<run id>")
                .replace(/\$\{\{\s*github\.run_attempt\s*\}\}/g, "<attempt>"),
            );
    }
    expect(named.size).toBeGreaterThan(1);
    const mentioned = [...SETUP.matchAll(/`(patron-sync-[a-z]+-<run id>[^`]*)`/g)].map((m) => m[1]!);
    expect(mentioned.length).toBeGreaterThan(1);
    for (const name of mentioned) expect([...named]).toContain(name);
  });

  it("the permissions table is each job's effective permissions in .github/workflows", () => {
    const documented = new Map<string, string[]>();
    for (const line of SETUP.split("\n")) {
      const m = /^\s*\| `([\w-]+\.yml)` → `([\w-]+)` \| ([^|]+) \|/.exec(line);
      if (m)
        documented.set(`${m[1]} → ${m[2]}`, [...m[3]!.matchAll(/`([\w-]+: \w+)`/g)].map((x) => x[1]!).sort());
    }
    const actual = new Map<string, string[]>();
    for (const file of readdirSync(".github/workflows").filter((f) => f.endsWith(".yml"))) {
      const wf = parse(readFileSync(join(".github/workflows", file), "utf8")) as {
        permissions?: Record<string, string>;
        jobs: Record<string, { permissions?: Record<string, string> }>;
      };
      for (const [id, job] of Object.entries(wf.jobs)) {
        const perms = job.permissions ?? wf.permissions ?? {};
        actual.set(
          `${file} → ${id}`,
          Object.entries(perms)
            .map(([k, v]) => `${k}: ${v}`)
            .sort(),
        );
      }
    }
    expect(documented.size).toBeGreaterThan(0);
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(actual));
  });
});
