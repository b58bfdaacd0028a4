import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  PlanFileWriter,
  readPlanEntries,
  readPlanHeader,
  type AlmaPlanEntry,
  type AlmaPlanHeader,
} from "../../src/alma/planfile.ts";
import { removeTempDirs, tempDir } from "../helpers/tmp.ts";

afterEach(removeTempDirs);

const header: AlmaPlanHeader = {
  version: 1,
  system: "alma",
  created: "2026-11-22T00:00:00.000Z",
  config: {
    barcode_type: "BARCODE",
    match_on: "primary_id",
    existing_barcode: "deactivate",
    user_id_type: "all_unique",
  },
  inputs: { patrons: "p.txt", barcodes: "b.txt" },
  counts: { add: 2 },
  changes: 2,
};
const entry = (id: string): AlmaPlanEntry => ({
  primary_id: id,
  line: 1,
  action: "add",
  old_barcodes: [],
  new_barcode: `B-${id}`,
  fingerprint: "sha256:0",
  message: 'a "quoted", ] tricky message\nwith a newline',
});

describe("alma/plan.json", () => {
  it("is ordinary JSON that streams back entry by entry", async () => {
    const path = join(tempDir("ps-plan-"), "plan.json");
    const w = new PlanFileWriter(path, header);
    for (const id of ["007", "patrons", "Zoë"]) await w.write(entry(id));
    await w.close();
    const whole = JSON.parse(readFileSync(path, "utf8"));
    expect(whole.counts).toEqual({ add: 2 });
    expect(whole.patrons.map((p: AlmaPlanEntry) => p.primary_id)).toEqual(["007", "patrons", "Zoë"]);
    expect(await readPlanHeader(path)).toEqual(header);
    const streamed: AlmaPlanEntry[] = [];
    for await (const e of readPlanEntries(path)) streamed.push(e);
    expect(streamed).toEqual(whole.patrons);
  });

  it("an empty plan has no patrons", async () => {
    const path = join(tempDir("ps-plan-"), "plan.json");
    const w = new PlanFileWriter(path, header);
    await w.close();
    expect(JSON.parse(readFileSync(path, "utf8")).patrons).toEqual([]);
    const streamed = [];
    for await (const e of readPlanEntries(path)) streamed.push(e);
    expect(streamed).toEqual([]);
  });

  it("a plan edited into invalid JSON is refused with its line", async () => {
    const path = join(tempDir("ps-plan-"), "plan.json");
    const w = new PlanFileWriter(path, header);
    await w.write(entry("1"));
    await w.close();
    writeFileSync(path, readFileSync(path, "utf8").replace('"primary_id":"1"', '"primary_id":1,,'));
    const read = async () => {
      for await (const _ of readPlanEntries(path)) void _;
    };
    await expect(read()).rejects.toThrow(/not valid JSON/);
  });
});
