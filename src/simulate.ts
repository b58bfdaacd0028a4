/**
 * `patron-sync simulate`: the demo's Alma and Infiniti simulators (simulators/demo-pair.ts), kept running on
 * loopback until Ctrl-C, so that plan, apply and revert can be tried by hand from another terminal. It
 * prints the environment variables that point patron-sync at them (the simulators' own fake keys).
 */
import { EXIT } from "./core/errors.ts";
import type { Logger } from "./core/log.ts";
import { startDemoPair } from "./simulators/demo-pair.ts";

export interface SimulateOptions {
  log: Logger;
  /** Aborted by Ctrl-C (or SIGTERM): the simulators stop and the command ends. */
  signal: AbortSignal;
  /** The --alma-port and --infiniti-port flags as given (default: a free port each). */
  almaPort?: string;
  infinitiPort?: string;
}

/** A port flag's value: a whole number 1-65535, else the sentence to show. */
export function portFlag(flag: string, value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  const n = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= 65535)) return `${flag} must be a port number from 1 to 65535, not '${value}'`;
  return n;
}

export async function runSimulate(o: SimulateOptions): Promise<number> {
  const { log } = o;
  const almaPort = portFlag("--alma-port", o.almaPort);
  const infinitiPort = portFlag("--infiniti-port", o.infinitiPort);
  for (const p of [almaPort, infinitiPort])
    if (typeof p === "string") {
      log.error(p);
      return EXIT.input;
    }
  let pair;
  try {
    pair = await startDemoPair({ almaPort: almaPort as number, infinitiPort: infinitiPort as number });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e;
    log.error(
      `a port asked for with --alma-port or --infiniti-port is in use on 127.0.0.1: choose another, or leave the flag out for a free one`,
    );
    return EXIT.input;
  }
  try {
    const users = pair.alma.userCount();
    log.info(`Alma simulator:     ${pair.alma.url} (the demo's ${users} users)`);
    log.info(`Infiniti simulator: ${pair.infiniti.url} (no users yet)`);
    log.info(
      "\nThey run on this computer only, with their own fake keys, and keep everything in memory until stopped." +
        "\nIn another terminal, in the folder that holds patron-sync.yml and data/, set:\n",
    );
    for (const [name, value] of Object.entries(pair.env)) log.info(`export ${name}=${value}`);
    log.info(
      "\nthen, for example:\n" +
        "  npx patron-sync plan --out plans/try\n" +
        "  npx patron-sync apply --plan plans/try\n" +
        "  npx patron-sync revert --plan plans/try --out plans/try-revert\n" +
        "  npx patron-sync apply --plan plans/try-revert\n" +
        "\nPress Ctrl-C to stop the simulators.",
    );
    await new Promise<void>((resolve) => {
      if (o.signal.aborted) resolve();
      else o.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  } finally {
    await pair.close();
  }
  log.info("Simulators stopped.");
  return EXIT.ok;
}
