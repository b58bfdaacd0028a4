/** The Alma simulator's public types: its options, stats, request log and controls (see alma.ts). */
import type { AlmaUser, RenderOptions } from "./alma-model.ts";
import type { SeedUser } from "./alma-seed.ts";
import type { KeyRefusal } from "./alma-refusals.ts";
import type { AlmaAnalytics, AlmaAnalyticsOptions } from "./alma-analytics.ts";
import type { CodeTablesOptions } from "./alma-code-tables.ts";

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
  /**
   * The HTTP status of the DAILY_THRESHOLD answer (default 429). Undocumented: 400 in UIUCLibrary
   * alma-user-tools-experimental's test, 429 in dcb-service's alma-hosting.md (shared fixtures errors/SOURCE.txt).
   */
  dailyThresholdStatus?: 400 | 429;
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
  /** The Configuration API's code tables (alma-code-tables.ts): rows, permission. */
  codeTables?: CodeTablesOptions;
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
  setLimits(limits: {
    perSecondLimit?: number;
    dailyLimit?: number;
    remaining?: number;
    dailyThresholdStatus?: 400 | 429;
  }): void;
  /** For the demo: a librarian gives the demo user P00777 a barcode by hand. Returns what happened. */
  demoEdit(): string | undefined;
  /** The Analytics report API: `configure` changes its options. */
  readonly analytics: Pick<AlmaAnalytics, "configure">;
  /** Change the code tables or the key's permission to read them. */
  readonly codeTables: { configure(o: CodeTablesOptions): void };
}
