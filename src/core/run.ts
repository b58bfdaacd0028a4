/**
 * The one core that the CLI and the action share: validate, plan, apply.
 *
 * Order of work: every input of every system is validated before the first API call, so bad
 * input means exit 2 and nothing sent. A plan directory holds plan.json (the manifest: what was
 * planned, per system) and plan.md (its readable face), plus each system's files.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { loadConfigWith, type LoadedConfig } from "./config.ts";
import { InputError, InterruptedError } from "./errors.ts";
import { activeHolds, fsTree } from "./holds.ts";
import { describeSource, openPlanData, recordSource, type PlanData } from "./integrity.ts";
import { checkMainline, committedReverted, configAtCommit, type CommittedPlan } from "./mainline.ts";
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
import { systemNamed, type System } from "./system.ts";
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
} from "./types.ts";

export { MANIFEST, readManifest, type Manifest };

/** "'alma', 'infiniti' or 'koha'": the sections a config may have. */
function sectionNames(systems: readonly System[]): string {
  const names = systems.map((s) => `'${s.name}'`);
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : (names[0] ?? "none");
}

/** The systems the config has a section for (only `only`, when given), in the order they were given. */
function configured(loaded: LoadedConfig, systems: readonly System[], only?: string): System[] {
  const all = systems.filter((s) => loaded.config[s.name] !== undefined);
  const chosen = only ? all.filter((s) => s.name === only) : all;
  if (!chosen.length) {
    throw new InputError({
      file: relative(process.cwd(), loaded.path) || loaded.path,
      message: only
        ? `there is no '${only}' section in the config`
        : `the config has no ${sectionNames(systems)} section`,
    });
  }
  return chosen;
}

/** Offline checks of every input file. Throws InputError listing every problem. */
export async function runValidate(opts: RunOptions): Promise<{ loaded: LoadedConfig; systems: System[] }> {
  const log = opts.log ?? consoleLogger();
  const loaded = await loadConfigWith(
    opts.systems.map((s) => s.config),
    opts.configPath,
    opts.cwd,
  );
  const chosen = configured(loaded, opts.systems, opts.only);
  const problems: InputError[] = [];
  for (const s of chosen) {
    try {
      log.info(`${s.name}: ${await s.validate(loaded)}`);
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

export async function runPlan(opts: PlanOptions): Promise<PlanOutcome> {
  const log = opts.log ?? consoleLogger();
  const { loaded, systems: chosen } = await runValidate({ ...opts, log });
  const plansDir = resolve(loaded.root, loaded.config.plans_dir);
  let planDir: string;
  let resumed: string | undefined;
  if (opts.out) planDir = resolve(opts.cwd ?? process.cwd(), opts.out);
  else {
    resumed = unfinishedPlan(plansDir);
    if (resumed) log.info(`carrying on the unfinished plan in ${relative(loaded.root, resumed)}`);
    planDir = resumed ?? join(plansDir, utcStamp());
  }
  // A plan that fails takes its partial directory with it (it holds patron records): what was there before stays.
  const before = existsSync(planDir) && planDir !== resumed ? new Set(readdirSync(planDir)) : undefined;
  mkdirSync(planDir, { recursive: true });
  try {
    return await writePlan(opts, log, loaded, chosen, planDir);
  } catch (e) {
    if (!(e instanceof InterruptedError)) discardFailedPlan(planDir, before, loaded.root, log);
    throw e;
  }
}

/**
 * Removes what a failed plan wrote: the whole directory when this plan made it (or carried on an unfinished
 * one), else only the entries it added. An interrupted plan is kept: running it again carries it on.
 */
function discardFailedPlan(
  planDir: string,
  before: Set<string> | undefined,
  root: string,
  log: Logger,
): void {
  const shown = relative(root, planDir) || planDir;
  try {
    if (!before) {
      rmSync(planDir, { recursive: true, force: true });
      log.warn(
        `the plan did not finish: its partial directory ${shown} was removed (it held patron records)`,
      );
      return;
    }
    const added = readdirSync(planDir).filter((name) => !before.has(name));
    if (!added.length) return;
    for (const name of added) rmSync(join(planDir, name), { recursive: true, force: true });
    log.warn(
      `the plan did not finish: what it had written in ${shown} (${added.join(", ")}) was removed (it held patron records); the directory existed before, so it and its other files were kept`,
    );
  } catch (e) {
    log.warn(
      `the plan did not finish, and its partial directory ${shown} could not be removed: ${(e as Error).message}; delete it, it may hold patron records`,
    );
  }
}

async function writePlan(
  opts: PlanOptions,
  log: Logger,
  loaded: LoadedConfig,
  chosen: System[],
  planDir: string,
): Promise<PlanOutcome> {
  // plan.md is the pull request's description: each system gets a share of its budget.
  const markdownBudget = Math.floor((PLAN_MD_BUDGET - HEAD_RESERVE) / chosen.length);
  const ctx: RunContext = {
    loaded,
    planDir,
    log,
    signal: opts.signal,
    scheduled: opts.scheduled,
    markdownBudget,
  };
  // What the plan is made from, recorded before it reads the data (apply re-derives every write from it).
  const source = await recordSource(loaded, chosen);
  const configFile = relative(process.cwd(), loaded.path) || loaded.path;
  const endpoints: Record<string, string> = {};
  const sentences: string[] = [];
  for (const s of chosen) {
    const e = s.endpoint?.(ctx, configFile);
    if (e) {
      endpoints[s.name] = e.url;
      sentences.push(e.sentence);
    }
  }

  // A revert stays reverted: each system is given the holds in force in the plan directories.
  const tree = fsTree(loaded.root);
  const plansRel = relative(loaded.root, resolve(loaded.root, loaded.config.plans_dir));
  const sections: SectionPlan[] = [];
  for (const s of chosen)
    sections.push(await s.plan({ ...ctx, holds: await activeHolds(tree, plansRel, s) }));
  const changes = sections.reduce((n, s) => n + s.changes, 0);
  const label = (s: SectionPlan) => systemNamed(chosen, s.system)!;
  const title = `Patron sync plan: ${sections.map((s) => `${label(s).label} ${s.headline}`).join("; ")}`;
  const markdown = renderPlanMarkdown(title, planDir, loaded, chosen, sections, source, sentences);
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

/** What an apply did, e.g. "Patron sync results: Alma 4,071 updated · 2 failed; Infiniti 12 updated". */
export function resultsTitle(
  sections: { system: string; counts: Record<string, number> }[],
  systems: readonly Pick<System, "name" | "label">[],
): string {
  const label = (name: string) => systemNamed(systems, name)?.label ?? name;
  return `Patron sync results: ${sections.map((s) => `${label(s.system)} ${resultsHeadline(s.counts)}`).join("; ")}`;
}
/** Characters of plan.md kept for its head and foot; the rest is shared among the systems. */
const HEAD_RESERVE = 2_000;

function renderPlanMarkdown(
  title: string,
  planDir: string,
  loaded: LoadedConfig,
  systems: readonly System[],
  sections: SectionPlan[],
  source: PlanSource,
  endpointSentences: string[],
): string {
  const rel = relative(loaded.root, planDir) || ".";
  const where = [
    `Made from ${describeSource(source)}; apply re-derives every write from these data and refuses a plan whose files do not follow from them.`,
    ...endpointSentences,
  ];
  const promises = systems.flatMap((s) => (s.promise ? [s.promise] : []));
  const head = [
    `# ${md(title)}`,
    "",
    "| System | Records to send | Summary |",
    "|---|--:|---|",
    ...sections.map(
      (s) => `| ${systemNamed(systems, s.system)!.longLabel} | ${num(s.changes)} | ${md(s.headline)} |`,
    ),
    "",
    `Plan directory: \`${rel}\`. Nothing has been sent yet. Merging this plan applies exactly what it shows${promises.map((p) => `; ${p}`).join("")}.`,
    "",
    where.join(" "),
    "",
  ].join("\n");
  const foot = [
    "",
    "---",
    `Merge the pull request to apply it, or, in a clone of the data repository after \`npm ci\`, run \`npx patron-sync apply --plan ${rel}\`.`,
    "",
  ].join("\n");
  // The parts are joined by line breaks: one per section and one before the foot.
  const available = PLAN_MD_BUDGET - head.length - foot.length - sections.length - 1;
  return [head, ...shareBudget(available, sections), foot].join("\n");
}

/**
 * A section rendered within `budget` characters. A renderer counts its tables against the budget but
 * always prints its headings, counts and closing lines: when those push it over, it is rendered again
 * with the overshoot taken off, so plan.md stays within PLAN_MD_BUDGET as it says.
 */
export function renderWithin(render: (budget: number) => string, budget: number): string {
  let markdown = render(budget);
  for (let cut = 0, tries = 0; markdown.length > budget && tries < 5; tries++) {
    cut += markdown.length - budget;
    const again = render(Math.max(0, budget - cut));
    if (again.length >= markdown.length) break; // only what must show is left
    markdown = again;
  }
  return markdown;
}

/**
 * Every section is always present. Each first gets an equal share; what a short section leaves is
 * then shared among the others (a section that fits renders the same with more room).
 */
function shareBudget(available: number, sections: SectionPlan[]): string[] {
  const share = Math.floor(available / sections.length);
  const first = sections.map((s) => (s.render ? renderWithin(s.render, share) : s.markdown));
  const spare = available - first.reduce((n, m) => n + m.length, 0);
  // A section within 1,000 characters of its share was probably cut: it gets the spare room.
  const hungry = sections.filter((s, i) => s.render && first[i]!.length > share - 1_000);
  if (spare <= 0 || !hungry.length) return first;
  const more = Math.floor(spare / hungry.length);
  return sections.map((s, i) =>
    hungry.includes(s) ? renderWithin(s.render!, first[i]!.length + more) : first[i]!,
  );
}

export async function runApply(opts: ApplyOptions): Promise<ApplyOutcome> {
  const log = opts.log ?? consoleLogger();
  const sectionsKnown = opts.systems.map((s) => s.config);
  const loaded = await loadConfigWith(sectionsKnown, opts.configPath, opts.cwd);
  const planDir = resolve(opts.cwd ?? process.cwd(), opts.planDir);
  const manifest = readManifest(planDir);
  const names = manifest.sections.map((s) => s.system).filter((s) => !opts.only || s === opts.only);
  if (!names.length) {
    throw new InputError({
      file: join(planDir, MANIFEST),
      message: `this plan has no ${opts.only ?? "system"} section to apply`,
    });
  }
  const planned: System[] = [];
  for (const name of names) {
    const s = systemNamed(opts.systems, name);
    if (!s)
      throw new InputError({
        file: join(planDir, MANIFEST),
        message: `the plan has a '${name}' section, a system this patron-sync does not know`,
      });
    if (loaded.config[name] === undefined)
      throw new InputError({
        file: loaded.path,
        message: `the plan has a '${name}' section but the config has none`,
      });
    planned.push(s);
  }
  const writes = { attempted: 0 };
  const ctx: RunContext = { loaded, planDir, log, signal: opts.signal, writes };
  const release = await lockPlanDir(planDir, { log, wait: opts.wait, signal: opts.signal });
  const sections: SectionApply[] = [];
  let reverted: CommittedPlan | undefined;
  try {
    const revert = manifest.kind === "revert";
    // The action: where the plan came from, before anything is read from it (src/core/mainline.ts).
    const main = opts.mainline
      ? await checkMainline(loaded, planDir, planned, { uncommitted: opts.uncommitted })
      : undefined;
    const dataOpts = {
      sections: sectionsKnown,
      requireCommit: opts.mainline,
      mainline: opts.mainline,
      asOf: main?.asOf,
      systems: planned,
    };
    let data: PlanData | undefined;
    if (revert && main) {
      // Re-derived from the reverted plan as the default branch holds it, with the config of then.
      ctx.loaded = await configAtCommit(main.git, loaded, main.asOf, sectionsKnown);
      reverted = await committedReverted(main, ctx.loaded, planDir, manifest.reverts);
      ctx.revertedDir = reverted.dir;
    } else if (!revert && (main || manifest.source?.kind === "git")) {
      // Everything that steers a write (addresses, rules, tuning) is the config at the plan's commit.
      data = await openPlanData(loaded, planDir, manifest, dataOpts);
      ctx.loaded = data.loaded;
    }
    // A revert's writes follow from the reverted plan's recorded results: re-derived and checked.
    if (revert) await checkRevertPlan(ctx.loaded, planDir, manifest, planned, reverted?.dir);
    // Every system's preflight passes before the first call of any.
    const ready = await preflight(ctx, manifest, planned, dataOpts, {
      data,
      revertedDir: reverted?.dir,
    });
    for (const s of planned) sections.push(await s.apply(ctx, ready.get(s.name)));
  } catch (e) {
    // An input error means nothing was sent; once a write has started, say so instead.
    if (e instanceof InputError && writes.attempted > 0)
      throw new Error(
        `${e.message}\nThis apply stopped after it had started ${writes.attempted} write call${writes.attempted === 1 ? "" : "s"} (${sections.map((s) => `${s.system}: ${s.updated} updated`).join(", ") || "see the journals"}): run apply again to carry on.`,
      );
    throw e;
  } finally {
    reverted?.remove();
    release();
  }
  const sum = (k: "updated" | "failed" | "pending") => sections.reduce((n, s) => n + s[k], 0);
  // results.md says what this apply did, in a dated section; earlier applies' sections are kept.
  const resultsPath = resultsMdPath(planDir);
  const title = resultsTitle(sections, planned);
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
