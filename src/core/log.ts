/** Where a run reports what it is doing. The CLI writes to the terminal; the action to the Actions log. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

export function consoleLogger(): Logger {
  return {
    info: (m) => console.log(m),
    warn: (m) => console.warn(`warning: ${m}`),
    error: (m) => console.error(`error: ${m}`),
  };
}

/** Collects messages: used by tests to assert what was said. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(m),
    warn: (m) => lines.push(`warning: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
  };
}
