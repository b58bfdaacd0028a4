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
 *     ServiceUnit …", worded after field reports); the DAILY_THRESHOLD status (429: sources disagree, 400 or 429); the
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
  BodyError,
  DEFAULT_ROLE_PARAMETER_RULES,
  cloneUser,
  fullName,
  identifyingValues,
  normalizeUser,
  parseUserJson,
  parseUserXml,
  renderUserJson,
  renderUserXml,
  roleMissingParameter,
  swapAll,
  userFromJson,
  userFromXml,
  type AlmaUser,
  type RenderOptions,
  type UserBody,
} from "./alma-model.ts";
import { deriveRng, type Rng } from "./alma-random.ts";
import { DEMO_EDIT_BARCODE, DEMO_EDIT_USER, demoUsers, type SeedUser } from "./alma-seed.ts";
import { refusalAnswer, type KeyRefusal } from "./alma-refusals.ts";
import { readRequestBody, startLoopbackServer } from "./server.ts";
import {
  ANALYTICS_PATH,
  createAnalytics,
  type AlmaAnalytics,
  type AlmaAnalyticsOptions,
} from "./alma-analytics.ts";

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
export { demoUsers, generateUsers } from "./alma-seed.ts";

// ---------------------------------------------------------------------------------------------------------
// Public types

export interface AlmaSimulatorOptions {
  /** The API key to accept (default: any non-empty key). */
  apiKey?: string;
  /** Port on 127.0.0.1 (default 0: an ephemeral port). */
  port?: number;
  /** The users Alma holds (default: demoUsers()). */
  users?: SeedUser[];
  /** Uniform latency per call, [min, max] ms (default [0, 0]). */
  latencyMs?: [number, number];
  /** Calls per rolling second for the institution (default 25, Alma's threshold). */
  perSecondLimit?: number;
  /** Calls per day (default 1,000,000); X-Exl-Api-Remaining counts down from it. */
  dailyLimit?: number;
  /** Fraction of accepted calls answered with a 5xx (500 with HTML, 500 truncated, 503). */
  errorRate?: number;
  /** Fraction of accepted calls whose connection is reset before anything is done. */
  resetRate?: number;
  /** Fraction of accepted PUTs whose connection is reset after the update was stored. */
  resetAfterWriteRate?: number;
  /** PRNG seed for latency, faults and tracking ids (default 1). */
  seed?: number;
  /** Milliseconds clock for the limits (default Date.now); tests pass a fake one. */
  clock?: () => number;
  /** HTTP status of the UNAUTHORIZED answer (default 401). */
  unauthorizedStatus?: number;
  /** How a wrong key is refused: each way real Alma does (see alma-refusals.ts; default "401"). */
  keyRefusal?: KeyRefusal;
  /** Role type → required parameter type (default DEFAULT_ROLE_PARAMETER_RULES). */
  roleParameterRules?: Record<string, string>;
  /** The Analytics report API (alma-analytics.ts): paths, page size, quirks, permission. */
  analytics?: AlmaAnalyticsOptions;
}

export type FaultKind = "reset" | "reset-after-write" | "error-500-html" | "error-500-xml" | "error-503";

export interface QueuedFault {
  kind: FaultKind;
  /** Only calls of this method take the fault (default: the next accepted call of any method). */
  method?: "GET" | "PUT";
}

export interface AlmaSimulatorStats {
  /** Every request received, rejected and faulted ones included. */
  calls: number;
  byMethod: Record<string, number>;
  byStatus: Record<string, number>;
  /** Calls that passed the key and the limits (each one counted against the daily quota). */
  accepted: number;
  status401: number;
  /** Every 429 (per-second and daily). */
  status429: number;
  perSecondRejected: number;
  dailyRejected: number;
  /** 5xx answers and resets injected. */
  faultsInjected: number;
  errors5xx: number;
  resets: number;
  resetsAfterWrite: number;
  /** PUTs that were stored (acknowledged or not). */
  updates: number;
  /** PIN letters that send_pin_number_letter=true would have sent. */
  pinLettersSent: number;
  /** X-Exl-Api-Remaining now. */
  remaining: number;
  inFlight: number;
  peakInFlight: number;
}

export interface RequestRecord {
  at: number;
  method: string;
  /** Path and query, with any apikey parameter masked. */
  url: string;
  /** HTTP status sent, or 0 for a reset. */
  status: number;
  errorCode?: string;
  fault?: FaultKind;
  /** The body of a PUT. */
  body?: string;
}

export interface AlmaSimulator {
  /** e.g. http://127.0.0.1:41234 (clients append /almaws/v1/users/…). */
  readonly url: string;
  readonly port: number;
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>;
  /** A copy of the stored user (lookup as GET does: primary ID or any identifier, case-insensitive). */
  getUser(id: string, userIdType?: string): AlmaUser | undefined;
  /** The user as GET returns it in XML. */
  getUserXml(id: string, opts?: RenderOptions): string | undefined;
  /** The user as GET returns it in JSON. */
  getUserJson(id: string, opts?: RenderOptions): Record<string, unknown> | undefined;
  /** Changes a stored user directly (a librarian's edit). Throws for an unknown user or a duplicate identifier. */
  editUser(id: string, edit: (user: AlmaUser) => void): AlmaUser;
  /** Adds a user. Throws if one of its identifiers is taken. */
  addUser(seed: SeedUser): AlmaUser;
  /** Deletes a user (e.g. purged between plan and apply). */
  removeUser(id: string): boolean;
  userCount(): number;
  stats(): AlmaSimulatorStats;
  resetStats(): void;
  /** The most recent requests (at most 500), oldest first. */
  requests(): RequestRecord[];
  setLatency(latencyMs: [number, number]): void;
  setFaults(faults: { errorRate?: number; resetRate?: number; resetAfterWriteRate?: number }): void;
  /** Forces faults on the next accepted calls, in order, before any random one. */
  queueFaults(...faults: (FaultKind | QueuedFault)[]): void;
  /** Changes the limits; `remaining` sets the calls left today. */
  setLimits(limits: { perSecondLimit?: number; dailyLimit?: number; remaining?: number }): void;
  /** For the demo: a librarian gives the demo user P00777 a barcode by hand. Returns what happened. */
  demoEdit(): string | undefined;
  /** The Analytics report API: `configure` changes its options. */
  readonly analytics: Pick<AlmaAnalytics, "configure">;
}

// ---------------------------------------------------------------------------------------------------------
// Error bodies

/** The error envelope's namespace, as in real bodies. */
export const WSR_NAMESPACE = "http://com/exlibris/urm/general/xmlbeans";

export const ALMA_ERRORS = {
  UNAUTHORIZED: "API-key not defined or not configured to allow this API.",
  PER_SECOND_THRESHOLD: "HTTP requests are more than allowed per second. See https://goo.gl/2x1c1M ",
  DAILY_THRESHOLD: "Daily API Request Threshold has been reached.",
  NO_VALID_XML: "No valid XML was given.",
} as const;

export interface AlmaErrorOut {
  code: string;
  message: string;
  trackingId?: string;
}

const escText = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function errorXml(e: AlmaErrorOut): string {
  const tracking = e.trackingId ? `<trackingId>${escText(e.trackingId)}</trackingId>` : "";
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
    `<web_service_result xmlns="${WSR_NAMESPACE}"><errorsExist>true</errorsExist><errorList><error>` +
    `<errorCode>${escText(e.code)}</errorCode><errorMessage>${escText(e.message)}</errorMessage>${tracking}` +
    `</error></errorList></web_service_result>`
  );
}

export function errorJson(e: AlmaErrorOut): string {
  const error: Record<string, string> = { errorCode: e.code, errorMessage: e.message };
  if (e.trackingId) error.trackingId = e.trackingId;
  return JSON.stringify({ errorsExist: true, errorList: { error: [error] }, result: null });
}

// ---------------------------------------------------------------------------------------------------------
// The store

class UserStore {
  /** Lower-cased primary ID → user. */
  private readonly users = new Map<string, AlmaUser>();
  /** Lower-cased identifying value (primary ID or identifier value) → lower-cased primary ID. */
  private readonly index = new Map<string, string>();

  get size(): number {
    return this.users.size;
  }

  all(): IterableIterator<AlmaUser> {
    return this.users.values();
  }

  keyOf(u: AlmaUser): string {
    return u.primaryId.trim().toLowerCase();
  }

  find(id: string, userIdType = "all_unique"): AlmaUser | undefined {
    const value = id.trim().toLowerCase();
    const owner = this.index.get(value);
    const user = owner === undefined ? undefined : this.users.get(owner);
    if (!user) return undefined;
    const type = userIdType.trim().toLowerCase();
    if (type === "" || type === "all_unique") return user;
    return user.identifiers.some(
      (i) => i.idType.trim().toLowerCase() === type && i.value.trim().toLowerCase() === value,
    )
      ? user
      : undefined;
  }

  /** The first identifying value of `u` held by a user other than `selfKey`. */
  conflict(u: AlmaUser, selfKey?: string): { value: string; type: string } | undefined {
    const candidates: { value: string; type: string }[] = [{ value: u.primaryId, type: "primary_id" }];
    for (const i of u.identifiers) candidates.push({ value: i.value, type: i.idType });
    for (const c of candidates) {
      const v = c.value.trim().toLowerCase();
      if (!v) continue;
      const owner = this.index.get(v);
      if (owner !== undefined && owner !== selfKey) return c;
    }
    return undefined;
  }

  /** Stores `u`, replacing the user stored under `oldKey` (if any). Call conflict() first. */
  put(u: AlmaUser, oldKey?: string): void {
    if (oldKey !== undefined) this.delete(oldKey);
    const key = this.keyOf(u);
    this.users.set(key, u);
    for (const v of identifyingValues(u)) if (!this.index.has(v)) this.index.set(v, key);
  }

  delete(key: string): boolean {
    const u = this.users.get(key);
    if (!u) return false;
    for (const v of identifyingValues(u)) if (this.index.get(v) === key) this.index.delete(v);
    this.users.delete(key);
    return true;
  }
}

function seedToUser(seed: SeedUser): AlmaUser {
  if ("xml" in seed && typeof seed.xml === "string") return userFromXml(seed.xml);
  if ("json" in seed && seed.json !== undefined) return userFromJson(seed.json);
  return normalizeUser(seed as Parameters<typeof normalizeUser>[0]);
}

// ---------------------------------------------------------------------------------------------------------
// The server

const USER_PATH = /^\/almaws\/v1\/users\/([^/]+)\/?$/;
const MAX_BODY = 10 * 1024 * 1024;
const LOG_SIZE = 500;

interface Outcome {
  status: number;
  body: string;
  contentType: string;
  errorCode?: string;
}

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
  let errorRate = options.errorRate ?? 0;
  let resetRate = options.resetRate ?? 0;
  let resetAfterWriteRate = options.resetAfterWriteRate ?? 0;
  let perSecondLimit = options.perSecondLimit ?? 25;
  let dailyLimit = options.dailyLimit ?? 1_000_000;
  let remaining = dailyLimit;
  let day = Math.floor(clock() / 86_400_000);
  /** Times of the last `perSecondLimit` accepted calls (a ring). */
  let window: number[] = [];
  let windowNext = 0;
  const queued: QueuedFault[] = [];
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
    remaining,
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

  /** Per-second threshold: at most `perSecondLimit` accepted calls in any rolling second. */
  const underPerSecondLimit = (now: number): boolean => {
    if (perSecondLimit <= 0) return false;
    if (window.length < perSecondLimit) {
      window.push(now);
      return true;
    }
    const oldest = window[windowNext]!;
    if (now - oldest < 1000) return false;
    window[windowNext] = now;
    windowNext = (windowNext + 1) % perSecondLimit;
    return true;
  };

  const rollDay = (now: number) => {
    const d = Math.floor(now / 86_400_000);
    if (d !== day) {
      day = d;
      remaining = dailyLimit;
    }
  };

  const decideFault = (method: string): FaultKind | undefined => {
    const qi = queued.findIndex((q) => q.method === undefined || q.method === method);
    if (qi >= 0) {
      const [q] = queued.splice(qi, 1);
      if (q) return q.kind === "reset-after-write" && method !== "PUT" ? "reset" : q.kind;
    }
    if (errorRate <= 0 && resetRate <= 0 && resetAfterWriteRate <= 0) return undefined;
    const r = faultRng();
    if (r < errorRate) {
      const k = faultRng();
      return k < 1 / 3 ? "error-500-html" : k < 2 / 3 ? "error-500-xml" : "error-503";
    }
    if (r < errorRate + resetRate) return "reset";
    if (method === "PUT" && r < errorRate + resetRate + resetAfterWriteRate) return "reset-after-write";
    return undefined;
  };

  const faultOutcome = (kind: FaultKind): Outcome => {
    switch (kind) {
      case "error-500-html":
        return {
          status: 500,
          contentType: "text/html;charset=UTF-8",
          body: "<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1><p>The server encountered an internal error &amp; could not complete your request.</p></body></html>",
        };
      case "error-500-xml":
        // A body cut short mid-element, as a failing backend sometimes sends.
        return {
          status: 500,
          contentType: "application/xml;charset=UTF-8",
          body: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><web_service_result xmlns="${WSR_NAMESPACE}"><errorsExist>true</errorsExist><errorList><error><errorCode>GENERAL_ERR`,
        };
      default:
        return {
          status: 503,
          contentType: "text/html;charset=UTF-8",
          body: "<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>",
        };
    }
  };

  const handleGet = (id: string, url: URL, json: boolean): Outcome => {
    const type = url.searchParams.get("user_id_type") || "all_unique";
    const u = store.find(id, type);
    if (!u) return errorOutcome(400, json, "401861", `User with identifier ${id} was not found.`);
    const view = (url.searchParams.get("view") ?? "full").toLowerCase() === "brief" ? "brief" : "full";
    return userOutcome(u, json, view);
  };

  const handlePut = (id: string, url: URL, req: IncomingMessage, text: string, json: boolean): Outcome => {
    const type = url.searchParams.get("user_id_type") || "all_unique";
    const ctype = (req.headers["content-type"] ?? "").toLowerCase();
    const jsonBody = ctype.includes("json") || (!ctype.includes("xml") && text.trimStart().startsWith("{"));
    let body: UserBody;
    try {
      body = jsonBody ? parseUserJson(text) : parseUserXml(text);
    } catch (e) {
      if (e instanceof BodyError) return errorOutcome(400, json, "401676", ALMA_ERRORS.NO_VALID_XML);
      throw e;
    }
    const stored = store.find(id, type);
    if (!stored) {
      return errorOutcome(400, json, "401890", `User with identifier ${id} of type ${type} was not found.`);
    }
    for (const [k, x] of [
      ["recordType", "record_type"],
      ["primaryId", "primary_id"],
      ["accountType", "account_type"],
    ] as const) {
      const v = body.fields[k];
      if (typeof v !== "string" || !v.trim()) {
        return errorOutcome(400, json, "401664", `Mandatory field is missing: ${x}`);
      }
    }
    const sentExternal = typeof body.fields.externalId === "string" ? body.fields.externalId.trim() : "";
    if (stored.externalId.trim() !== "" && sentExternal !== stored.externalId.trim()) {
      return errorOutcome(
        400,
        json,
        "401858",
        "The external id in DB does not fit the given value in xml - external id cannot be updated.",
      );
    }
    if ("roles" in body.fields) {
      const roles = (body.fields.roles ?? []) as AlmaUser["roles"];
      const missing = roleMissingParameter(roles, roleRules);
      if (missing) {
        const r = missing.role;
        const name = r.roleTypeDesc ? ` (${r.roleTypeDesc})` : "";
        return errorOutcome(
          400,
          json,
          "401652",
          `General Error: The user has a role with code ${r.roleType}${name} which requires parameter ${missing.parameter}, missing from the user_role.`,
        );
      }
    }
    const override = (url.searchParams.get("override") ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const next = swapAll(stored, body, { override, today: today() });
    const oldKey = store.keyOf(stored);
    const clash = store.conflict(next, oldKey);
    if (clash) {
      return errorOutcome(
        400,
        json,
        "401851",
        `User with identifier ${clash.value} of type ${clash.type} already exists.`,
      );
    }
    store.put(next, oldKey);
    stats.updates++;
    if (
      (url.searchParams.get("send_pin_number_letter") ?? "").toLowerCase() === "true" &&
      body.pinNumber !== undefined &&
      body.pinNumber.trim() !== ""
    ) {
      stats.pinLettersSent++;
    }
    return userOutcome(next, json, "full");
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
      "X-Exl-Api-Remaining": String(remaining),
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
      if (!m?.[1] && !report) {
        reply({ status: 404, contentType: "text/plain;charset=UTF-8", body: "Not Found" });
        return;
      }
      if (method !== "GET" && (report || method !== "PUT")) {
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
      rollDay(now);
      if (!underPerSecondLimit(now)) {
        stats.status429++;
        stats.perSecondRejected++;
        reply(errorOutcome(429, json, "PER_SECOND_THRESHOLD", ALMA_ERRORS.PER_SECOND_THRESHOLD, false));
        return;
      }
      if (remaining <= 0) {
        stats.status429++;
        stats.dailyRejected++;
        reply(errorOutcome(429, json, "DAILY_THRESHOLD", ALMA_ERRORS.DAILY_THRESHOLD, false));
        return;
      }
      remaining--;
      stats.accepted++;

      const [lo, hi] = latency;
      await sleep(lo + latencyRng() * Math.max(0, hi - lo));
      if (closed) return;

      const fault = decideFault(method);
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
      const outcome = method === "GET" ? handleGet(id, url, json) : handlePut(id, url, req, text, json);
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
      remaining,
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
    setFaults: (f) => {
      if (f.errorRate !== undefined) errorRate = f.errorRate;
      if (f.resetRate !== undefined) resetRate = f.resetRate;
      if (f.resetAfterWriteRate !== undefined) resetAfterWriteRate = f.resetAfterWriteRate;
    },
    queueFaults: (...faults) => {
      for (const f of faults) queued.push(typeof f === "string" ? { kind: f } : f);
    },
    setLimits: (l) => {
      if (l.perSecondLimit !== undefined) {
        perSecondLimit = l.perSecondLimit;
        window = [];
        windowNext = 0;
      }
      if (l.dailyLimit !== undefined) {
        dailyLimit = l.dailyLimit;
        remaining = Math.min(remaining, dailyLimit);
      }
      if (l.remaining !== undefined) remaining = l.remaining;
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
