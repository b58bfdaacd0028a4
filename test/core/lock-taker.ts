/**
 * A competitor for the apply lock, run as a child process by test/core/lock.test.ts: for each line
 * "<dir>" on stdin it tries to take the lock of that directory once (no --wait) and answers
 * "held <dir>" or "busy <dir>". A lock it holds is kept until the process ends, so its holder is alive.
 */
import { createInterface } from "node:readline";
import { BusyError, lockPlanDir } from "../../src/core/lock.ts";
import { memoryLogger } from "../../src/core/log.ts";

const lines = createInterface({ input: process.stdin });
lines.on("line", (dir) => {
  lockPlanDir(dir, { log: memoryLogger() }).then(
    () => process.stdout.write(`held ${dir}\n`),
    (e: unknown) =>
      process.stdout.write(`${e instanceof BusyError ? "busy" : `error ${String(e)}`} ${dir}\n`),
  );
});
lines.on("close", () => process.exit(0));
process.stdout.write("ready\n");
