/**
 * The one core that the CLI and the action share: validate, plan, apply.
 *
 * Order of work: every input of every system is validated before the first API call, so bad
 * input means exit 2 and nothing sent. A plan directory holds plan.json (the manifest: what was
 * planned, per system) and plan.md (its readable face), plus each system's files.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { loadConfig, type LoadedConfig } from "../config.ts";
import { applyAlma, type AlmaApplyDeps } from "../alma/apply.ts";
import { planAlma, readAlmaInputs, type AlmaPlanDeps } from "../alma/plan.ts";
import { patronsLabel } from "../alma/report-patrons.ts";
import { applyInfiniti, importUrl, planInfiniti, validateInfiniti } from "../infiniti/index.ts";
import { InputError } from "./errors.ts";
import { describeSource, recordSource } from "./integrity.ts";
import { lockPlanDir } from "./lock.ts";
import {
  MANIFEST,
  planMdPath,
  readManifest,
  resultsMdPath,
  unfinishedPlan,
  writeManifest,
  type Manifest,
  type PlanSource,
} from "./plandir.ts";
import { preflight } from "./preflight.ts";
import { checkRevertPlan } from "./revert.ts";
import { withStreamingHeap } from "./heap.ts";
import { consoleLogger, type Logger } from "./log.ts";
import { md, num, PLAN_MD_BUDGET } from "./markdown.ts";
import { resultsHeadline, resultsMarkdown } from "./results.ts";
import type {
  ApplyOptions,
  ApplyOutcome,
  PlanOptions,
  PlanOutcome,
  RunContext,
  RunOptions,
  SectionApply,
  SectionPlan,
  System,
} from "./types.ts";

export { MANIFEST, readManifest, type Manifest };

/** Test and benchmark seams: inject transports. */
export interface CoreDeps {
  alma?: AlmaPlanDeps & AlmaApplyDeps;
}

function systems(loaded: LoadedConfig, only?: System): System[] {
  const all: System[] = [];
  if (loaded.config.alma) all.push("alma");
  if (loaded.config.infiniti) all.push("infiniti");
  const chosen = only ? all.filter((s) => s === only) : all;
  if (!chosen.length) {
    throw new InputError({
      file: relative(process.cwd(), loaded.path) || loaded.path,
      message: only
        ? `there is no '${only}' section in the config`
        : "the config has neither an 'alma' nor an 'infiniti' section",
    });
  }
  return chosen;
}

/** Offline checks of every input file. Throws InputError listing every problem. */
export async function runValidate(
  opts: RunOptions = {},
): Promise<{ loaded: LoadedConfig; systems: System[] }> {
  const log = opts.log ?? consoleLogger();
  const loaded = await loadConfig(opts.configPath, opts.cwd);
  const chosen = systems(loaded, opts.only);
  const problems: InputError[] = [];
  for (const s of chosen) {
    try {
      if (s === "alma") {
        const { patrons, barcodes } = await readAlmaInputs(loaded);
        log.info(
          `alma: ${patronsLabel(loaded.config.alma!)}: ` +
            (patrons
              ? `${patrons.entries.length} patrons` +
                (patrons.duplicates.length ? ` (${patrons.duplicates.length} listed more than once)` : "")
              : "read from Alma when planning") +
            `; ${loaded.config.alma!.barcodes}: ${barcodes.count} barcodes` +
            (barcodes.conflicts.size
              ? ` (${barcodes.conflicts.size} employee IDs in conflict, not applied)`
              : ""),
        );
      } else {
        const v = await validateInfiniti(loaded);
        log.info(`infiniti: ${loaded.config.infiniti!.users}: ${v.rows.length} users, valid`);
      }
    } catch (e) {
      if (e instanceof InputError) problems.push(e);
      else throw e;
    }
  }
  if (problems.length) throw new InputError(problems.flatMap((p) => p.problems));
  return { loaded, systems: chosen };
}

export function utcStamp(d = new Date()): string {
  return d
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

export async function runPlan(opts: PlanOptions = {}, deps: CoreDeps = {}): Promise<PlanOutcome> {
  const log = opts.log ?? consoleLogger();
  const env = opts.env ?? process.env;
  const { loaded, systems: chosen } = await runValidate({ ...opts, log });
  const plansDir = resolve(loaded.root, loaded.config.plans_dir);
  let planDir: string;
  if (opts.out) planDir = resolve(opts.cwd ?? process.cwd(), opts.out);
  else {
    const resume = unfinishedPlan(plansDir);
    if (resume) log.info(`carrying on the unfinished plan in ${relative(loaded.root, resume)}`);
    planDir = resume ?? join(plansDir, utcStamp());
  }
  mkdirSync(planDir, { recursive: true });
  // plan.md is the pull request's description: each system gets a share of its budget.
  const markdownBudget = Math.floor((PLAN_MD_BUDGET - HEAD_RESERVE) / chosen.length);
  const ctx: RunContext = {
    loaded,
    planDir,
    env,
    log,
    signal: opts.signal,
    scheduled: opts.scheduled,
    markdownBudget,
  };
  // What the plan is made from, recorded before it reads the data (apply re-derives every write from it).
  const source = await recordSource(loaded, chosen);
  const configFile = relative(process.cwd(), loaded.path) || loaded.path;
  const endpoints: Record<string, string> = {};
  if (chosen.includes("infiniti")) endpoints.infiniti = importUrl(loaded.config.infiniti!, env, configFile);

  const sections: SectionPlan[] = [];
  for (const s of chosen) {
    sections.push(
      s === "alma" ? await withStreamingHeap(() => planAlma(ctx, deps.alma)) : await planInfiniti(ctx),
    );
  }
  const changes = sections.reduce((n, s) => n + s.changes, 0);
  const title = `Patron sync plan: ${sections.map((s) => `${SHORT_NAME[s.system]} ${s.headline}`).join("; ")}`;
  const markdown = renderPlanMarkdown(title, planDir, loaded, sections, source, endpoints);
  const manifest: Manifest = {
    version: 1,
    tool: "patron-sync",
    created: new Date().toISOString(),
    config: relative(loaded.root, loaded.path),
    title,
    changes,
    sections: sections.map(({ markdown: _m, render: _r, ...rest }) => rest),
    source,
    endpoints,
  };
  writeManifest(planDir, manifest);
  writeFileSync(planMdPath(planDir), markdown);
  return { planDir, sections, changes, title, markdown };
}

const SHORT_NAME: Record<System, string> = { alma: "Alma", infiniti: "Infiniti" };

/** What an apply did, e.g. "Patron sync results: Alma 4,071 updated · 2 failed; Infiniti 12 updated". */
export function resultsTitle(sections: { system: System; counts: Record<string, number> }[]): string {
  return `Patron sync results: ${sections.map((s) => `${SHORT_NAME[s.system]} ${resultsHeadline(s.counts)}`).join("; ")}`;
}
const LONG_NAME: Record<System, string> = { alma: "Alma", infiniti: "Concord Infiniti" };
/** Characters of plan.md kept for its head and foot; the rest is shared among the systems. */
const HEAD_RESERVE = 2_000;

function renderPlanMarkdown(
  title: string,
  planDir: string,
  loaded: LoadedConfig,
  sections: SectionPlan[],
  source: PlanSource,
  endpoints: Record<string, string>,
): string {
  const rel = relative(loaded.root, planDir) || ".";
  const where = [
    `Made from ${describeSource(source)}; apply re-derives every write from these data and refuses a plan whose files do not follow from them.`,
    ...(endpoints.infiniti ? [`The Infiniti import goes to ${md(endpoints.infiniti)}.`] : []),
  ];
  const head = [
    `# ${md(title)}`,
    "",
    "| System | Records to send | Summary |",
    "|---|--:|---|",
    ...sections.map((s) => `| ${LONG_NAME[s.system]} | ${num(s.changes)} | ${md(s.headline)} |`),
    "",
    `Plan directory: \`${rel}\`. Nothing has been sent yet. Merging this plan applies exactly what it shows; each Alma user is re-read first and skipped if it changed since.`,
    "",
    where.join(" "),
    "",
  ].join("\n");
  const foot = [
    "",
    "---",
    `Apply with \`npx patron-sync apply --plan ${rel}\`, or merge the pull request.`,
    "",
  ].join("\n");
  return [head, ...shareBudget(PLAN_MD_BUDGET - head.length - foot.length, sections), foot].join("\n");
}

/**
 * Every section is always present. Each first gets an equal share; what a short section leaves is
 * then shared among the others (a section that fits renders the same with more room).
 */
function shareBudget(available: number, sections: SectionPlan[]): string[] {
  const share = Math.floor(available / sections.length);
  const first = sections.map((s) => (s.render ? s.render(share) : s.markdown));
  const spare = available - first.reduce((n, m) => n + m.length + 1, 0);
  // A section within 1,000 characters of its share was probably cut: it gets the spare room.
  const hungry = sections.filter((s, i) => s.render && first[i]!.length > share - 1_000);
  if (spare <= 0 || !hungry.length) return first;
  const more = Math.floor(spare / hungry.length);
  return sections.map((s, i) => (hungry.includes(s) ? s.render!(first[i]!.length + more) : first[i]!));
}

export async function runApply(opts: ApplyOptions, deps: CoreDeps = {}): Promise<ApplyOutcome> {
  const log = opts.log ?? consoleLogger();
  const env = opts.env ?? process.env;
  const loaded = await loadConfig(opts.configPath, opts.cwd);
  const planDir = resolve(opts.cwd ?? process.cwd(), opts.planDir);
  const manifest = readManifest(planDir);
  const planned = manifest.sections.map((s) => s.system).filter((s) => !opts.only || s === opts.only);
  if (!planned.length) {
    throw new InputError({
      file: join(planDir, MANIFEST),
      message: `this plan has no ${opts.only ?? "system"} section to apply`,
    });
  }
  for (const s of planned) {
    if (!loaded.config[s])
      throw new InputError({
        file: loaded.path,
        message: `the plan has a '${s}' section but the config has none`,
      });
  }
  const writes = { attempted: 0 };
  const ctx: RunContext = { loaded, planDir, env, log, signal: opts.signal, writes };
  const release = await lockPlanDir(planDir, { log, wait: opts.wait, signal: opts.signal });
  const sections: SectionApply[] = [];
  try {
    // A revert's writes follow from the reverted plan's recorded results: re-derived and checked.
    if (manifest.kind === "revert") await checkRevertPlan(loaded, planDir, manifest);
    // Every system's preflight passes before the first call of any.
    const ready = await preflight(ctx, manifest, planned, {
      requireCommit: opts.mainline,
      mainline: opts.mainline,
    });
    for (const s of planned) {
      sections.push(
        s === "alma"
          ? await withStreamingHeap(() => applyAlma(ctx, ready.alma, deps.alma))
          : await applyInfiniti(ctx, ready.infiniti!),
      );
    }
  } catch (e) {
    // An input error means nothing was sent; once a write has started, say so instead.
    if (e instanceof InputError && writes.attempted > 0)
      throw new Error(
        `${e.message}\nThis apply stopped after it had started ${writes.attempted} write call${writes.attempted === 1 ? "" : "s"} (${sections.map((s) => `${s.system}: ${s.updated} updated`).join(", ") || "see the journals"}): run apply again to carry on.`,
      );
    throw e;
  } finally {
    release();
  }
  const sum = (k: "updated" | "failed" | "pending") => sections.reduce((n, s) => n + s[k], 0);
  // results.md says what this apply did, in a dated section; earlier applies' sections are kept.
  const resultsPath = resultsMdPath(planDir);
  const title = resultsTitle(sections);
  const markdown = resultsMarkdown(
    title,
    new Date(),
    sections.map((s) => s.markdown).join("\n"),
    existsSync(resultsPath) ? readFileSync(resultsPath, "utf8") : undefined,
  );
  writeFileSync(resultsPath, markdown);
  return {
    planDir,
    sections,
    updated: sum("updated"),
    failed: sum("failed"),
    pending: sum("pending"),
    title,
    markdown,
    stateFiles: sections.flatMap((s) => s.stateFiles),
  };
}

export type { Logger };
