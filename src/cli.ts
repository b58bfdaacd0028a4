/**
 * The command line: `patron-sync plan|apply|revert|validate|demo|simulate`. A thin shell over src/core/run.ts.
 * Exit codes: 0 nothing failed, 1 some records failed, 2 bad input or config (nothing sent),
 * 75 another apply of the same plan is running (nothing sent; try again, or use --wait),
 * 130 interrupted (run the same command again to carry on).
 */
import { parseArgs } from "node:util";
import { relative } from "node:path";
import { endingFor, handleInterrupts } from "./core/entry.ts";
import { EXIT } from "./core/errors.ts";
import { consoleLogger } from "./core/log.ts";
import { runRevert } from "./core/revert.ts";
import { runApply, runPlan, runValidate } from "./core/run.ts";
import { runDemo } from "./demo.ts";
import { runSimulate } from "./simulate.ts";
import { builtInSystems, settingsFromEnv, SYSTEM_NAMES } from "./systems.ts";

const USAGE = `patron-sync: reviewed, safe bulk patron fixes for Alma and Concord Infiniti

Usage:
  patron-sync validate [--config FILE] [--only alma|infiniti]
  patron-sync plan     [--config FILE] [--out DIR] [--only alma|infiniti]
  patron-sync apply    --plan DIR [--config FILE] [--only alma|infiniti] [--wait]
  patron-sync revert   --plan DIR [--out DIR2] [--config FILE] [--only alma|infiniti]
                       (writes a plan that undoes what DIR's apply wrote; apply it with apply --plan DIR2)
  patron-sync demo     (runs plan and apply against the built-in simulators)
  patron-sync simulate [--alma-port N] [--infiniti-port N]
                       (runs the demo's Alma and Infiniti simulators until Ctrl-C and prints the
                        environment variables that point plan, apply and revert at them)

Environment: ALMA_API_KEY, ALMA_BASE_URL (overrides alma.region),
             INFINITI_USERNAME, INFINITI_PASSWORD, INFINITI_URL (overrides infiniti.url)
apply --wait: wait for another apply of the same plan to finish instead of exiting with 75.
Exit codes:  0 ok, 1 some records failed, 2 bad input or config (nothing sent),
             75 another apply of this plan is running (nothing sent), 130 interrupted`;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: "string", short: "c" },
        out: { type: "string", short: "o" },
        plan: { type: "string", short: "p" },
        only: { type: "string" },
        wait: { type: "boolean" },
        "alma-port": { type: "string" },
        "infiniti-port": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    return EXIT.input;
  }
  const { values, positionals } = parsed;
  const verb = positionals[0];
  if (values.help || !verb) {
    console.log(USAGE);
    return values.help ? EXIT.ok : EXIT.input;
  }
  if (values.only && !SYSTEM_NAMES.includes(values.only)) {
    console.error(`--only must be ${SYSTEM_NAMES.map((n) => `'${n}'`).join(" or ")}, not '${values.only}'`);
    return EXIT.input;
  }
  const only = values.only;
  const log = consoleLogger();
  const interrupts = handleInterrupts(log, { hint: " (press again to stop at once)" });
  try {
    // The settings are read once, here: an unusable one (a SOCKS proxy) is an input error (exit 2).
    const common = {
      systems: builtInSystems(settingsFromEnv(process.env)),
      configPath: values.config,
      only,
      log,
      signal: interrupts.signal,
    };
    switch (verb) {
      case "validate": {
        await runValidate(common);
        log.info("All input files are valid.");
        return EXIT.ok;
      }
      case "plan": {
        const outcome = await runPlan({ ...common, out: values.out });
        log.info(`\n${outcome.title}`);
        console.log(relative(process.cwd(), outcome.planDir) || outcome.planDir);
        return EXIT.ok;
      }
      case "apply": {
        if (!values.plan) {
          console.error(
            "apply needs --plan DIR: the plan directory to apply (printed by 'patron-sync plan')",
          );
          return EXIT.input;
        }
        const outcome = await runApply({ ...common, planDir: values.plan, wait: values.wait });
        log.info(
          `\nupdated ${outcome.updated}, failed ${outcome.failed}, pending ${outcome.pending}; results in ${relative(process.cwd(), outcome.planDir) || "."}`,
        );
        return outcome.failed ? EXIT.failed : EXIT.ok;
      }
      case "revert": {
        if (!values.plan) {
          console.error("revert needs --plan DIR: the applied plan directory to undo");
          return EXIT.input;
        }
        const outcome = await runRevert({ ...common, planDir: values.plan, out: values.out });
        log.info(`\n${outcome.title}`);
        console.log(relative(process.cwd(), outcome.planDir) || outcome.planDir);
        return EXIT.ok;
      }
      case "demo":
        return await runDemo({ log });
      case "simulate":
        return await runSimulate({
          log,
          signal: interrupts.signal,
          almaPort: values["alma-port"],
          infinitiPort: values["infiniti-port"],
        });
      default:
        console.error(`unknown command '${verb}'\n\n${USAGE}`);
        return EXIT.input;
    }
  } catch (e) {
    const ending = endingFor(e);
    console.error(ending.message);
    return ending.code;
  } finally {
    interrupts.dispose();
  }
}

process.exitCode = await main(process.argv.slice(2));
