/**
 * The commands of `patron-sync`, one entry each: what it is for, the options it takes, what it needs
 * from the environment, and how it runs. The usage, `patron-sync help [command]` and `--help` are all
 * written from this table, and the parser refuses an option a command does not list, so a new command
 * is one entry here.
 */
import { relative } from "node:path";
import { OPTIONS, type OptionName, type OptionSpec, type ParsedArgs } from "./cli-args.ts";
import { EXIT } from "./core/errors.ts";
import type { Logger } from "./core/log.ts";
import { runRevert } from "./core/revert.ts";
import { runApply, runPlan, runValidate } from "./core/run.ts";
import type { System } from "./core/system.ts";
import { runDemo } from "./demo.ts";
import { runSimulate } from "./simulate.ts";

/** What every command is given: the options, and the run's common parts (built once in src/cli.ts). */
export interface CommandContext {
  values: ParsedArgs["values"];
  common: {
    systems: System[];
    configPath: string | undefined;
    only: string | undefined;
    log: Logger;
    signal: AbortSignal;
  };
  log: Logger;
}

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The options it takes, in the order its usage shows them; `required` ones are not in brackets. */
  options: readonly OptionName[];
  required?: readonly OptionName[];
  /** What it does, what it needs (keys), what it prints: its help, below the usage line. */
  details: string;
  /** Reads the environment variables of a read-only command's key (src/cli.ts: ALMA_READ_API_KEY). */
  readOnly?: boolean;
  /** Set when the command needs its systems built (with their settings). */
  systems?: boolean;
  run(ctx: CommandContext): Promise<number>;
}

const shown = (dir: string): string => relative(process.cwd(), dir) || dir;

export const COMMANDS: Command[] = [
  {
    name: "validate",
    summary: "check the input files offline",
    options: ["config", "only"],
    details: `Checks the config and the input files it names (the Alma lists, the Infiniti roster) offline.
No API call is made and no key is needed. Every problem is listed with its file, line and column.`,
    systems: true,
    readOnly: true,
    async run({ common, log }) {
      await runValidate(common);
      log.info("All input files are valid.");
      return EXIT.ok;
    },
  },
  {
    name: "plan",
    summary: "validate, read (never write) and write a plan directory",
    options: ["config", "out", "only"],
    details: `Validates, then reads Alma (never writes) and writes a plan directory: plan.md to review, and the
files apply works from. Prints the directory last. Infiniti is not called.
Key: a read-only Alma key is enough: ALMA_READ_API_KEY (used when set) or ALMA_API_KEY, with read
permission for Users (and Analytics when alma.patrons is a report).
A plan that fails removes the partial directory it made (it holds patron records), and says so.`,
    systems: true,
    readOnly: true,
    async run({ values, common, log }) {
      const outcome = await runPlan({ ...common, out: values.out as string | undefined });
      log.info(`\n${outcome.title}`);
      console.log(shown(outcome.planDir));
      return EXIT.ok;
    },
  },
  {
    name: "apply",
    summary: "carry out a reviewed plan and write the results into it",
    options: ["plan", "config", "only", "wait"],
    required: ["plan"],
    details: `Carries out the plan in DIR and writes the results into it. Every write re-reads the record first.
Keys: ALMA_API_KEY with read/write permission for Users; INFINITI_USERNAME and INFINITI_PASSWORD
(a user with system administration privileges). Only the systems the plan changes need theirs.
Only one apply of a plan runs at a time: --wait waits for a running one instead of exiting with 75.`,
    systems: true,
    async run({ values, common, log }) {
      const outcome = await runApply({
        ...common,
        planDir: values.plan as string,
        wait: values.wait === true,
      });
      // Each system's own words (Alma: updated; Infiniti: created or updated, as it answered).
      log.info(`\n${outcome.title}; results in ${relative(process.cwd(), outcome.planDir) || "."}`);
      return outcome.failed ? EXIT.failed : EXIT.ok;
    },
  },
  {
    name: "revert",
    summary: "write a plan that undoes what an applied plan wrote",
    options: ["plan", "out", "config", "only"],
    required: ["plan"],
    details: `Writes a new plan (default plans/<UTC timestamp>, or --out DIR2) that undoes what DIR's apply wrote,
and prints its directory. Nothing is sent and no key is needed: review its plan.md, then apply it
with 'patron-sync apply --plan DIR2'. Once applied, it stays applied: later plans leave out (as held)
what it undid while the data still give it; change the data, or delete a line of DIR2's
<system>/holds.json, to plan it again.`,
    systems: true,
    async run({ values, common, log }) {
      const outcome = await runRevert({
        ...common,
        planDir: values.plan as string,
        out: values.out as string | undefined,
      });
      log.info(`\n${outcome.title}`);
      console.log(shown(outcome.planDir));
      return EXIT.ok;
    },
  },
  {
    name: "demo",
    summary: "run plan and apply against the built-in simulators",
    options: [],
    details: `Runs the whole flow (plan, a librarian's edit, apply, apply again) against the built-in Alma and
Infiniti simulators on a copy of data/, from the patron-sync folder. Changes nothing there; needs no key.`,
    async run({ log }) {
      return await runDemo({ log });
    },
  },
  {
    name: "simulate",
    summary: "run the demo's Alma and Infiniti simulators until Ctrl-C",
    options: ["alma-port", "infiniti-port"],
    details: `Runs the demo's Alma and Infiniti simulators until Ctrl-C and prints the environment variables
that point plan, apply and revert at them. Needs no key: the simulators print the ones they accept.`,
    async run({ values, common, log }) {
      return await runSimulate({
        log,
        signal: common.signal,
        almaPort: values["alma-port"] as string | undefined,
        infinitiPort: values["infiniti-port"] as string | undefined,
      });
    },
  },
];

export function commandNamed(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

function optionUsage(name: OptionName, required: boolean): string {
  const spec = OPTIONS[name] as OptionSpec;
  const text = `--${name}${spec.value ? ` ${spec.value}` : ""}`;
  return required ? text : `[${text}]`;
}

export function usageLine(c: Command): string {
  const opts = c.options.map((o) => optionUsage(o, c.required?.includes(o) ?? false));
  return `patron-sync ${c.name}${opts.length ? ` ${opts.join(" ")}` : ""}`;
}

/** `patron-sync help COMMAND` and `patron-sync COMMAND --help`. */
export function commandHelp(c: Command): string {
  const rows = [...c.options, "help" as const].map((o) => {
    const spec = OPTIONS[o] as OptionSpec;
    const flag = `${spec.short ? `-${spec.short}, ` : "    "}--${o}${spec.value ? ` ${spec.value}` : ""}`;
    return `  ${flag.padEnd(28)}${spec.help}`;
  });
  return `${usageLine(c)}

${c.details}

Options:
${rows.join("\n")}

${EXIT_CODES}`;
}

const EXIT_CODES = `Exit codes:  0 ok, 1 some records failed, 2 bad input or config (nothing sent),
             75 another apply of this plan is running (nothing sent), 130 interrupted`;

/** `patron-sync help` (and the usage shown when no command is given). */
export function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return `patron-sync: reviewed, safe bulk patron fixes for Alma and Concord Infiniti

Usage:
${COMMANDS.map((c) => `  ${usageLine(c)}`).join("\n")}
  patron-sync help [COMMAND]      (what a command does, its options and the keys it needs)
  patron-sync --version

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join("\n")}

Environment: ALMA_READ_API_KEY (plan: a read-only key is enough), ALMA_API_KEY (apply: read/write),
             ALMA_BASE_URL (overrides alma.region), INFINITI_USERNAME, INFINITI_PASSWORD (apply),
             INFINITI_URL (overrides infiniti.url)
${EXIT_CODES}`;
}
