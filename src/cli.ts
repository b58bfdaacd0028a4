/**
 * The command line: `patron-sync validate|plan|apply|revert|demo|simulate`, `help [command]`, `--help`, `--version`.
 * A thin shell over src/core/run.ts; the commands are a table (src/cli-commands.ts), the options are
 * checked per command (src/cli-args.ts).
 * Exit codes: 0 nothing failed, 1 some records failed, 2 bad input or config, or a usage mistake
 * (nothing sent), 75 another apply of the same plan is running (nothing sent; try again, or use --wait),
 * 130 interrupted (run the same command again to carry on).
 */
import pkg from "../package.json" with { type: "json" };
import { parseArgv, UsageError, type OptionName } from "./cli-args.ts";
import { COMMANDS, commandHelp, commandNamed, generalHelp, type Command } from "./cli-commands.ts";
import { endingFor, handleInterrupts } from "./core/entry.ts";
import { EXIT } from "./core/errors.ts";
import { consoleLogger } from "./core/log.ts";
import { builtInSystems, settingsFromEnv, SYSTEM_NAMES, type Settings } from "./systems.ts";

/** The version in package.json (bundled into dist/ with the code). */
export function version(): string {
  return pkg.version;
}

/**
 * The settings a command runs with. A read-only command (validate, plan) uses ALMA_READ_API_KEY when it
 * is set, as the action does (src/github/inputs.ts): a key with read permission is enough to plan.
 */
export function cliSettings(command: Command, env: NodeJS.ProcessEnv): Settings {
  const settings = settingsFromEnv(env);
  const readKey = command.readOnly ? env.ALMA_READ_API_KEY?.trim() : undefined;
  if (!readKey) return settings;
  return { ...settings, alma: { ...settings.alma, apiKey: readKey, keyName: "ALMA_READ_API_KEY" } };
}

/** Checks the options and arguments against the command; throws UsageError (one line). */
function checkUsage(
  command: Command,
  seen: OptionName[],
  values: Record<string, unknown>,
  rest: string[],
  forHelp = false,
): void {
  const see = `see 'patron-sync help ${command.name}'`;
  for (const name of seen) {
    if (name === "help" || name === "version" || command.options.includes(name)) continue;
    const takes = command.options.length
      ? `it takes ${command.options.map((o) => `--${o}`).join(", ")}`
      : "it takes no options";
    throw new UsageError(`the option '--${name}' does not apply to '${command.name}': ${takes} (${see})`);
  }
  if (rest.length) {
    throw new UsageError(
      `unexpected argument '${rest[0]}': '${command.name}' takes no arguments${rest[0]!.includes("/") ? " (a directory is given with --plan DIR or --out DIR)" : ""} (${see})`,
    );
  }
  for (const name of forHelp ? [] : (command.required ?? [])) {
    if (values[name] === undefined) {
      throw new UsageError(
        name === "plan"
          ? `${command.name} needs --plan DIR: ${command.name === "revert" ? "the applied plan directory to undo" : "the plan directory to apply (printed by 'patron-sync plan')"}`
          : `${command.name} needs --${name}`,
      );
    }
  }
  if (typeof values.only === "string" && !SYSTEM_NAMES.includes(values.only)) {
    throw new UsageError(
      `--only must be ${SYSTEM_NAMES.map((n) => `'${n}'`).join(" or ")}, not '${values.only}'`,
    );
  }
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let command: Command | undefined;
  try {
    const { values, positionals, seen } = parseArgv(argv);
    const [verb, ...rest] = positionals;
    if (values.version) {
      if (verb || seen.length > 1) throw new UsageError("--version takes no command and no other option");
      console.log(version());
      return EXIT.ok;
    }
    if (verb === undefined) {
      if (values.help && seen.length === 1) {
        console.log(generalHelp());
        return EXIT.ok;
      }
      if (seen.length) throw new UsageError("no command: the options come after a command");
      console.error(generalHelp());
      return EXIT.input;
    }
    if (verb === "help") {
      if (seen.some((n) => n !== "help"))
        throw new UsageError("'help' takes no options: patron-sync help [COMMAND]");
      if (rest.length > 1)
        throw new UsageError(`unexpected argument '${rest[1]}': patron-sync help [COMMAND]`);
      if (rest[0] === undefined) {
        console.log(generalHelp());
        return EXIT.ok;
      }
      const about = commandNamed(rest[0]);
      if (!about) throw new UsageError(unknownCommand(rest[0]));
      console.log(commandHelp(about));
      return EXIT.ok;
    }
    command = commandNamed(verb);
    if (!command) throw new UsageError(unknownCommand(verb));
    if (values.help) {
      checkUsage(command, seen, values, rest, true);
      console.log(commandHelp(command));
      return EXIT.ok;
    }
    checkUsage(command, seen, values, rest);
    return await runCommand(command, values, env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    // A mistake found while reading the options names the command it was given to.
    const about = command ?? commandNamed(argv.find((a) => !a.startsWith("-")) ?? "");
    const see = about && !e.message.includes("(see ") ? ` (see 'patron-sync help ${about.name}')` : "";
    const prefix = about && !e.message.startsWith(`${about.name} `) ? ` ${about.name}` : "";
    console.error(`patron-sync${prefix}: ${e.message}${see}`);
    return EXIT.input;
  }
}

function unknownCommand(verb: string): string {
  return `unknown command '${verb}': the commands are ${[...COMMANDS.map((c) => c.name), "help"].join(", ")} (see 'patron-sync help')`;
}

async function runCommand(
  command: Command,
  values: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const log = consoleLogger();
  const interrupts = handleInterrupts(log, { hint: " (press again to stop at once)" });
  try {
    // The settings are read once, here: an unusable one (a SOCKS proxy) is an input error (exit 2).
    const systems = command.systems ? builtInSystems(cliSettings(command, env)) : [];
    const common = {
      systems,
      configPath: values.config as string | undefined,
      only: values.only as string | undefined,
      log,
      signal: interrupts.signal,
    };
    return await command.run({ values, common, log });
  } catch (e) {
    const ending = endingFor(e);
    console.error(ending.message);
    return ending.code;
  } finally {
    interrupts.dispose();
  }
}

process.exitCode = await main(process.argv.slice(2));
