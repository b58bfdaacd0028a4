/** Exit codes are a public contract: staff scripts depend on them. */
export const EXIT = {
  /** Nothing failed. */
  ok: 0,
  /** Some records failed (or credentials were refused); the run itself completed. */
  failed: 1,
  /** Bad input or config: nothing was sent. */
  input: 2,
  /** Another apply of the same plan is running (sysexits' EX_TEMPFAIL): nothing was sent; try again later. */
  busy: 75,
} as const;

/** One problem in an input file, located as precisely as we can. */
export interface InputProblem {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

export function formatProblem(p: InputProblem): string {
  const where = [p.file, p.line, p.line !== undefined ? p.column : undefined]
    .filter((x) => x !== undefined)
    .join(":");
  return `${where}: ${p.message}`;
}

/**
 * Bad input or configuration. Raised before any API call is made; the CLI and the
 * action turn it into exit code 2 and print every problem, not just the first.
 */
export class InputError extends Error {
  readonly problems: InputProblem[];
  constructor(problems: InputProblem[] | InputProblem) {
    const list = Array.isArray(problems) ? problems : [problems];
    const head = list.length === 1 ? "" : `${list.length} problems in the input:\n`;
    super(head + list.map(formatProblem).join("\n"));
    this.name = "InputError";
    this.problems = list;
  }
}

/** The run was stopped (SIGINT/SIGTERM) after finishing the calls in flight; run it again to carry on. */
export class InterruptedError extends Error {
  constructor(what: string) {
    super(
      `${what} was interrupted; what was done is recorded. Run the same command again to carry on where it stopped.`,
    );
    this.name = "InterruptedError";
  }
}

/** Exit code for an interrupted run (128 + SIGINT), as shells expect. */
export const EXIT_INTERRUPTED = 130;

/**
 * A scheduled run that chose not to start (e.g. Alma's quota would not last: src/alma/quota.ts). Not a
 * failure: nothing was sent, and the next scheduled run tries again. The message is one plain sentence.
 */
export class NotStartedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotStartedError";
  }
}
