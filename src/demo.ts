/**
 * `patron-sync demo`: the whole flow against the built-in simulators, on a copy of this
 * repository's sample config and data in a temporary folder (nothing here is changed).
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EXIT } from "./core/errors.ts";
import type { Logger } from "./core/log.ts";
import { runApply, runPlan } from "./run.ts";
import { startDemoPair } from "./simulators/demo-pair.ts";

export interface DemoOptions {
  log: Logger;
  /** Folder holding patron-sync.yml and data/ (default: the current folder). */
  source?: string;
}

export async function runDemo({ log, source = process.cwd() }: DemoOptions): Promise<number> {
  const started = Date.now();
  const from = resolve(source);
  if (!existsSync(join(from, "patron-sync.yml")) || !existsSync(join(from, "data"))) {
    log.error(`the demo needs patron-sync.yml and data/ in ${from}: run it from the patron-sync folder`);
    return EXIT.input;
  }
  const work = mkdtempSync(join(tmpdir(), "patron-sync-demo-"));
  cpSync(join(from, "patron-sync.yml"), join(work, "patron-sync.yml"));
  cpSync(join(from, "data"), join(work, "data"), { recursive: true });
  // The demo updates user fields too (alma.updates): the sample config names the sample file, commented out.
  const config = join(work, "patron-sync.yml");
  const updates = /^(\s*)# (updates: data\/alma\/user_updates\.csv)/m;
  if (existsSync(join(work, "data", "alma", "user_updates.csv")))
    writeFileSync(config, readFileSync(config, "utf8").replace(updates, "$1$2"));

  const pair = await startDemoPair();
  const { alma, infiniti } = pair;
  const env: NodeJS.ProcessEnv = { ...process.env, ...pair.env };
  const say = (s: string) => log.info(s);
  try {
    say(`Demo: Alma simulator at ${alma.url}, Infiniti simulator at ${infiniti.url}`);
    say(`Working on a copy of the sample data in ${work}\n`);

    say(
      "1. plan: read every listed patron and every user of the updates file from Alma, and validate the Infiniti roster (nothing is sent)",
    );
    const plan = await runPlan({ cwd: work, env, log, out: join(work, "plans", "demo") });
    say(`   ${plan.title}`);

    say("\n2. meanwhile a librarian gives one planned patron a barcode by hand in Alma");
    const edited = alma.demoEdit?.();
    if (edited) say(`   ${edited}`);

    say("\n3. apply: re-read each user, write only what the plan showed, post the Infiniti import");
    const applied = await runApply({ cwd: work, env, log, planDir: plan.planDir });
    // Each system's own words: Alma users are updated, Infiniti users created or updated as Infiniti said.
    say(`   ${applied.title}`);

    say("\n4. apply again: safe to repeat; nothing is sent twice");
    const again = await runApply({ cwd: work, env, log, planDir: plan.planDir });
    const counts = again.sections.map(
      (s) =>
        `${s.system}: ${Object.entries(s.counts)
          .map(([k, v]) => `${v} ${k}`)
          .join(", ")}`,
    );
    say(`   ${counts.join(" · ")}`);

    say(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s. Files, in ${plan.planDir}:`);
    const files: [string, string][] = [
      ["plan.md", "the plan, as a reviewer sees it (the pull request description)"],
      ["alma/changes.csv", "one line per planned Alma change: who, barcodes and fields before and after"],
      ["alma/all_patrons.xml", "the records as fetched"],
      ["alma/processed_results.xml", "the exact bodies that were PUT"],
      ["alma/results.csv", "one line per patron: updated / unchanged / skipped / failed"],
      ["infiniti/import.csv", "the exact CSV posted to Infiniti"],
      ["infiniti/changes.csv", "one line per Infiniti user changed: each field old → new"],
      ["infiniti/results.csv", "one line per Infiniti user: created / updated / failed"],
      ["results.md", "what each apply did, newest first"],
    ];
    for (const [file, what] of files) say(`  ${file.padEnd(28)} ${what}`);
    return EXIT.ok;
  } finally {
    await pair.close();
  }
}
