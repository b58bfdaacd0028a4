/**
 * The Concord Infiniti simulator: a loopback HTTP server that behaves like Infiniti's user import for
 * what patron-sync uses, for the demo, the tests and the benchmark.
 *
 *   POST /api/import/users   multipart/form-data, HTTP Basic auth. The first part with a filename is the
 *                            CSV. Each row is checked, then created or updated by username
 *                            (case-insensitive). Rows that pass are stored even when others fail.
 *   GET /api/users           the stored users (JSON array; passwords never returned), auth required.
 *   GET /api/users/{name}    one stored user, or 404.
 *
 * DOCUMENTED by the vendor. Source: "Non-interactive Patron Import and Update", Concord Infiniti support
 * article (21 Oct 2016), kept as the seed shared/seeds/infiniti-noninteractive-import.txt; its three JSON
 * answers are also the public fixtures shared/fixtures/infiniti/answer_*.json (and, copied verbatim for
 * the contract tests, test/fixtures/infiniti/vendor_*.json):
 *   - POST to https://[school]/api/import/users, HTTP Basic auth of a system administrator; the first
 *     multipart file is the CSV, its file name and form field name are ignored; the CSV may be empty.
 *   - Required columns username, enabled, staffmember; booleans y/yes/true/1 and n/no/false/0; the
 *     optional columns listed in KNOWN_FIELDS.
 *   - The answer, word for word and in these shapes:
 *       all imported: {"success":true,"summary":"100 users processed. 50 users created. 50 users updated. 0 users failed."}
 *                     (no `details` at all)
 *       refused:      {"success":false,"summary":"Unauthorised. Check credentials."}
 *       partial:      {"success":false,"summary":"3 users processed. 1 user created. 1 user updated. 1 user failed.",
 *                      "details":{"1":"User Updated","2":"Field (emailAddress) is not a well-formed email
 *                      address. User failed to import: Field (emailAddress) is not a well-formed email address. ",
 *                      "3":"User Created"}}
 *     `details` ("row number" -> "row outcome") is only included when some row failed, and then lists
 *     every row; row 1 is the first row after the header. "1 user" in the singular, "0 users" plural.
 *   - A row with a malformed email address fails with the words above.
 *
 * ASSUMPTIONS (not in the vendor's document; chosen to be safe or simple, and marked here so that
 * nobody mistakes them for Infiniti's behaviour):
 *   - HTTP statuses: 200 for every import answer (partial ones too), 401 for the refused login, 400 for
 *     a file that cannot be read. The document gives no status.
 *   - Other row checks and their words, in the documented pattern "<reason> User failed to import:
 *     <reason> ": a blank username, enabled/staffmember not a yes/no value, a row with the wrong number
 *     of fields, `rejectUsernames` and `setReject`.
 *   - An unknown or missing column refuses the whole file (HTTP 400, success false, no details).
 *   - A blank cell in an update clears that field, except that a blank password keeps the stored one.
 *   - One school, one account; passwords are stored as a flag only; usernames match case-insensitively.
 *   - GET /api/users is the simulator's own window for tests; Infiniti's API for it is not documented.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse } from "csv-parse/sync";
import { readRequestBody, startLoopbackServer } from "./server.ts";

export const KNOWN_FIELDS = [
  "username",
  "givenname",
  "surname",
  "middlename",
  "preferredname",
  "emailaddress",
  "graduationyear",
  "librarybarcode",
  "adminsystemid",
  "gender",
  "password",
  "formclass",
  "presentationgrouplabel",
  "enabled",
  "staffmember",
] as const;

/** The refused login, word for word (the vendor's document; no `details`). */
export const UNAUTHORISED = {
  success: false,
  summary: "Unauthorised. Check credentials.",
} as const;

/** A row that imported, word for word (the vendor's document). */
export const USER_CREATED = "User Created";
export const USER_UPDATED = "User Updated";

/** "1 user processed." / "0 users failed.": the document's singular and plural. */
const users = (n: number, what: string) => `${n} user${n === 1 ? "" : "s"} ${what}.`;

/** The documented summary: "3 users processed. 1 user created. 1 user updated. 1 user failed." */
export function importSummary(c: {
  processed: number;
  created: number;
  updated: number;
  failed: number;
}): string {
  return [
    users(c.processed, "processed"),
    users(c.created, "created"),
    users(c.updated, "updated"),
    users(c.failed, "failed"),
  ].join(" ");
}

/** A failed row's outcome in the documented pattern: "<reason> User failed to import: <reason> ". */
export function failedOutcome(reasons: string[]): string {
  const reason = reasons.map((r) => (/[.!?]$/.test(r) ? r : `${r}.`)).join(" ");
  return `${reason} User failed to import: ${reason} `;
}

/** A user to hold at start: field values keyed by lower-case column name; `username` required. */
export type InfinitiSeedUser = { username: string } & Record<string, string>;

export interface StoredUser {
  username: string;
  /** Every stored field except the password, as last imported. */
  values: Record<string, string>;
  passwordSet: boolean;
  /** How many imports created or updated this user. */
  imports: number;
}

export interface InfinitiSimulatorOptions {
  /** The account the import accepts (Basic auth). */
  username: string;
  password: string;
  users?: InfinitiSeedUser[];
  /** Port on 127.0.0.1 (default 0: an ephemeral port). */
  port?: number;
  /** Rows with these usernames fail with "Rejected by the simulator." (case-insensitive; an assumption). */
  rejectUsernames?: string[];
  /**
   * Milliseconds an import takes before it is answered (default 0). A test seam, not a vendor behaviour:
   * the import is carried out first, then the answer waits, as a slow import would look from outside.
   */
  importLatencyMs?: number;
}

export interface InfinitiSimulatorStats {
  /** Every request received. */
  requests: number;
  /** POSTs to the import endpoint (refused ones included). */
  posts: number;
  unauthorised: number;
  /** Imports whose CSV was read (accepted credentials). */
  imports: number;
  rowsReceived: number;
  created: number;
  updated: number;
  failedRows: number;
  /** The CSV of the last import POST with accepted credentials, as received. */
  lastCsv?: string;
  lastFilename?: string;
  lastFieldName?: string;
  lastPartContentType?: string;
  /** The JSON answered to the last import POST. */
  lastResponse?: unknown;
}

export interface QueuedResponse {
  status: number;
  body: string;
  contentType?: string;
}

export interface InfinitiSimulator {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
  /** Every stored user (copies), sorted by username. */
  users(): StoredUser[];
  user(username: string): StoredUser | undefined;
  stats(): InfinitiSimulatorStats;
  /** A row check of your own: return a reason to fail the row (answered as failedOutcome([reason])). */
  setReject(fn: ((row: Record<string, string>) => string | undefined) | undefined): void;
  /** The next import POST (with accepted credentials) is answered with this instead, and imports nothing. */
  queueResponse(r: QueuedResponse): void;
}

const TRUE = new Set(["y", "yes", "true", "1"]);
const FALSE = new Set(["n", "no", "false", "0"]);
const isYesNo = (v: string) => TRUE.has(v.trim().toLowerCase()) || FALSE.has(v.trim().toLowerCase());
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_BODY = 64 * 1024 * 1024;
const ZERO = { processed: 0, created: 0, updated: 0, failed: 0 };

// ---------------------------------------------------------------------------------------------------------
// Multipart

export interface MultipartPart {
  name?: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** A small multipart/form-data parser (RFC 7578): enough for the import's one file part. */
export function parseMultipart(body: Buffer, contentType: string): MultipartPart[] {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!/^multipart\/form-data/i.test(contentType.trim()) || !boundary)
    throw new Error("not multipart/form-data");
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new Error("no multipart boundary in the body");
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === "--") break; // the closing delimiter
    if (body.subarray(pos, pos + 2).toString() === "\r\n") pos += 2;
    const headerEnd = body.indexOf("\r\n\r\n", pos);
    if (headerEnd < 0) throw new Error("a multipart part has no end of headers");
    const headers = body.subarray(pos, headerEnd).toString("utf8");
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), delimiter]), headerEnd + 4);
    if (next < 0) throw new Error("a multipart part is not closed");
    const part: MultipartPart = { data: body.subarray(headerEnd + 4, next) };
    for (const line of headers.split("\r\n")) {
      const [key = "", ...rest] = line.split(":");
      const value = rest.join(":").trim();
      if (/^content-disposition$/i.test(key.trim())) {
        const name = /\bname="([^"]*)"/i.exec(value)?.[1];
        const filename = /\bfilename="([^"]*)"/i.exec(value)?.[1];
        if (name !== undefined) part.name = name;
        if (filename !== undefined) part.filename = filename;
      } else if (/^content-type$/i.test(key.trim())) part.contentType = value;
    }
    parts.push(part);
    pos = next + 2;
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------------------
// The import

interface ImportOutcome {
  status: number;
  json: { success: boolean; summary: string; details?: Record<string, string> };
}

function basicCredentials(header: string | undefined): { user: string; pass: string } | undefined {
  const m = /^\s*basic\s+(\S+)\s*$/i.exec(header ?? "");
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const i = decoded.indexOf(":");
  return i < 0 ? undefined : { user: decoded.slice(0, i), pass: decoded.slice(i + 1) };
}

export async function startInfinitiSimulator(options: InfinitiSimulatorOptions): Promise<InfinitiSimulator> {
  const store = new Map<string, StoredUser & { password: string }>();
  const stats: InfinitiSimulatorStats = {
    requests: 0,
    posts: 0,
    unauthorised: 0,
    imports: 0,
    rowsReceived: 0,
    created: 0,
    updated: 0,
    failedRows: 0,
  };
  const rejected = new Set((options.rejectUsernames ?? []).map((u) => u.toLowerCase()));
  let rejectFn: ((row: Record<string, string>) => string | undefined) | undefined;
  const queued: QueuedResponse[] = [];

  const upsert = (row: Record<string, string>): "created" | "updated" => {
    const key = row.username!.toLowerCase();
    const old = store.get(key);
    const values: Record<string, string> = { ...old?.values };
    let password = old?.password ?? "";
    for (const [k, v] of Object.entries(row)) {
      if (k === "password") {
        if (v !== "") password = v;
      } else values[k] = v;
    }
    store.set(key, {
      username: row.username!,
      values,
      password,
      passwordSet: password !== "",
      imports: (old?.imports ?? 0) + 1,
    });
    return old ? "updated" : "created";
  };
  for (const seed of options.users ?? []) {
    const row: Record<string, string> = {};
    for (const [k, v] of Object.entries(seed)) row[k.toLowerCase()] = v;
    upsert(row);
    store.get(seed.username.toLowerCase())!.imports = 0;
  }

  const checkRow = (row: Record<string, string>): string[] => {
    const problems: string[] = [];
    if (!row.username?.trim()) problems.push("Field (username) is required."); // assumption
    if (row.emailaddress?.trim() && !EMAIL.test(row.emailaddress.trim()))
      problems.push("Field (emailAddress) is not a well-formed email address."); // documented
    if (!isYesNo(row.enabled ?? "")) problems.push("Field (enabled) is not a valid boolean."); // assumption
    if (!isYesNo(row.staffmember ?? "")) problems.push("Field (staffMember) is not a valid boolean."); // assumption
    if (!problems.length) {
      if (rejected.has(row.username!.trim().toLowerCase())) problems.push("Rejected by the simulator.");
      const own = rejectFn?.(row);
      if (own) problems.push(own);
    }
    return problems;
  };

  const importCsv = (csv: string): ImportOutcome => {
    let records: string[][];
    try {
      records = parse(csv, { bom: true, relax_column_count: true, skip_empty_lines: true });
    } catch {
      return { status: 400, json: { success: false, summary: "The file could not be read as CSV." } };
    }
    // Documented: "The CSV file may be empty".
    if (!records.length) return { status: 200, json: { success: true, summary: importSummary(ZERO) } };
    const [head = [], ...rows] = records;
    const columns = head.map((h) => h.trim().toLowerCase());
    const unknown = columns.filter((c) => !(KNOWN_FIELDS as readonly string[]).includes(c));
    const missing = ["username", "enabled", "staffmember"].filter((c) => !columns.includes(c));
    if (unknown.length || missing.length) {
      const summary = unknown.length
        ? `Unknown column '${unknown[0]}'.`
        : `Missing required column '${missing[0]}'.`;
      return { status: 400, json: { success: false, summary } };
    }
    const details: Record<string, string> = {};
    let created = 0;
    let updated = 0;
    let failed = 0;
    rows.forEach((fields, i) => {
      const rowNumber = String(i + 1); // row 1 = the first data row after the header
      const fail = (reasons: string[]) => {
        details[rowNumber] = failedOutcome(reasons);
        failed++;
      };
      if (fields.length !== columns.length)
        return fail([`Row has ${fields.length} fields, expected ${columns.length}.`]);
      const row: Record<string, string> = {};
      columns.forEach((c, j) => (row[c] = (fields[j] ?? "").trim()));
      const problems = checkRow(row);
      if (problems.length) return fail(problems);
      if (upsert(row) === "created") {
        created++;
        details[rowNumber] = USER_CREATED;
      } else {
        updated++;
        details[rowNumber] = USER_UPDATED;
      }
    });
    stats.rowsReceived += rows.length;
    stats.created += created;
    stats.updated += updated;
    stats.failedRows += failed;
    const summary = importSummary({ processed: rows.length, created, updated, failed });
    // Documented: details "only included if some rows failed to import", and then every row is listed.
    if (!failed) return { status: 200, json: { success: true, summary } };
    return { status: 200, json: { success: false, summary, details } };
  };

  const send = (res: ServerResponse, status: number, body: unknown, contentType = "application/json") => {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, {
      "Content-Type": `${contentType}; charset=utf-8`,
      "Content-Length": Buffer.byteLength(text),
    });
    res.end(text);
  };

  const publicUser = (u: StoredUser) => ({ ...u.values, username: u.username, passwordSet: u.passwordSet });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.requests++;
    const method = (req.method ?? "GET").toUpperCase();
    const body = await readRequestBody(req, MAX_BODY);
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname.replace(/\/+$/, "");
    const isImport = path === "/api/import/users";
    const userPath = /^\/api\/users(?:\/([^/]+))?$/.exec(path);
    if (!isImport && !userPath) return send(res, 404, { success: false, summary: "Not found." });
    if (isImport) stats.posts += method === "POST" ? 1 : 0;
    const creds = basicCredentials(req.headers.authorization);
    if (!creds || creds.user !== options.username || creds.pass !== options.password) {
      stats.unauthorised++;
      if (isImport) stats.lastResponse = UNAUTHORISED;
      return send(res, 401, UNAUTHORISED);
    }
    if (userPath) {
      if (method !== "GET") return send(res, 405, { success: false, summary: "Method not allowed." });
      if (userPath[1] === undefined) return send(res, 200, sim.users().map(publicUser));
      const u = sim.user(decodeURIComponent(userPath[1]));
      return u
        ? send(res, 200, publicUser(u))
        : send(res, 404, { success: false, summary: "User not found." });
    }
    if (method !== "POST") return send(res, 405, { success: false, summary: "Method not allowed." });
    let parts: MultipartPart[];
    try {
      parts = parseMultipart(body, req.headers["content-type"] ?? "");
    } catch (e) {
      const json = { success: false, summary: `The upload could not be read: ${(e as Error).message}.` };
      stats.lastResponse = json;
      return send(res, 400, json);
    }
    const file = parts.find((p) => p.filename !== undefined);
    if (!file) {
      const json = { success: false, summary: "No file was uploaded." };
      stats.lastResponse = json;
      return send(res, 400, json);
    }
    stats.imports++;
    stats.lastCsv = file.data.toString("utf8");
    stats.lastFilename = file.filename;
    stats.lastFieldName = file.name;
    stats.lastPartContentType = file.contentType;
    const forced = queued.shift();
    if (forced) {
      stats.lastResponse = forced.body;
      return send(res, forced.status, forced.body, forced.contentType ?? "application/json");
    }
    const outcome = importCsv(stats.lastCsv);
    stats.lastResponse = outcome.json;
    if (options.importLatencyMs) await new Promise((r) => setTimeout(r, options.importLatencyMs));
    return send(res, outcome.status, outcome.json);
  };

  const server = await startLoopbackServer(handle, options.port ?? 0);
  const port = server.port;
  let closed = false;

  const copy = (u: StoredUser): StoredUser => ({
    username: u.username,
    values: { ...u.values },
    passwordSet: u.passwordSet,
    imports: u.imports,
  });
  const sim: InfinitiSimulator = {
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      if (closed) return;
      closed = true;
      await server.close();
    },
    users: () => [...store.values()].map(copy).sort((a, b) => a.username.localeCompare(b.username)),
    user: (username) => {
      const u = store.get(username.toLowerCase());
      return u ? copy(u) : undefined;
    },
    stats: () => ({ ...stats }),
    setReject: (fn) => {
      rejectFn = fn;
    },
    queueResponse: (r) => {
      queued.push(r);
    },
  };
  return sim;
}
