/**
 * `npm run bench`: patron-sync against the Alma simulator at realistic latency (150–300 ms per
 * call) with the simulator enforcing 25 calls/s, as an institution's Alma does. Prints figures.
 *
 *   npm run bench                          all scenarios, N = 2,000
 *   npm run bench -- --n 500 --only clean,faults
 *   npm run bench -- --memory 100000       peak RSS of plan + apply for 100,000 patrons (no latency)
 *   npm run bench -- --memory 100000 --fields   the same with an alma.updates CSV: a field update
 *                                          (expiry_date, email) for every listed patron besides the barcodes
 *
 * Plan and apply run as child processes of the bundled CLI (dist/cli/index.js), exactly as staff
 * run them; the simulator runs in this process. Peak RSS is the child's VmHWM.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startAlmaSimulator, type AlmaSimulator } from "../src/simulators/alma.ts";
import { generateUsers } from "../src/simulators/alma-generate.ts";
import { withStreamingHeap } from "../src/core/heap.ts";
import { transformThroughput, validateThroughput, type Row } from "./offline.ts";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "2000" },
    only: { type: "string", default: "clean,competing,faults,resume,fields,sequential,validate,transform" },
    memory: { type: "string" },
    fields: { type: "boolean", default: false },
    "validate-rows": { type: "string", default: "100000" },
    "transform-records": { type: "string", default: "20000" },
    latency: { type: "string", default: "150,300" },
  },
});
const N = Number(values.n);
const LIMIT = 25;
const only = new Set(values.only.split(","));
const latency = values.latency.split(",").map(Number) as [number, number];
const CLI = join(process.cwd(), "dist", "cli", "index.js");
const APIKEY = "bench-key";

interface Run {
  code: number | null;
  wallMs: number;
  peakRssMb: number;
  stdout: string;
  stderr: string;
}

function runCli(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  killAfter?: () => boolean,
): Promise<Run> {
  return new Promise((resolveRun) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...process.env, ...env, CI: "true" },
    });
    let stdout = "";
    let stderr = "";
    let peak = 0;
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const sample = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      } catch {
        /* exited */
      }
      if (killAfter?.()) child.kill("SIGKILL");
    }, 50);
    child.on("exit", (code) => {
      clearInterval(sample);
      resolveRun({ code, wallMs: performance.now() - t0, peakRssMb: peak, stdout, stderr });
    });
  });
}

function workspace(n: number, seed: number, rateLimit = LIMIT, concurrency = 16, fields = false) {
  const dir = mkdtempSync(join(tmpdir(), "patron-sync-bench-"));
  const gen = generateUsers({ count: n, seed });
  mkdirSync(join(dir, "data", "alma"), { recursive: true });
  if (fields) {
    // Field updates (alma.updates) for every listed patron found in Alma: a new expiry date and e-mail.
    const ids = [...new Set(gen.patronIds)].filter((id) => gen.cases.has(id));
    writeFileSync(
      join(dir, "data", "alma", "user_updates.csv"),
      "primary_id,expiry_date,email\n" +
        ids.map((id, i) => `${id},2027-0${1 + (i % 9)}-28,${id.toLowerCase()}@bench.example`).join("\n") +
        "\n",
    );
  }
  writeFileSync(
    join(dir, "data", "alma", "patronlist_no_barcode.txt"),
    "Primary Identifier\n" + gen.patronIds.join("\n") + "\n",
  );
  writeFileSync(
    join(dir, "data", "alma", "library_barcode_full_list.txt"),
    gen.barcodeLines.join("\n") + "\n",
  );
  writeFileSync(
    join(dir, "patron-sync.yml"),
    `alma:\n  patrons: data/alma/patronlist_no_barcode.txt\n  barcodes: data/alma/library_barcode_full_list.txt\n${fields ? "  updates: data/alma/user_updates.csv\n" : ""}  rate_limit: ${rateLimit}\n  concurrency: ${concurrency}\n  min_remaining: 0\n`,
  );
  return { dir, gen };
}

const rows: Row[] = [];

function statusIds(planDir: string, status: string): string[] {
  const csv = join(planDir, "alma", "results.csv");
  if (!existsSync(csv)) return [];
  return readFileSync(csv, "utf8")
    .split("\n")
    .map((l) => l.split(","))
    .filter((f) => f[1] === status)
    .map((f) => f[0]!);
}
/**
 * Failures the run caused. The generated data holds a few barcodes already held by another user on
 * purpose ("held-by-other"): Alma refuses those with 401851 in every run, clean or not. They are
 * counted apart, so "failed" is what pacing, faults or a kill did.
 */
function failedBeyondDesign(
  planDir: string,
  cases: Map<string, string>,
): { failed: number; refused: number } {
  const ids = statusIds(planDir, "failed");
  const refused = ids.filter((id) => cases.get(id) === "held-by-other").length;
  return { failed: ids.length - refused, refused };
}
function planFailed(planDir: string): number {
  const p = JSON.parse(readFileSync(join(planDir, "alma", "plan.json"), "utf8")) as {
    counts: Record<string, number>;
  };
  return p.counts.failed ?? 0;
}

/**
 * One CLI run. `calls` and `r429` are patron-sync's own: the simulator counts every client, so a
 * competitor's accepted calls and 429s in the same interval are taken out.
 */
async function phase(
  scenario: string,
  name: string,
  sim: AlmaSimulator,
  args: string[],
  ws: string,
  killAfter?: () => boolean,
  competitor?: Competitor,
): Promise<Run & { calls: number; r429: number }> {
  const before = sim.stats();
  const cBefore = competitor?.counts();
  const run = await runCli(args, ws, { ALMA_API_KEY: APIKEY, ALMA_BASE_URL: sim.url }, killAfter);
  const after = sim.stats();
  const cAfter = competitor?.counts();
  const theirs = cBefore && cAfter ? cAfter.accepted - cBefore.accepted : 0;
  const their429 = cBefore && cAfter ? cAfter.r429 - cBefore.r429 : 0;
  const calls = after.accepted - before.accepted - theirs;
  const r429 = after.status429 - before.status429 - their429;
  if (run.code !== 0 && run.code !== 1 && !killAfter) {
    console.error(`${scenario}/${name} exited ${run.code}\n${run.stderr.slice(-2000)}`);
  }
  void name;
  return { ...run, calls, r429 };
}

function record(
  scenario: string,
  phaseName: string,
  r: { calls: number; wallMs: number; r429: number; peakRssMb: number },
  failed: number,
  note = "",
  budget = LIMIT,
) {
  const rate = r.calls / (r.wallMs / 1000);
  rows.push({
    scenario,
    phase: phaseName,
    calls: r.calls,
    wallS: r.wallMs / 1000,
    rate,
    ratio: rate / budget,
    r429: r.r429,
    failed,
    peakRssMb: r.peakRssMb,
    note,
  });
}

/** The final barcode state of every user, for comparing a resumed run with a clean one. */
function barcodeState(sim: AlmaSimulator, ids: string[]): string {
  return ids
    .map((id) => {
      const u = sim.getUser(id);
      const b = (u?.identifiers ?? [])
        .filter((i) => i.idType.toUpperCase() === "BARCODE")
        .map((i) => `${i.value.toLowerCase()}:${i.status}`)
        .sort();
      return `${id}=${b.join(",")}`;
    })
    .join("\n");
}

async function scenario(
  name: string,
  opts: { errorRate?: number; resetRate?: number; competing?: number; kill?: boolean },
) {
  const sim = await startAlmaSimulator({
    apiKey: APIKEY,
    users: generateUsers({ count: N, seed: 7 }).users,
    latencyMs: latency,
    perSecondLimit: LIMIT,
    errorRate: opts.errorRate ?? 0,
    resetRate: opts.resetRate ?? 0,
    seed: 11,
  });
  const ws = workspace(N, 7);
  const out = join(ws.dir, "plans", "bench");
  let competitor: Competitor | undefined;
  if (opts.competing) competitor = startCompetitor(sim.url, opts.competing, ws.gen.patronIds);
  try {
    const plan = await phase(name, "plan", sim, ["plan", "--out", out], ws.dir, undefined, competitor);
    const budget = LIMIT - (opts.competing ?? 0);
    record(name, "plan (GET)", plan, planFailed(out), "", budget);
    let apply;
    if (opts.kill) {
      const journal = join(out, "alma", "journal.ndjson");
      const target = Math.floor(ws.gen.patronIds.length * 0.4);
      const killed = await phase(name, "apply-killed", sim, ["apply", "--plan", out], ws.dir, () => {
        try {
          return readFileSync(journal, "utf8").split("\n").length > target;
        } catch {
          return false;
        }
      });
      const resumed = await phase(name, "apply-resumed", sim, ["apply", "--plan", out], ws.dir);
      apply = {
        ...resumed,
        calls: killed.calls + resumed.calls,
        wallMs: killed.wallMs + resumed.wallMs,
        r429: killed.r429 + resumed.r429,
        peakRssMb: Math.max(killed.peakRssMb, resumed.peakRssMb),
      };
      // The same work, uninterrupted, on a fresh simulator: the end states must be equal.
      const clean = await startAlmaSimulator({
        apiKey: APIKEY,
        users: generateUsers({ count: N, seed: 7 }).users,
        perSecondLimit: 1000,
        seed: 11,
      });
      const ws2 = workspace(N, 7, 25, 32);
      const out2 = join(ws2.dir, "plans", "bench");
      await runCli(["plan", "--out", out2], ws2.dir, { ALMA_API_KEY: APIKEY, ALMA_BASE_URL: clean.url });
      await runCli(["apply", "--plan", out2], ws2.dir, { ALMA_API_KEY: APIKEY, ALMA_BASE_URL: clean.url });
      const same = barcodeState(sim, ws.gen.patronIds) === barcodeState(clean, ws.gen.patronIds);
      const dupes = countDuplicateBarcodes(sim, ws.gen.patronIds);
      await clean.close();
      rmSync(ws2.dir, { recursive: true, force: true });
      record(
        name,
        "apply (GET+PUT)",
        apply,
        failedBeyondDesign(out, ws.gen.cases).failed,
        `${failedBeyondDesign(out, ws.gen.cases).refused} refused by design (401851); killed at ~40%, resumed; end state ${same ? "EQUALS" : "DIFFERS FROM"} a clean run; ${dupes} duplicate barcodes`,
        budget,
      );
    } else {
      apply = await phase(name, "apply", sim, ["apply", "--plan", out], ws.dir, undefined, competitor);
      const f = failedBeyondDesign(out, ws.gen.cases);
      record(name, "apply (GET+PUT)", apply, f.failed, `${f.refused} refused by design (401851)`, budget);
    }
    if (competitor) {
      const c = await competitor.stop();
      rows[rows.length - 1]!.note +=
        `; the competitor sent ${c.sent} calls at ${opts.competing}/s and got ${c.accepted} through (${c.r429} 429s, ${((100 * c.accepted) / c.sent).toFixed(1)}%); our ratio is to the ${budget}/s it leaves`;
    }
  } finally {
    await sim.close();
    rmSync(ws.dir, { recursive: true, force: true });
  }
}

function countDuplicateBarcodes(sim: AlmaSimulator, ids: string[]): number {
  let dupes = 0;
  for (const id of ids) {
    const vals = (sim.getUser(id)?.identifiers ?? [])
      .filter((i) => i.idType.toUpperCase() === "BARCODE")
      .map((i) => i.value.toLowerCase());
    dupes += vals.length - new Set(vals).size;
  }
  return dupes;
}

interface Competitor {
  counts: () => { sent: number; accepted: number; r429: number };
  stop: () => Promise<{ sent: number; accepted: number; r429: number }>;
}

/** Another integration using `rate` calls/s of the same institution's budget. */
function startCompetitor(url: string, rate: number, ids: string[]): Competitor {
  let sent = 0;
  let accepted = 0;
  let r429 = 0;
  let i = 0;
  const inflight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const id = ids[i++ % ids.length]!;
    sent++;
    const p = fetch(`${url}/almaws/v1/users/${encodeURIComponent(id)}`, {
      headers: { Authorization: `apikey ${APIKEY}` },
    })
      .then(async (r) => {
        if (r.status === 429) r429++;
        else accepted++;
        await r.arrayBuffer();
      })
      .catch(() => undefined)
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }, 1000 / rate);
  return {
    counts: () => ({ sent, accepted, r429 }),
    stop: async () => {
      clearInterval(timer);
      await Promise.all(inflight);
      return { sent, accepted, r429 };
    },
  };
}

/** The user fields a field-update plan may change, as the simulator names them (AlmaUser keys). */
const PLANNED_KEYS = new Set(["expiryDate", "purgeDate", "userGroup", "userGroupDesc"]);

/**
 * Users whose data differ, outside the planned fields, between two snapshots (deep, as JSON). Every code
 * and value is compared; descriptions (`…Desc`) are not: Alma fills in one a PUT sent empty from its code
 * table (an identifier's id_type "Network ID"), which is Alma's label of an unchanged code.
 */
function changedOutsidePlan(before: Map<string, unknown>, sim: AlmaSimulator): string[] {
  const strip = (u: unknown) =>
    JSON.stringify(u, (k, v: unknown) => (PLANNED_KEYS.has(k) || k.endsWith("Desc") ? undefined : v));
  return [...before].filter(([id, u]) => strip(u) !== strip(sim.getUser(id))).map(([id]) => id);
}

/**
 * Field updates (alma.updates, issue #20): every user's expiry date, a quarter's purge date, a tenth
 * moved to another user group; one GET at plan, one GET and one PUT at apply per changed user. Checks
 * that no user changed outside the planned fields (roles, PIN, identifiers, addresses, notes, …).
 */
async function fieldUpdates() {
  const name = "5 field updates";
  const gen = generateUsers({ count: N, seed: 7 });
  const sim = await startAlmaSimulator({
    apiKey: APIKEY,
    users: gen.users,
    latencyMs: latency,
    perSecondLimit: LIMIT,
    seed: 11,
  });
  const dir = mkdtempSync(join(tmpdir(), "patron-sync-bench-fields-"));
  mkdirSync(join(dir, "data", "alma"), { recursive: true });
  // The generated patron list repeats some IDs on purpose; the updates file has one row per user.
  const ids = [...new Map(gen.patronIds.map((id) => [id.toLowerCase(), id])).values()];
  const rowsCsv = ids.map(
    (id, i) => `${id},2032-06-30,${i % 4 === 0 ? "2033-06-30" : ""},${i % 10 === 0 ? "GRAD" : ""}`,
  );
  writeFileSync(
    join(dir, "data", "alma", "user_updates.csv"),
    "primary_id,expiry_date,purge_date,user_group\n" + rowsCsv.join("\n") + "\n",
  );
  writeFileSync(
    join(dir, "patron-sync.yml"),
    `alma:\n  updates: data/alma/user_updates.csv\n  rate_limit: ${LIMIT}\n  concurrency: 16\n  min_remaining: 0\n`,
  );
  const out = join(dir, "plans", "bench");
  try {
    const plan = await phase(name, "plan", sim, ["plan", "--out", out], dir);
    record(name, "plan (GET)", plan, planFailed(out), "3 code-table reads included");
    const before = new Map(ids.map((id) => [id, sim.getUser(id) as unknown]));
    const apply = await phase(name, "apply", sim, ["apply", "--plan", out], dir);
    const failed = statusIds(out, "failed").length;
    const outside = changedOutsidePlan(before, sim);
    const wrong = ids.filter((id) => sim.getUser(id) && sim.getUser(id)!.expiryDate !== "2032-06-30Z").length;
    record(
      name,
      "apply (GET+PUT)",
      apply,
      failed,
      `${statusIds(out, "updated").length} users updated; ${outside.length} users changed outside the planned fields${outside.length ? ` (${outside.slice(0, 5).join(", ")})` : ""}; ${wrong} without the planned expiry_date`,
    );
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The original scripts: one call at a time. Measured on a sample, projected to N. */
async function sequential() {
  const sample = Math.min(N, 60);
  const sim = await startAlmaSimulator({
    apiKey: APIKEY,
    users: generateUsers({ count: sample, seed: 7 }).users,
    latencyMs: latency,
    perSecondLimit: LIMIT,
    seed: 11,
  });
  const ids = generateUsers({ count: sample, seed: 7 }).patronIds;
  const headers = { Authorization: `apikey ${APIKEY}`, "Content-Type": "application/xml" };
  const t0 = performance.now();
  let calls = 0;
  for (const id of ids) {
    const url = `${sim.url}/almaws/v1/users/${encodeURIComponent(id)}`;
    const xml = await (await fetch(url, { headers })).text(); // step 2: GET
    calls++;
    await (await fetch(url, { headers })).text(); // apply: re-read
    calls++;
    await (await fetch(url, { method: "PUT", headers, body: xml })).text();
    calls++;
  }
  const ms = performance.now() - t0;
  await sim.close();
  const perCall = ms / calls;
  const projected = (3 * N * perCall) / 1000;
  rows.push({
    scenario: "sequential",
    phase: "GET+GET+PUT, one at a time",
    calls,
    wallS: ms / 1000,
    rate: calls / (ms / 1000),
    ratio: calls / (ms / 1000) / LIMIT,
    r429: 0,
    failed: 0,
    peakRssMb: NaN,
    note: `measured on ${sample} patrons; projected for ${N}: ${fmtDuration(projected)} (3 calls per patron)`,
  });
}

function fmtDuration(s: number): string {
  if (s < 120) return `${s.toFixed(0)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(2)} h`;
}

/** "plan: peak RSS 244 MB, under 256 MB: yes", one line per phase of the memory run. */
const memoryVerdicts: string[] = [];

async function memory(n: number, fields: boolean) {
  const sim = await startAlmaSimulator({
    apiKey: APIKEY,
    users: generateUsers({ count: n, seed: 3 }).users,
    perSecondLimit: 1_000_000,
    seed: 3,
  });
  const ws = workspace(n, 3, 25, 32, fields);
  const gen = ws.gen;
  // Pacing is not under test here: lift the rate limit (loopback only) so 100,000 patrons take minutes, not hours.
  const out = join(ws.dir, "plans", "mem");
  const env = { PATRON_SYNC_SIM_RATE_LIMIT: "2000" };
  const plan = await runCli(["plan", "--out", out], ws.dir, {
    ALMA_API_KEY: APIKEY,
    ALMA_BASE_URL: sim.url,
    ...env,
  });
  if (plan.code !== 0) console.error(`memory/plan exited ${plan.code}\n${plan.stderr.slice(-2000)}`);
  const apply = await runCli(["apply", "--plan", out], ws.dir, {
    ALMA_API_KEY: APIKEY,
    ALMA_BASE_URL: sim.url,
    ...env,
  });
  for (const [name, r] of [
    ["plan", plan],
    ["apply", apply],
  ] as const) {
    memoryVerdicts.push(
      `${name}: peak RSS ${r.peakRssMb.toFixed(0)} MB, under 256 MB: ${r.peakRssMb < 256 ? "yes" : "NO"}`,
    );
    rows.push({
      scenario: `memory ${n}${fields ? " + field updates" : ""}`,
      phase: name,
      calls: NaN,
      wallS: r.wallMs / 1000,
      rate: NaN,
      ratio: NaN,
      r429: 0,
      failed: name === "apply" ? failedBeyondDesign(out, gen.cases).failed : planFailed(out),
      peakRssMb: r.peakRssMb,
      note: `exit ${r.code}${name === "apply" && r.code === 1 ? " (the designed 401851 refusals)" : ""}; target peak RSS under 256 MB: ${r.peakRssMb < 256 ? "met" : "NOT met"}`,
    });
  }
  await sim.close();
  rmSync(ws.dir, { recursive: true, force: true });
}

function print() {
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "—");
  console.log(
    "\n| scenario | phase | calls | wall s | calls/s | of limit | 429s | failed | peak RSS MB | note |",
  );
  console.log("|---|---|--:|--:|--:|--:|--:|--:|--:|---|");
  for (const r of rows) {
    console.log(
      `| ${r.scenario} | ${r.phase} | ${Number.isFinite(r.calls) ? r.calls : "—"} | ${f(r.wallS)} | ${f(r.rate)} | ${f(r.ratio, 2)} | ${r.r429} | ${r.failed} | ${f(r.peakRssMb, 0)} | ${r.note} |`,
    );
  }
}

if (!existsSync(CLI)) {
  console.error("dist/cli/index.js is missing: run 'npm run bundle' first");
  process.exit(2);
}
console.log(
  `patron-sync benchmark: N=${N}, latency ${latency[0]}–${latency[1]} ms, simulator limit ${LIMIT} calls/s, node ${process.version}`,
);
if (values.memory) await memory(Number(values.memory), values.fields);
else {
  if (only.has("clean")) await scenario("1 clean", {});
  if (only.has("competing")) await scenario("2 competing client", { competing: 10 });
  if (only.has("faults")) await scenario("3 10% 5xx + resets", { errorRate: 0.05, resetRate: 0.05 });
  if (only.has("resume")) await scenario("4 killed + resumed", { kill: true });
  if (only.has("fields")) await fieldUpdates();
  if (only.has("sequential")) await sequential();
  if (only.has("validate")) rows.push(await validateThroughput(Number(values["validate-rows"])));
  // The transform runs inside Alma's plan and apply, so under the heap setting they run with (src/core/heap.ts).
  if (only.has("transform"))
    rows.push(await withStreamingHeap(() => transformThroughput(Number(values["transform-records"]))));
}
print();
if (memoryVerdicts.length) console.log(`\n${memoryVerdicts.join("\n")}`);
