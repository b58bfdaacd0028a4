/**
 * The command line's words: its options, and a parser that checks them against the command they are
 * given to. Every mistake is one clear sentence (src/cli.ts prints it and exits 2): an unknown option
 * (with the nearest one when it is close), an option the command does not take, an option without its
 * value, and an argument where the command takes none. Node's own parser is not used: its messages
 * quote the option with an unbalanced quote and do not know which command was meant.
 */
import { nearestName } from "./core/did-you-mean.ts";

export interface OptionSpec {
  /** A value follows the option (`--out DIR`, `--out=DIR`), or it is a switch (`--wait`). */
  value?: string;
  short?: string;
  /** One line for the command's help. */
  help: string;
}

/** Every option any command takes. A command lists the ones it takes (src/cli-commands.ts). */
export const OPTIONS = {
  config: { value: "FILE", short: "c", help: "the config file (default: patron-sync.yml)" },
  out: { value: "DIR", short: "o", help: "where to write the plan (default: plans/<UTC timestamp>)" },
  plan: { value: "DIR", short: "p", help: "the plan directory (printed by 'patron-sync plan')" },
  only: { value: "alma|infiniti", help: "one system only" },
  wait: { help: "wait for another apply of the same plan to finish instead of exiting with 75" },
  "alma-port": { value: "N", help: "the Alma simulator's port (default: any free port)" },
  "infiniti-port": { value: "N", help: "the Infiniti simulator's port (default: any free port)" },
  help: { short: "h", help: "this help" },
  version: { help: "the version of patron-sync" },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

export interface ParsedArgs {
  values: Partial<Record<OptionName, string | boolean>>;
  positionals: string[];
}

/** A mistake on the command line: its message is the one line to print (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const NAMES = Object.keys(OPTIONS) as OptionName[];

function byShort(letter: string): OptionName | undefined {
  return NAMES.find((n) => (OPTIONS[n] as OptionSpec).short === letter);
}

/** Splits argv into options and positionals; only unknown options and missing values are refused here. */
export function parseArgv(argv: readonly string[]): ParsedArgs & { seen: OptionName[] } {
  const values: ParsedArgs["values"] = {};
  const positionals: string[] = [];
  const seen: OptionName[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith("--");
    const eq = arg.indexOf("=");
    const written = long ? (eq === -1 ? arg : arg.slice(0, eq)) : arg.slice(0, 2);
    const name = long ? NAMES.find((n) => n === written.slice(2)) : byShort(arg.slice(1, 2));
    if (!name) {
      const near = long ? nearestName(written.slice(2), NAMES) : undefined;
      throw new UsageError(`unknown option '${written}'${near ? `: did you mean '--${near}'?` : ""}`);
    }
    const spec = OPTIONS[name] as OptionSpec;
    let inline: string | undefined;
    if (long && eq !== -1) inline = arg.slice(eq + 1);
    else if (!long && arg.length > 2) inline = arg.slice(2).replace(/^=/, "");
    if (!spec.value) {
      if (inline !== undefined) throw new UsageError(`the option '--${name}' takes no value`);
      values[name] = true;
    } else {
      const next = inline ?? argv[i + 1];
      if (next === undefined || next === "" || (inline === undefined && next.startsWith("-"))) {
        throw new UsageError(`the option '--${name}' needs a value: --${name} ${spec.value}`);
      }
      if (inline === undefined) i++;
      values[name] = next;
    }
    seen.push(name);
  }
  return { values, positionals, seen };
}
