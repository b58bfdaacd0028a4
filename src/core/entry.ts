/**
 * What the two entries (src/cli.ts and the action's src/github/run.ts) share around a run: the
 * interrupt handling and the exit code and words for an error. Each entry shows the words its own way
 * (the CLI on stderr, the action with core.setFailed).
 *
 * Exit codes (a public contract, core/errors.ts EXIT): 0 ok, 1 some records failed or any other error,
 * 2 bad input or config (nothing sent), 75 another apply of the same plan is running (nothing sent by
 * this run), 130 interrupted (run the same command again to carry on).
 */
import { EXIT, EXIT_INTERRUPTED, InputError, InterruptedError } from "./errors.ts";
import { BusyError } from "./lock.ts";
import type { Logger } from "./log.ts";

/** How a run that threw ends: its exit code and the words to show (lines joined by "\n"). */
export interface Ending {
  code: number;
  message: string;
}

/** The exit code and the words for an error thrown by a run. */
export function endingFor(e: unknown): Ending {
  if (e instanceof InputError)
    // Core raises InputError only before the first write (runApply turns a later one into an Error).
    return { code: EXIT.input, message: `${e.message}\nNothing was sent.` };
  if (e instanceof BusyError)
    return { code: EXIT.busy, message: `${e.message}\nNothing was sent by this run.` };
  if (e instanceof InterruptedError) return { code: EXIT_INTERRUPTED, message: e.message };
  return { code: EXIT.failed, message: `error: ${(e as Error).message}` };
}

/** Where the signals come from (process, or an EventEmitter in tests). */
export interface SignalSource {
  on(event: "SIGINT" | "SIGTERM", listener: (sig: NodeJS.Signals) => void): unknown;
  off(event: "SIGINT" | "SIGTERM", listener: (sig: NodeJS.Signals) => void): unknown;
}

export interface InterruptOptions {
  /** Added to the warning on the first signal, e.g. " (press again to stop at once)". */
  hint?: string;
  source?: SignalSource;
  exit?: (code: number) => void;
}

export interface Interrupts {
  /** Aborted on the first SIGINT or SIGTERM: the run finishes the calls in flight, then stops. */
  signal: AbortSignal;
  /** Removes the handlers. */
  dispose(): void;
}

/**
 * Handles SIGINT and SIGTERM for one run. The first signal warns and aborts `signal`; a second
 * one exits at once with 130 (EXIT_INTERRUPTED).
 */
export function handleInterrupts(log: Logger, o: InterruptOptions = {}): Interrupts {
  const source = o.source ?? process;
  const exit = o.exit ?? ((code: number) => process.exit(code));
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      exit(EXIT_INTERRUPTED);
      return;
    }
    log.warn(`${sig}: finishing the calls in flight, then stopping${o.hint ?? ""}`);
    controller.abort();
  };
  source.on("SIGINT", onSignal);
  source.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      source.off("SIGINT", onSignal);
      source.off("SIGTERM", onSignal);
    },
  };
}
