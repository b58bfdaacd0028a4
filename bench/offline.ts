/** Offline figures: Infiniti validation of a large roster, and the Alma XML transform. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { guardBody, putBody } from "../src/alma/body.ts";
import { decide } from "../src/alma/decide.ts";
import { parseUser, userXml } from "../src/alma/xml.ts";
import { almaDefaults, loadConfig } from "../src/config.ts";
import { validateInfiniti } from "../src/infiniti/index.ts";

/** One printed row of the benchmark's table. */
export interface Row {
  scenario: string;
  phase: string;
  calls: number;
  wallS: number;
  rate: number;
  ratio: number;
  r429: number;
  failed: number;
  peakRssMb: number;
  note: string;
}

export async function validateThroughput(rows: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), "patron-sync-bench-v-"));
  mkdirSync(join(dir, "data", "infiniti"), { recursive: true });
  const lines = [
    "username,givenname,surname,emailaddress,graduationyear,librarybarcode,gender,formclass,enabled,staffmember",
  ];
  for (let i = 0; i < rows; i++) {
    const staff = i % 10 === 0;
    lines.push(
      `user${i},Given${i},"Surname, ${i}",user${i}@school.example,${staff ? "" : 2026 + (i % 6)},B${String(i).padStart(8, "0")},${i % 2 ? "M" : "F"},${(i % 12) + 1}A,y,${staff ? "y" : "n"}`,
    );
  }
  writeFileSync(join(dir, "data", "infiniti", "users.csv"), lines.join("\r\n") + "\r\n");
  writeFileSync(join(dir, "patron-sync.yml"), "infiniti:\n  users: data/infiniti/users.csv\n");
  const loaded = await loadConfig("patron-sync.yml", dir);
  const t0 = performance.now();
  const v = await validateInfiniti(loaded);
  const s = (performance.now() - t0) / 1000;
  rmSync(dir, { recursive: true, force: true });
  return {
    scenario: "validate",
    phase: `Infiniti CSV, ${rows} rows`,
    calls: NaN,
    wallS: s,
    rate: v.rows.length / s,
    ratio: NaN,
    r429: 0,
    failed: 0,
    peakRssMb: NaN,
    note: `${v.rows.length} rows valid; target under 3 s: ${s < 3 ? "met" : "NOT met"} (rate column is rows/s)`,
  };
}

/**
 * The offline transform, after a warm-up, in rounds: the figure is the median round, so that a moment
 * of contention from another process on this shared machine does not decide it; the note gives the
 * slowest and fastest round.
 */
export function transformThroughput(records: number, rounds = 9): Row {
  const template = readFileSync(
    new URL("../test/fixtures/alma/users/staff_roles.xml", import.meta.url),
    "utf8",
  );
  const xmls = Array.from({ length: 200 }, (_, i) =>
    template.replaceAll("E00417", `E${String(i).padStart(6, "0")}`),
  );
  const cfg = almaDefaults();
  const perRound = Math.max(1, Math.ceil(records / rounds));
  let bytes = 0;
  const one = (i: number) => {
    const user = parseUser(xmls[i % xmls.length]!);
    const d = decide(user, () => ({ kind: "found", entry: { barcode: `2123400${i}`, line: 1 } }), cfg);
    const body = putBody(user, d.change, cfg.barcode_type);
    if (guardBody(user, body, d.change, cfg.barcode_type).length)
      throw new Error("guard refused a clean body");
    return userXml(body).length;
  };
  for (let i = 0; i < 1000; i++) one(i); // warm-up, not counted: a long run is all warm
  const rates: number[] = [];
  let wallS = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < perRound; i++) bytes += one(i);
    const s = (performance.now() - t0) / 1000;
    wallS += s;
    rates.push(perRound / s);
  }
  rates.sort((a, b) => a - b);
  const rate = rates[Math.floor(rates.length / 2)]!;
  const f = (x: number) => Math.round(x).toLocaleString("en-US");
  return {
    scenario: "transform",
    phase: `parse + decide + body + guard + serialise, ${perRound * rounds} staff records in ${rounds} rounds`,
    calls: NaN,
    wallS,
    rate,
    ratio: NaN,
    r429: 0,
    failed: 0,
    peakRssMb: NaN,
    note: `${(bytes / (perRound * rounds) / 1024).toFixed(1)} KB per body; median round (slowest ${f(rates[0]!)}, fastest ${f(rates[rates.length - 1]!)}); target at least 5,000 records/s: ${rate >= 5000 ? "met" : "NOT met"} (rate column is records/s)`,
  };
}
