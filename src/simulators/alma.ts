/**
 * The Alma simulator: a loopback HTTP server that behaves like the Alma Users API for what
 * patron-sync uses (GET and PUT /almaws/v1/users/{id}), used by the demo, the tests and the benchmark.
 *
 * DOCUMENTED by Ex Libris or seen in public captures of real answers (the source of each in brackets;
 * "seed" = the project's shared/seeds, "fixtures" = shared/fixtures/alma with their SOURCE.txt):
 *   - PUT is "swap all": the body replaces the record and incoming lists replace existing ones; roles
 *     absent from the body are kept; for EXTERNAL users pin_number, user_group, job_category and the other
 *     listed fields are not replaced when empty in the body unless `override` names them; the error codes
 *     401890, 401676, 401858, 401652 [seed alma-put-user-api.txt, the Developer Network page "Update User
 *     Details"]. `user_id_type` defaults to all_unique: every unique identifier type is searched [same].
 *   - The record's elements, their order, code fields with `desc`, `segment_type` on identifiers,
 *     password "returned empty in the GET action" [fixtures xsd/rest_user.xsd]; real records: an EXTERNAL
 *     SIS student with External barcodes, Internal and External barcodes on one user, staff roles with
 *     ServiceUnit/CirculationDesk parameters [fixtures users/: pulibrary bibdata, scriptotek
 *     php-alma-client, SLSP almapiwrapper].
 *   - Error bodies: namespaced XML `web_service_result` and JSON `errorsExist/errorList` [fixtures
 *     errors/error_401664.*, error_402203.*]; 429 PER_SECOND_THRESHOLD with its message [fixtures
 *     errors/per_second_threshold.*]; the DAILY_THRESHOLD message [fixtures errors/daily_threshold.xml];
 *     UNAUTHORIZED "API-key not defined or not configured to allow this API." [fixtures
 *     errors/auth_400_unauthorized*.xml]; the other ways Alma refuses a key are in alma-refusals.ts, each
 *     with its source. 25 calls a second per institution and X-Exl-Api-Remaining (calls left today)
 *     [Developer Network "API threshold" page, as the project brief records it].
 *   - The Analytics report API: alma-analytics.ts, with its sources.
 *   - The Configuration API's code tables, and a PUT's 401864 for a code not in its table:
 *     alma-code-tables.ts, with its sources.
 *
 * ASSUMPTIONS (no vendor source; chosen to be safe, and not to be mistaken for Alma's behaviour):
 *   - The PIN on round trip: GET shows pin_number empty; a PUT without pin_number keeps the PIN, and an
 *     empty `<pin_number/>` wipes an INTERNAL user's PIN (an EXTERNAL user's only with
 *     override=pin_number). An absent or empty password keeps the stored one.
 *   - Identifiers match case-insensitively (GET by any identifier, 401851 for a value another user
 *     holds). Ex Libris made identifiers case-insensitive only for institutions whose first test load was
 *     after June 2018; older institutions may compare case-sensitively.
 *   - No SIS load is simulated. That a later SIS load replaces a user's External identifiers (and so
 *     restores an External barcode the plan set INACTIVE or removed) is assumed; the plan warns "may".
 *   - The HTTP statuses and wording of 401851 (identifier held by another user), 401861 (GET of an
 *     unknown user) and of the role-parameter refusal (401652 "General Error: … requires parameter
 *     ServiceUnit …", worded after field reports); the DAILY_THRESHOLD status (429 by default, 400 with `dailyThresholdStatus`: sources disagree); the
 *     rolling one-second window for the per-second limit; how X-Exl-Api-Remaining counts down.
 *   - Latency and faults from a seeded PRNG: 5xx answers (500 with an HTML or a truncated body, 503) and
 *     connection resets; for a PUT a reset happens either before the update (nothing stored) or, with
 *     `resetAfterWriteRate`, after it (stored, but the client never hears so). GETs only ever fail before
 *     doing anything. Real networks do this; these rates and shapes are ours.
 *   - Simplifications: one institution, one API key; `user_id_type` values other than all_unique match
 *     identifiers of that id_type only; `expand` is ignored (the full view always carries
 *     loans/requests/fees with their links); `researcher` is not modelled; the PIN and password are not
 *     stored, only whether they are set; desc attributes are stored as sent (id_type descs are filled in
 *     from a small code table when missing).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  DEFAULT_ROLE_PARAMETER_RULES,
  cloneUser,
  fullName,
  normalizeUser,
  renderUserJson,
  renderUserXml,
  type AlmaUser,
  type RenderOptions,
} from "./alma-model.ts";
import { deriveRng, type Rng } from "./alma-random.ts";
import { DEMO_EDIT_BARCODE, DEMO_EDIT_USER, demoUsers } from "./alma-seed.ts";
import { refusalAnswer } from "./alma-refusals.ts";
import { readRequestBody, startLoopbackServer } from "./server.ts";
import { ANALYTICS_PATH, createAnalytics } from "./alma-analytics.ts";
import { CODE_TABLE_PATH, createCodeTables } from "./alma-code-tables.ts";
import { ALMA_ERRORS, errorJson, errorXml, type AlmaErrorOut, type Outcome } from "./alma-errors.ts";
import { UserStore, seedToUser } from "./alma-store.ts";
import { RateLimits } from "./alma-limits.ts";
import { Faults, faultOutcome } from "./alma-faults.ts";
import { handleGet, handlePut, type RouteContext } from "./alma-routes.ts";
import type {
  AlmaSimulator,
  AlmaSimulatorOptions,
  AlmaSimulatorStats,
  RequestRecord,
} from "./alma-sim-types.ts";

export type {
  AlmaAddress,
  AlmaBlock,
  AlmaContactInfo,
  AlmaEmail,
  AlmaIdentifier,
  AlmaLibraryNotice,
  AlmaNote,
  AlmaPhone,
  AlmaProxyForUser,
  AlmaRole,
  AlmaRoleParameter,
  AlmaRsLibrary,
  AlmaStatistic,
  AlmaUser,
  AlmaUserInit,
  CodeItem,
} from "./alma-model.ts";
export { DEFAULT_ROLE_PARAMETER_RULES } from "./alma-model.ts";
export type { SeedUser } from "./alma-seed.ts";
export { demoUsers } from "./alma-seed.ts";
export { generateUsers } from "./alma-generate.ts";
export type {
  AlmaSimulator,
  AlmaSimulatorOptions,
  AlmaSimulatorStats,
  FaultKind,
  QueuedFault,
  RequestRecord,
} from "./alma-sim-types.ts";
export { ALMA_ERRORS, WSR_NAMESPACE, errorJson, errorXml, type AlmaErrorOut } from "./alma-errors.ts";

// ---------------------------------------------------------------------------------------------------------
// The server

const USER_PATH = /^\/almaws\/v1\/users\/([^/]+)\/?$/;
const MAX_BODY = 10 * 1024 * 1024;
const LOG_SIZE = 500;

export async function startAlmaSimulator(options: AlmaSimulatorOptions = {}): Promise<AlmaSimulator> {
  const seed = options.seed ?? 1;
  const latencyRng: Rng = deriveRng(seed, 1);
  const faultRng: Rng = deriveRng(seed, 2);
  const idRng: Rng = deriveRng(seed, 3);
  const clock = options.clock ?? Date.now;
  const roleRules = options.roleParameterRules ?? DEFAULT_ROLE_PARAMETER_RULES;
  const unauthorizedStatus = options.unauthorizedStatus ?? 401;
  const keyRefusal = options.keyRefusal ?? "401";
  const apiKey = options.apiKey;
  const listenPort = options.port ?? 0;
  // (No closure below refers to `options`: the seed users must not stay reachable once copied.)

  let latency: [number, number] = options.latencyMs ?? [0, 0];
  const faults = new Faults(faultRng, options);
  const limits = new RateLimits(options.perSecondLimit ?? 25, options.dailyLimit ?? 1_000_000, clock());
  let dailyStatus: 400 | 429 = options.dailyThresholdStatus ?? 429;
  const log: RequestRecord[] = [];

  const store = new UserStore();
  const analytics = createAnalytics(
    () => store.all(),
    deriveRng(seed, 4),
    (code, message) => errorXml({ code, message, trackingId: trackingId() }),
    options.analytics,
  );
  for (const s of options.users ?? demoUsers()) {
    const u = seedToUser(s);
    const clash = store.conflict(u);
    if (clash)
      throw new Error(`seed user ${u.primaryId}: identifier ${clash.value} is already held by another user`);
    store.put(u);
  }

  const freshStats = (): AlmaSimulatorStats => ({
    calls: 0,
    byMethod: {},
    byStatus: {},
    accepted: 0,
    status401: 0,
    status429: 0,
    perSecondRejected: 0,
    dailyRejected: 0,
    faultsInjected: 0,
    errors5xx: 0,
    resets: 0,
    resetsAfterWrite: 0,
    updates: 0,
    pinLettersSent: 0,
    remaining: limits.remaining,
    inFlight: 0,
    peakInFlight: 0,
  });
  let stats = freshStats();

  const timers = new Set<{ timer: NodeJS.Timeout; done: () => void }>();
  let closed = false;
  let baseUrl = "";

  const sleep = (ms: number): Promise<void> =>
    ms <= 0
      ? Promise.resolve()
      : new Promise((resolve) => {
          const entry = {
            timer: setTimeout(() => {
              timers.delete(entry);
              resolve();
            }, ms),
            done: resolve,
          };
          timers.add(entry);
        });

  const trackingId = (): string => {
    const d = new Date(clock());
    const two = (n: number) => String(n).padStart(2, "0");
    const stamp = `${two(d.getUTCDate())}${two(d.getUTCMonth() + 1)}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`;
    const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let code = "";
    for (let i = 0; i < 5; i++) code += letters[Math.floor(idRng() * letters.length)];
    const n = String(Math.floor(idRng() * 1e10)).padStart(10, "0");
    return `E01-${stamp}-${code}-AWAE${n}`;
  };

  const today = (): string => new Date(clock()).toISOString().slice(0, 10) + "Z";

  const errorOutcome = (
    status: number,
    json: boolean,
    code: string,
    message: string,
    tracked = true,
  ): Outcome => {
    const e: AlmaErrorOut = { code, message };
    if (tracked) e.trackingId = trackingId();
    return json
      ? { status, body: errorJson(e), contentType: "application/json;charset=UTF-8", errorCode: code }
      : { status, body: errorXml(e), contentType: "application/xml;charset=UTF-8", errorCode: code };
  };

  const userOutcome = (u: AlmaUser, json: boolean, view: RenderOptions["view"]): Outcome => {
    const opts: RenderOptions = { view, baseUrl };
    return json
      ? {
          status: 200,
          body: JSON.stringify(renderUserJson(u, opts)),
          contentType: "application/json;charset=UTF-8",
        }
      : { status: 200, body: renderUserXml(u, opts), contentType: "application/xml;charset=UTF-8" };
  };

  const codeTables = createCodeTables(options.codeTables);
  const routes: RouteContext = {
    store,
    roleRules,
    stats: () => stats,
    today,
    errorOutcome,
    userOutcome,
    codes: codeTables,
  };

  const record = (r: RequestRecord) => {
    log.push(r);
    if (log.length > LOG_SIZE) log.splice(0, log.length - LOG_SIZE);
  };

  const send = (res: ServerResponse, o: Outcome) => {
    stats.byStatus[o.status] = (stats.byStatus[o.status] ?? 0) + 1;
    if (res.destroyed) return;
    res.writeHead(o.status, {
      "Content-Type": o.contentType,
      "X-Exl-Api-Remaining": String(limits.remaining),
      "Content-Length": Buffer.byteLength(o.body),
    });
    res.end(o.body);
  };

  const maskKey = (raw: string): string => raw.replace(/([?&]apikey=)[^&]*/gi, "$1…");

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? "GET").toUpperCase();
    stats.calls++;
    stats.byMethod[method] = (stats.byMethod[method] ?? 0) + 1;
    stats.inFlight++;
    stats.peakInFlight = Math.max(stats.peakInFlight, stats.inFlight);
    const entry: RequestRecord = { at: clock(), method, url: maskKey(req.url ?? "/"), status: 0 };
    try {
      const text = (await readRequestBody(req, MAX_BODY)).toString("utf8");
      if (method === "PUT") entry.body = text;
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const format = url.searchParams.get("format");
      const accept = (req.headers.accept ?? "").toLowerCase();
      const json = format
        ? format.toLowerCase() === "json"
        : accept.includes("json") && !/xml/.test(accept.split("json")[0] ?? "");

      const reply = (o: Outcome) => {
        entry.status = o.status;
        if (o.errorCode) entry.errorCode = o.errorCode;
        send(res, o);
      };

      const m = USER_PATH.exec(url.pathname);
      const report = url.pathname === ANALYTICS_PATH;
      const table = CODE_TABLE_PATH.exec(url.pathname);
      if (!m?.[1] && !report && !table?.[1]) {
        reply({ status: 404, contentType: "text/plain;charset=UTF-8", body: "Not Found" });
        return;
      }
      if (method !== "GET" && (report || table || method !== "PUT")) {
        reply({ status: 405, contentType: "text/plain;charset=UTF-8", body: "Method Not Allowed" });
        return;
      }

      // The gateway: the key, then the per-second and daily thresholds.
      const auth = req.headers.authorization;
      const fromHeader = auth === undefined ? undefined : (/^\s*apikey\s+(\S+)\s*$/i.exec(auth)?.[1] ?? "");
      const key = fromHeader ?? url.searchParams.get("apikey") ?? "";
      if (!key || (apiKey !== undefined && key !== apiKey)) {
        stats.status401++;
        reply(refusalAnswer(keyRefusal, json, req.socket.remoteAddress ?? "127.0.0.1", unauthorizedStatus));
        return;
      }
      const now = clock();
      limits.rollDay(now);
      if (!limits.underPerSecondLimit(now)) {
        stats.status429++;
        stats.perSecondRejected++;
        reply(errorOutcome(429, json, "PER_SECOND_THRESHOLD", ALMA_ERRORS.PER_SECOND_THRESHOLD, false));
        return;
      }
      if (limits.remaining <= 0) {
        if (dailyStatus === 429) stats.status429++;
        stats.dailyRejected++;
        reply(errorOutcome(dailyStatus, json, "DAILY_THRESHOLD", ALMA_ERRORS.DAILY_THRESHOLD, false));
        return;
      }
      limits.remaining--;
      stats.accepted++;

      const [lo, hi] = latency;
      await sleep(lo + latencyRng() * Math.max(0, hi - lo));
      if (closed) return;

      const fault = faults.decide(method);
      if (fault) {
        stats.faultsInjected++;
        entry.fault = fault;
      }
      if (fault === "reset") {
        stats.resets++;
        req.socket.destroy();
        return;
      }
      if (fault && fault !== "reset-after-write") {
        stats.errors5xx++;
        reply(faultOutcome(fault));
        return;
      }
      if (table?.[1]) {
        reply(codeTables.answer(decodeURIComponent(table[1])));
        return;
      }
      if (report || !m?.[1]) {
        reply(analytics.answer(url));
        return;
      }
      let id: string;
      try {
        id = decodeURIComponent(m[1]);
      } catch {
        id = m[1];
      }
      const outcome =
        method === "GET" ? handleGet(routes, id, url, json) : handlePut(routes, id, url, req, text, json);
      if (fault === "reset-after-write") {
        stats.resetsAfterWrite++;
        entry.status = 0;
        req.socket.destroy();
        return;
      }
      reply(outcome);
    } finally {
      stats.inFlight--;
      record(entry);
    }
  };

  const server = await startLoopbackServer(handle, listenPort);
  const port = server.port;
  baseUrl = server.url;

  const mustFind = (id: string): AlmaUser => {
    const u = store.find(id);
    if (!u) throw new Error(`no user ${id} in the Alma simulator`);
    return u;
  };

  const sim: AlmaSimulator = {
    url: baseUrl,
    port,
    analytics: { configure: (o) => analytics.configure(o) },
    codeTables: { configure: (o) => codeTables.configure(o) },
    close: async () => {
      if (closed) return;
      closed = true;
      for (const t of timers) {
        clearTimeout(t.timer);
        t.done();
      }
      timers.clear();
      await server.close();
    },
    getUser: (id, userIdType) => {
      const u = store.find(id, userIdType);
      return u ? cloneUser(u) : undefined;
    },
    getUserXml: (id, opts) => {
      const u = store.find(id);
      return u ? renderUserXml(u, { baseUrl, ...opts }) : undefined;
    },
    getUserJson: (id, opts) => {
      const u = store.find(id);
      return u ? renderUserJson(u, { baseUrl, ...opts }) : undefined;
    },
    editUser: (id, edit) => {
      const stored = mustFind(id);
      const copy = cloneUser(stored);
      edit(copy);
      const next = normalizeUser(copy);
      const oldKey = store.keyOf(stored);
      const clash = store.conflict(next, oldKey);
      if (clash) throw new Error(`editUser ${id}: identifier ${clash.value} is already held by another user`);
      store.put(next, oldKey);
      return cloneUser(next);
    },
    addUser: (seedUser) => {
      const u = seedToUser(seedUser);
      const clash = store.conflict(u);
      if (clash)
        throw new Error(`addUser ${u.primaryId}: identifier ${clash.value} is already held by another user`);
      store.put(u);
      return cloneUser(u);
    },
    removeUser: (id) => {
      const u = store.find(id);
      return u ? store.delete(store.keyOf(u)) : false;
    },
    userCount: () => store.size,
    stats: () => ({
      ...stats,
      byMethod: { ...stats.byMethod },
      byStatus: { ...stats.byStatus },
      remaining: limits.remaining,
    }),
    resetStats: () => {
      const inFlight = stats.inFlight;
      stats = freshStats();
      stats.inFlight = inFlight;
    },
    requests: () => log.map((r) => ({ ...r })),
    setLatency: (ms) => {
      latency = [Math.max(0, ms[0]), Math.max(0, ms[1])];
    },
    setFaults: (f) => faults.set(f),
    queueFaults: (...queued) => faults.queue(...queued),
    setLimits: (l) => {
      if (l.dailyThresholdStatus) dailyStatus = l.dailyThresholdStatus;
      limits.set(l);
    },
    demoEdit: () => {
      const u = store.find(DEMO_EDIT_USER);
      if (!u) return undefined;
      if (!u.identifiers.some((i) => i.value.toLowerCase() === DEMO_EDIT_BARCODE.toLowerCase())) {
        sim.editUser(DEMO_EDIT_USER, (x) => {
          x.identifiers.push({
            idType: "BARCODE",
            value: DEMO_EDIT_BARCODE,
            status: "ACTIVE",
            segmentType: "Internal",
          });
        });
      }
      return `${u.primaryId} (${fullName(u)}): a librarian added barcode ${DEMO_EDIT_BARCODE} by hand in Alma`;
    },
  };
  return sim;
}
