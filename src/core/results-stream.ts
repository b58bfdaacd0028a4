/**
 * A system's results.csv and results.json written as the results come (an apply of 100,000 patrons
 * keeps none of them): each result is appended to two part files beside them, in the order given; at
 * the end results.json is assembled around its `results` array, byte for byte what writeResults
 * (plandir.ts) writes for the same results, and results.csv is renamed into place. An apply that stops
 * before its end (an interrupt, a refused key) leaves neither file, as before: abort() removes the parts.
 */
import { closeSync, createReadStream, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { CsvForPeopleWriter } from "./csv.ts";
import {
  readHistory,
  resultsPath,
  systemPath,
  RESULTS_CSV,
  type HistoryEntry,
  type ResultsFile,
} from "./plandir.ts";

const MARK = "\u0000results\u0000";

export class ResultsStream<R extends object> {
  private csv: CsvForPeopleWriter;
  private jsonPart: string;
  private fd: number;
  private buffer = "";
  count = 0;
  constructor(
    private planDir: string,
    private system: string,
    columns: string[],
  ) {
    this.csv = new CsvForPeopleWriter(systemPath(planDir, system, `.${RESULTS_CSV}.part`), columns);
    this.jsonPart = systemPath(planDir, system, ".results.json.part");
    this.fd = openSync(this.jsonPart, "w");
  }

  /** One result: its results.csv row and its element of results.json's `results`. */
  add(row: (string | number | undefined)[], result: R): void {
    this.csv.write(row);
    // An element of an array at depth 1 of JSON.stringify(file, null, 1): indented by two spaces.
    this.buffer += `${this.count ? "," : ""}\n  ${JSON.stringify(result, null, 1).replace(/\n/g, "\n  ")}`;
    this.count++;
    if (this.buffer.length >= 65_536) this.flush();
  }

  private flush(): void {
    if (this.buffer) writeSync(this.fd, this.buffer);
    this.buffer = "";
  }

  /** Writes results.json (`file` with the results streamed so far, then the history) and results.csv. */
  async finish<F extends ResultsFile<R>>(
    file: Omit<F, "history" | "results">,
    failures: { id: string; message: string }[],
  ): Promise<void> {
    this.flush();
    closeSync(this.fd);
    this.csv.close();
    const history: HistoryEntry[] = [
      ...readHistory(this.planDir, this.system),
      { applied_at: file.applied_at, complete: file.complete, counts: file.counts, failures },
    ];
    const text = JSON.stringify({ ...file, results: MARK, history }, null, 1) + "\n";
    const at = text.indexOf(JSON.stringify(MARK));
    const path = resultsPath(this.planDir, this.system);
    const out = createWriteStream(`${path}.part`, { encoding: "utf8" });
    out.write(text.slice(0, at) + "[");
    if (this.count) {
      for await (const chunk of createReadStream(this.jsonPart))
        if (!out.write(chunk)) await once(out, "drain");
      out.write("\n ]");
    } else out.write("]");
    out.end(text.slice(at + JSON.stringify(MARK).length));
    await once(out, "finish");
    renameSync(`${path}.part`, path);
    renameSync(this.csv.path, systemPath(this.planDir, this.system, RESULTS_CSV));
    rmSync(this.jsonPart, { force: true });
  }

  /** The apply stopped before its end: no results files, and no part files left behind. */
  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    try {
      this.csv.close();
    } catch {
      // already closed
    }
    rmSync(this.jsonPart, { force: true });
    rmSync(this.csv.path, { force: true });
  }
}
