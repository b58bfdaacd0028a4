/**
 * An append-only journal of completed work (NDJSON, one record per line), so that a run that is
 * killed can carry on where it stopped. Each line is written with a single synchronous append:
 * a kill loses at most the line being written, and a torn last line is ignored on reading.
 */
import { appendFileSync, createReadStream, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline";

export class Journal<T> {
  readonly path: string;
  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
  }

  append(entry: T): void {
    appendFileSync(this.path, JSON.stringify(entry) + "\n");
  }

  exists(): boolean {
    return existsSync(this.path);
  }

  /** Reads every complete line, in the order written; a torn last line is skipped. */
  async *entries(): AsyncGenerator<{ entry: T; offset: number; length: number }> {
    if (!this.exists()) return;
    yield* readJsonLines<T>(this.path);
  }
}

/** Streams an NDJSON file: each parsable line with its byte offset and length. */
export async function* readJsonLines<T>(
  path: string,
): AsyncGenerator<{ entry: T; offset: number; length: number }> {
  const rl = createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Infinity });
  let offset = 0;
  for await (const line of rl) {
    const length = Buffer.byteLength(line) + 1;
    if (line.trim()) {
      try {
        yield { entry: JSON.parse(line) as T, offset, length };
      } catch {
        // A torn line from a killed run: the work it recorded is simply done again.
      }
    }
    offset += length;
  }
}
