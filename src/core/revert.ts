/**
 * Undo (issue #13): `patron-sync revert --plan DIR [--out DIR2]` writes a new plan, the same layout
 * as any plan with `kind: revert` and `reverts: DIR` in its manifest, that undoes what DIR's apply
 * wrote (and only that: what DIR's results record as written). It is applied like any plan.
 *
 * The rule for applying a revert plan: its writes follow from DIR's recorded results (the Alma
 * journal's identifiers before/after, Infiniti's applied.json), not from the data files. Apply
 * re-derives the revert from DIR and refuses (exit 2, nothing sent) when the revert plan's files
 * differ from it; an Infiniti import.csv left out of git is re-made from DIR.
 *
 * A revert stays reverted (issue #19): each system's `<system>/holds.json` in the revert plan names
 * what it undoes and the input that produced it; later plans do not plan it again from the same
 * input (src/core/holds.ts).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { loadConfigWith, type LoadedConfig } from "./config.ts";
import { InputError } from "./errors.ts";
import { HOLDS_FILE, type HoldsFile } from "./holds.ts";
import { consoleLogger } from "./log.ts";
import { planMdPath, systemDir, systemPath, writeManifest } from "./plandir.ts";
import { MANIFEST, readManifest, utcStamp, type Manifest } from "./run.ts";
import { systemNamed, type System } from "./system.ts";
import type { PlanOutcome, RunOptions, SectionPlan } from "./types.ts";

export interface RevertOptions extends RunOptions {
  /** The plan directory whose apply is undone. */
  planDir: string;
  /** Where the revert plan goes; default `<plans_dir>/<UTC timestamp>`. */
  out?: string;
}

/** The reverted plan directory as the manifest names it: relative to the config's folder, forward slashes. */
function nameOf(loaded: LoadedConfig, abs: string): string {
  return relative(loaded.root, abs).split(sep).join("/") || ".";
}

export async function runRevert(opts: RevertOptions): Promise<PlanOutcome> {
  const log = opts.log ?? consoleLogger();
  const loaded = await loadConfigWith(
    opts.systems.map((s) => s.config),
    opts.configPath,
    opts.cwd,
  );
  const cwd = opts.cwd ?? process.cwd();
  const dir = resolve(cwd, opts.planDir);
  const manifest = readManifest(dir);
  if (manifest.kind === "revert")
    throw new InputError({
      file: join(dir, MANIFEST),
      message: `is itself a revert (of ${manifest.reverts}): to go back to what ${manifest.reverts} did, release its holds (delete ${nameOf(loaded, dir)}/<system>/${HOLDS_FILE} in a commit), then plan again from the data`,
    });
  const reverts = nameOf(loaded, dir);
  const planDir = opts.out
    ? resolve(cwd, opts.out)
    : join(resolve(loaded.root, loaded.config.plans_dir), utcStamp());
  if (resolve(planDir) === dir)
    throw new InputError({
      file: opts.out ?? planDir,
      message: "the revert plan must go to a new directory",
    });
  if (existsSync(join(planDir, MANIFEST)))
    throw new InputError({
      file: join(planDir, MANIFEST),
      message: "a plan is already there: choose a new --out",
    });
  mkdirSync(planDir, { recursive: true });

  const systems: System[] = [];
  for (const name of manifest.sections.map((s) => s.system).filter((s) => !opts.only || s === opts.only)) {
    const s = systemNamed(opts.systems, name);
    if (!s)
      throw new InputError({
        file: join(dir, MANIFEST),
        message: `the plan has a '${name}' section, a system this patron-sync does not know`,
      });
    systems.push(s);
  }
  const sections: SectionPlan[] = [];
  const holdFiles: string[] = [];
  for (const s of systems) {
    sections.push(await s.revert.plan(planDir, dir, reverts));
    const holds = await holdsFileOf(s, dir, reverts);
    if (holds) {
      holdFiles.push(`\`${s.name}/${HOLDS_FILE}\``);
      mkdirSync(systemDir(planDir, s.name), { recursive: true });
      writeFileSync(systemPath(planDir, s.name, HOLDS_FILE), holdsJson(holds));
      sections.at(-1)!.files.push(`${s.name}/${HOLDS_FILE}`);
    }
    log.info(`${s.name}: ${sections.at(-1)!.headline}`);
  }
  const changes = sections.reduce((n, s) => n + s.changes, 0);
  const title = `Patron sync plan: revert of ${reverts}: ${sections.map((s) => s.headline).join(" · ") || "nothing to undo"}`;
  const rel = nameOf(loaded, planDir);
  const markdown = [
    `# ${title}`,
    "",
    `This plan is a **revert of \`${reverts}\`** (“${manifest.title.replace(/^Patron sync plan: /, "")}”). It undoes only what that plan's apply wrote, as its results record it; users it did not write are left alone. Nothing has been sent yet. Plan directory: \`${rel}\`.`,
    "",
    ...(holdFiles.length
      ? [
          `Once applied, it stays applied: later plans leave out what it undid while the data still give it (they list those users as \`held\`; ${holdFiles.join(", ")}). Change the data, or delete a user's line from those files, to plan it again.`,
          "",
        ]
      : []),
    "| System | Records to send | Summary |",
    "|---|--:|---|",
    ...sections.map((s) => `| ${systemNamed(systems, s.system)!.longLabel} | ${s.changes} | ${s.headline} |`),
    "",
    ...sections.map((s) => s.markdown),
    "",
    "---",
    `Merge the pull request to apply it, or, in a clone of the data repository after \`npm ci\`, run \`npx patron-sync apply --plan ${rel}\`.`,
    "",
  ].join("\n");
  const out: Manifest = {
    version: 1,
    tool: "patron-sync",
    kind: "revert",
    reverts,
    created: new Date().toISOString(),
    config: relative(loaded.root, loaded.path),
    title,
    changes,
    sections: sections.map(({ markdown: _m, ...rest }) => rest),
  };
  writeManifest(planDir, out);
  writeFileSync(planMdPath(planDir), markdown);
  return { planDir, sections, changes, title, markdown };
}

/** What a system holds once the revert of `dir` is applied (core/holds.ts); undefined: nothing. */
async function holdsFileOf(s: System, dir: string, reverts: string): Promise<HoldsFile | undefined> {
  const holds = s.revert.holds ? await s.revert.holds(dir, reverts) : [];
  return holds.length ? { version: 1, system: s.name, reverts, holds } : undefined;
}

const holdsJson = (f: HoldsFile) =>
  `{"version":1,"system":${JSON.stringify(f.system)},"reverts":${JSON.stringify(f.reverts)},"holds":[\n${f.holds.map((h) => JSON.stringify(h)).join(",\n")}\n]}\n`;

/** A revert plan's file that does not follow from the reverted plan's results (each system's check). */
export const revertRefused = (file: string, reverts: string, what: string) =>
  new InputError({
    file,
    message: `${what} does not follow from the recorded results of ${reverts}: nothing was sent. Make the revert again (patron-sync revert --plan ${reverts})`,
  });

/**
 * Before applying a revert plan: each system re-derives its part from the reverted plan's recorded
 * results and refuses when the revert plan's writes differ (and may re-make a file left out of git).
 */
export async function checkRevertPlan(
  loaded: LoadedConfig,
  planDir: string,
  manifest: Manifest,
  systems: readonly System[],
  /** The reverted plan directory as committed on the default branch (the action: src/core/mainline.ts). */
  committed?: string,
): Promise<void> {
  const reverts = manifest.reverts;
  const file = join(planDir, MANIFEST);
  if (!reverts)
    throw new InputError({ file, message: "is a revert plan that does not name the plan it reverts" });
  const dir = committed ?? resolve(loaded.root, reverts);
  if (!existsSync(join(dir, MANIFEST)))
    throw new InputError({
      file,
      message: `reverts ${reverts}, which is not there (no ${reverts}/plan.json)`,
    });
  for (const s of systems) {
    await s.revert.check(planDir, dir, reverts);
    // holds.json may be deleted (no hold, see README), never changed.
    const path = systemPath(planDir, s.name, HOLDS_FILE);
    if (!existsSync(path)) continue;
    const want = await holdsFileOf(s, dir, reverts);
    const have = readFileSync(path, "utf8").replace(/\r\n/g, "\n");
    if (!want || have !== holdsJson(want)) throw revertRefused(path, reverts, `${s.name}/${HOLDS_FILE}`);
  }
}
