/**
 * The GitHub Action's entry (action.yml runs the bundle of this file, dist/index.js, on node24).
 * Everything happens in src/github/run.ts; the exit code follows the CLI's: 0 ok, 1 some records
 * failed, 2 bad input or config (nothing sent), 75 another apply of the plan is running, 130 interrupted
 * (src/core/entry.ts).
 */
import { runAction } from "./github/run.ts";

/** The run this module starts when it is loaded: the runner executes `node dist/index.js`. */
const started = runAction().then((code) => {
  process.exitCode = code;
});

/**
 * The same run, for a harness that imports the entry and then calls `run()` (GitHub's own
 * `@github/local-action`, test/github/local-action.test.ts): it never starts a second one.
 */
export function run(): Promise<void> {
  return started;
}

await started;
