/**
 * Infiniti's answer to an import, turned into one result per posted row.
 *
 * The documented shapes, all `{ success, summary, details }`:
 *   1. all imported:   {"success": true,  "summary": "3 users imported (2 created, 1 updated)", "details": {}}
 *   2. refused login:  {"success": false, "summary": "Unauthorised. Check credentials.", "details": {}} (often HTTP 401)
 *   3. partial:        {"success": false, "summary": "2 of 3 users imported", "details": {"3": "Invalid email address"}}
 *
 * `details` is keyed by row number, row 1 being the first data row after the header (the convention
 * the simulator follows too). Tolerated as well: values that are arrays of strings or objects with a
 * message, keys such as "row 3" or a username, and an array of {row, message} objects. A per-row
 * value of "created" or "updated" is a success status, not an error.
 *
 * Anything else (not JSON, a 5xx, success=false with no per-row details, details that cannot be matched
 * to a row) fails every row: nothing is recorded as applied, and the next plan sends them again.
 */
import type { InfinitiAction } from "./diff.ts";
import { MASK } from "./values.ts";

/** Result statuses: a public contract (results.csv). `unchanged` only when a plan is applied again. */
/** `skipped`: a revert row not sent because the user changed since the apply it undoes. */
export type InfinitiStatus = "created" | "updated" | "failed" | "unchanged" | "skipped";

export interface InfinitiResult {
  username: string;
  status: InfinitiStatus;
  message: string;
  /** Row in import.csv (1 = first data row). */
  row?: number;
}

/** A posted row, as the plan knows it. */
export interface SentRow {
  row: number;
  username: string;
  action: InfinitiAction;
  /** The plain password posted, only to mask it should Infiniti echo it back. */
  password?: string;
}

export interface HttpAnswer {
  status: number;
  body: string;
  /** The Location header of a redirect. */
  location?: string;
}

export interface InterpretedAnswer {
  /** `success` as Infiniti sent it (undefined when the answer was not the documented JSON). */
  success?: boolean;
  /** Infiniti's summary line, or our own description of an unusable answer. */
  summary: string;
  results: InfinitiResult[];
  /** True when the whole import failed (no row was imported). */
  wholeFailure: boolean;
  /** Things that did not add up (logged; kept in results.json). */
  warnings: string[];
}

interface RowDetail {
  messages: string[];
  status?: "created" | "updated";
}

const MESSAGE_KEYS = ["message", "error", "reason", "detail", "description", "msg", "errors", "messages"];
const ROW_KEYS = ["row", "rownumber", "row_number", "line", "index", "record"];
const USER_KEYS = ["username", "user", "userName"];

/** Every message string inside a details value. */
export function messagesOf(v: unknown): string[] {
  if (v === null || v === undefined) return [];
  if (typeof v === "string") return v.trim() ? [v.trim()] : [];
  if (typeof v === "number" || typeof v === "boolean") return [String(v)];
  if (Array.isArray(v)) return v.flatMap(messagesOf);
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    const found = MESSAGE_KEYS.filter((k) => k in o).flatMap((k) => messagesOf(o[k]));
    if (found.length) return found;
    const status = o.status ?? o.result;
    if (typeof status === "string") return [status];
    return [JSON.stringify(v)];
  }
  return [];
}

const SUCCESS_WORD = /^(created|updated|imported|ok|success)$/i;

function detailOf(messages: string[]): RowDetail {
  const errors = messages.filter((m) => !SUCCESS_WORD.test(m));
  const word = messages.find((m) => /^(created|updated)$/i.test(m))?.toLowerCase();
  return { messages: errors, ...(word === "created" || word === "updated" ? { status: word } : {}) };
}

/** Row numbers in details: 3, "3", "row 3", "Row #3". */
function rowNumber(key: unknown): number | undefined {
  if (typeof key === "number" && Number.isInteger(key)) return key;
  if (typeof key !== "string") return undefined;
  const m = /^\s*(?:row\s*#?\s*)?(\d+)\s*$/i.exec(key);
  return m ? Number(m[1]) : undefined;
}

/** Maps details onto rows. `unmatched` lists what could not be placed. */
export function mapDetails(
  details: unknown,
  sent: SentRow[],
): { byRow: Map<number, RowDetail>; unmatched: string[] } {
  const byRow = new Map<number, RowDetail>();
  const unmatched: string[] = [];
  const rows = new Set(sent.map((s) => s.row));
  const byUser = new Map(sent.map((s) => [s.username.toLowerCase(), s.row]));
  const place = (key: unknown, value: unknown) => {
    let row = rowNumber(key);
    if (row === undefined && typeof key === "string") row = byUser.get(key.trim().toLowerCase());
    const detail = detailOf(messagesOf(value));
    if (row === undefined || !rows.has(row)) {
      unmatched.push(`${String(key)}: ${detail.messages.join("; ") || detail.status || "(no message)"}`);
      return;
    }
    const prev = byRow.get(row);
    byRow.set(row, {
      messages: [...(prev?.messages ?? []), ...detail.messages],
      ...((detail.status ?? prev?.status) ? { status: detail.status ?? prev?.status } : {}),
    });
  };
  if (details === null || details === undefined) return { byRow, unmatched };
  if (Array.isArray(details)) {
    for (const item of details as unknown[]) {
      if (item && typeof item === "object" && !Array.isArray(item)) {
        const o = item as Record<string, unknown>;
        const rk = ROW_KEYS.find((k) => rowNumber(o[k]) !== undefined);
        const uk = USER_KEYS.find((k) => typeof o[k] === "string");
        place(rk ? o[rk] : uk ? o[uk] : undefined, item);
      } else if (typeof item === "string") {
        const m = /^\s*row\s*#?\s*(\d+)\s*[:\-–]\s*(.*)$/i.exec(item);
        if (m) place(m[1], m[2]);
        else unmatched.push(item);
      } else if (item !== null && item !== undefined) unmatched.push(JSON.stringify(item));
    }
  } else if (typeof details === "object") {
    for (const [k, v] of Object.entries(details as Record<string, unknown>)) place(k, v);
  } else if (typeof details === "string" && details.trim()) {
    unmatched.push(details.trim());
  }
  return { byRow, unmatched };
}

function snippet(body: string): string {
  const s = body.replace(/\s+/g, " ").trim();
  return s.length > 200 ? `${s.slice(0, 200)}…` : s || "(empty)";
}

function maskPasswords(text: string, passwords: string[]): string {
  let out = text;
  for (const p of passwords) if (p.length >= 4 && out.includes(p)) out = out.split(p).join(MASK);
  return out;
}

function allFailed(
  sent: SentRow[],
  message: string,
  extra: Partial<InterpretedAnswer> = {},
): InterpretedAnswer {
  return {
    summary: message,
    ...extra,
    results: sent.map((s) => ({ username: s.username, status: "failed", message, row: s.row })),
    wholeFailure: true,
    warnings: extra.warnings ?? [],
  };
}

const successStatus = (s: SentRow): "created" | "updated" => (s.action === "create" ? "created" : "updated");
const successMessage = (s: SentRow, status: "created" | "updated") =>
  s.action === "disable" ? "disabled (sent with enabled=n)" : status;

/** Interprets Infiniti's answer to the import of `sent` (the rows of import.csv). */
export function interpretAnswer(answer: HttpAnswer, sent: SentRow[]): InterpretedAnswer {
  const passwords = sent.flatMap((s) => (s.password ? [s.password] : []));
  const { status } = answer;
  if (status >= 300 && status < 400) {
    return allFailed(
      sent,
      `Infiniti answered HTTP ${status}, a redirect${answer.location ? ` to ${answer.location}` : ""}: nothing was imported; set infiniti.url (or INFINITI_URL) to the school's Infiniti address`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    json = undefined;
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    if (status === 401 || status === 403)
      return allFailed(
        sent,
        `Infiniti refused the credentials (HTTP ${status}); check INFINITI_USERNAME and INFINITI_PASSWORD`,
      );
    return allFailed(
      sent,
      `Infiniti answered HTTP ${status} with something that is not the import's JSON answer: ${maskPasswords(snippet(answer.body), passwords)}`,
    );
  }
  const o = json as Record<string, unknown>;
  const success = typeof o.success === "boolean" ? o.success : undefined;
  const summary = maskPasswords(typeof o.summary === "string" ? o.summary.trim() : "", passwords);
  if (status >= 500)
    return allFailed(sent, `Infiniti answered HTTP ${status}: ${summary || snippet(answer.body)}`, {
      success,
    });
  if (status === 401 || status === 403)
    return allFailed(sent, summary || `Infiniti refused the credentials (HTTP ${status})`, { success });
  if (success === undefined)
    return allFailed(
      sent,
      `Infiniti answered HTTP ${status} without a 'success' field: ${snippet(answer.body)}`,
    );
  if (status < 200 || status >= 300)
    return allFailed(sent, `Infiniti answered HTTP ${status}: ${summary || snippet(answer.body)}`, {
      success,
    });

  const { byRow, unmatched } = mapDetails(o.details, sent);
  const rowErrors = [...byRow.values()].filter((d) => d.messages.length).length;
  if (unmatched.length) {
    return allFailed(
      sent,
      `Infiniti reported problems that cannot be matched to a row (${unmatched.slice(0, 3).join(" | ")}${unmatched.length > 3 ? " | …" : ""}); summary: ${summary || "(none)"}. Nothing is recorded as applied; the next plan sends these users again`,
      { success, warnings: [`unmatched details: ${unmatched.join(" | ")}`] },
    );
  }
  if (!success && rowErrors === 0)
    return allFailed(sent, summary || "Infiniti refused the import (success: false, no reason given)", {
      success,
    });

  const warnings: string[] = [];
  if (success && rowErrors) warnings.push(`Infiniti said success but listed problems for ${rowErrors} rows`);
  const results: InfinitiResult[] = sent.map((s) => {
    const d = byRow.get(s.row);
    if (d?.messages.length)
      return {
        username: s.username,
        status: "failed",
        message: maskPasswords(d.messages.join("; "), s.password ? [s.password] : []),
        row: s.row,
      };
    const st = d?.status ?? successStatus(s);
    return { username: s.username, status: st, message: successMessage(s, st), row: s.row };
  });
  const imported = results.filter((r) => r.status !== "failed").length;
  const m = /(\d+)\s+of\s+(\d+)/i.exec(summary);
  if (m && (Number(m[1]) !== imported || Number(m[2]) !== sent.length))
    warnings.push(
      `the summary says ${m[1]} of ${m[2]} imported, but the details account for ${imported} of ${sent.length}`,
    );
  return { success, summary, results, wholeFailure: imported === 0, warnings };
}
