/**
 * Infiniti's answer to an import, turned into one result per posted row.
 *
 * The contract is the vendor's document, "Non-interactive Patron Import and Update" (Concord Infiniti
 * support article, 21 Oct 2016, section "Results of Processing"). Its three examples, verbatim, are the
 * fixtures of the contract tests (test/fixtures/infiniti/vendor_*.json):
 *   {"success":true, "summary":"100 users processed. 50 users created. 50 users updated. 0 users failed."}
 *   {"success": false, "summary":"Unauthorised. Check credentials."}
 *   {"success": false, "summary": "3 users processed. 1 user created. 1 user updated. 1 user failed.",
 *    "details": {"1": "User Updated", "2": "Field (emailAddress) is not a well-formed email address. User
 *    failed to import: Field (emailAddress) is not a well-formed email address. ", "3": "User Created"}}
 * Documented: `details` maps "row number" -> "row outcome" and is "only included if some rows failed";
 * then it lists every row (row 1 = the first row after the header). A row outcome of exactly
 * `User Created` is created, exactly `User Updated` is updated, and anything else is that row's failure,
 * with Infiniti's words as the message. The summary's four counts ("1 user", "50 users") are read and
 * compared with the rows: a disagreement is a warning (logged, kept in results.json).
 *
 * Not documented, so handled the safe way (a row counted failed is not recorded as applied, and the
 * next plan sends it again, which is harmless: Infiniti creates or updates by username):
 *   - a full success names no row: when the summary counts every row created, or every row updated, each
 *     row says so (Infiniti's word, not the plan's); otherwise as the plan says (create → created);
 *   - a row missing from `details` when some failed: failed ("not listed"), with a warning;
 *   - a key that is not a posted row number: every row failed, nothing recorded;
 *   - the HTTP status of each answer, non-JSON bodies, 5xx, redirects: every row failed.
 *
 * Every text taken from the answer passes through the one EchoMask (mask.ts) before it goes into a
 * message, and before any shortening.
 */
import type { InfinitiAction } from "./diff.ts";
import { echoMask } from "./mask.ts";

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
  /** Infiniti's summary line (masked), or our own description of an unusable answer. */
  summary: string;
  results: InfinitiResult[];
  /** True when the whole import failed (no row was imported). */
  wholeFailure: boolean;
  /** Things that did not add up (logged; kept in results.json). */
  warnings: string[];
}

/** The vendor's row outcomes for a row that imported, word for word. */
export const USER_CREATED = "User Created";
export const USER_UPDATED = "User Updated";

export interface SummaryCounts {
  processed: number;
  created: number;
  updated: number;
  failed: number;
}

/** The four counts of "3 users processed. 1 user created. 1 user updated. 1 user failed.", if all are there. */
export function summaryCounts(summary: string): SummaryCounts | undefined {
  const found: Partial<SummaryCounts> = {};
  for (const m of summary.matchAll(/(\d+)\s+users?\s+(processed|created|updated|failed)\b/gi))
    found[m[2]!.toLowerCase() as keyof SummaryCounts] = Number(m[1]);
  const { processed, created, updated, failed } = found;
  if (processed === undefined || created === undefined || updated === undefined || failed === undefined)
    return undefined;
  return { processed, created, updated, failed };
}

/** Row numbers in details: "3" (documented); 3 is tolerated. */
function rowNumber(key: string): number | undefined {
  return /^\s*\d+\s*$/.test(key) ? Number(key) : undefined;
}

/** A row outcome as text: the vendor sends a string; anything else is shown as JSON. */
function outcomeText(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

const SHORT = 200;
function shortened(text: string): string {
  const s = text.replace(/\s+/g, " ").trim();
  return s.length > SHORT ? `${s.slice(0, SHORT)}…` : s || "(empty)";
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

/**
 * A full success names no row: when its summary counts every row created (or every row updated), that is
 * what each row's result says, whatever the plan expected (a user the plan took for new may already have
 * been in Infiniti). A mixed summary cannot be matched to rows: undefined, and each row keeps the plan's.
 */
function summaryStatus(counts: SummaryCounts | undefined, rows: number): "created" | "updated" | undefined {
  if (!counts || counts.failed !== 0 || counts.processed !== rows) return undefined;
  if (counts.created === rows && counts.updated === 0) return "created";
  if (counts.updated === rows && counts.created === 0) return "updated";
  return undefined;
}

const plannedStatus = (s: SentRow): "created" | "updated" => (s.action === "create" ? "created" : "updated");
const successMessage = (s: SentRow, status: "created" | "updated") =>
  s.action === "disable" ? "disabled (sent with enabled=n)" : status;

/**
 * Interprets Infiniti's answer to the import of `sent` (the rows of import.csv). `secrets` are the
 * admin password and the Authorization header's secrets (see mask.ts); the rows' passwords are added.
 */
export function interpretAnswer(
  answer: HttpAnswer,
  sent: SentRow[],
  secrets: string[] = [],
): InterpretedAnswer {
  const mask = echoMask([...secrets, ...sent.map((s) => s.password)]);
  const { status } = answer;
  if (status >= 300 && status < 400) {
    const to = answer.location ? ` to ${shortened(mask(answer.location))}` : "";
    return allFailed(
      sent,
      `Infiniti answered HTTP ${status}, a redirect${to}: nothing was imported; set infiniti.url (or INFINITI_URL) to the school's Infiniti address`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    json = undefined;
  }
  const body = () => shortened(mask(answer.body));
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    if (status === 401 || status === 403)
      return allFailed(
        sent,
        `Infiniti refused the credentials (HTTP ${status}); check INFINITI_USERNAME and INFINITI_PASSWORD`,
      );
    return allFailed(
      sent,
      `Infiniti answered HTTP ${status} with something that is not the import's JSON answer: ${body()}`,
    );
  }
  const o = json as Record<string, unknown>;
  const success = typeof o.success === "boolean" ? o.success : undefined;
  const rawSummary = typeof o.summary === "string" ? o.summary.trim() : "";
  const summary = mask(rawSummary);
  if (status >= 500)
    return allFailed(sent, `Infiniti answered HTTP ${status}: ${summary || body()}`, { success });
  if (status === 401 || status === 403)
    return allFailed(sent, summary || `Infiniti refused the credentials (HTTP ${status})`, { success });
  if (success === undefined)
    return allFailed(sent, `Infiniti answered HTTP ${status} without a 'success' field: ${body()}`);
  if (status < 200 || status >= 300)
    return allFailed(sent, `Infiniti answered HTTP ${status}: ${summary || body()}`, { success });

  const details = o.details;
  if (details !== undefined && details !== null && (typeof details !== "object" || Array.isArray(details)))
    return allFailed(
      sent,
      `Infiniti's 'details' is not the documented "row number" -> "row outcome" map: ${body()}. Nothing is recorded as applied; the next plan sends these users again`,
      { success, warnings: ["details is not a map of row numbers"] },
    );
  const byRow = new Map<number, string>();
  const unmatched: string[] = [];
  const rows = new Set(sent.map((s) => s.row));
  for (const [key, value] of Object.entries((details ?? {}) as Record<string, unknown>)) {
    const row = rowNumber(key);
    if (row === undefined || !rows.has(row)) unmatched.push(`${key}: ${outcomeText(value)}`);
    else byRow.set(row, outcomeText(value));
  }
  if (unmatched.length) {
    const listed = shortened(mask(unmatched.join(" | ")));
    return allFailed(
      sent,
      `Infiniti reported outcomes that cannot be matched to a posted row (${listed}); summary: ${summary || "(none)"}. Nothing is recorded as applied; the next plan sends these users again`,
      { success, warnings: [`unmatched details: ${mask(unmatched.join(" | "))}`] },
    );
  }
  if (!success && byRow.size === 0)
    return allFailed(sent, summary || "Infiniti refused the import (success: false, no reason given)", {
      success,
    });

  const warnings: string[] = [];
  const notListed: string[] = [];
  const said =
    success && byRow.size === 0 ? summaryStatus(summaryCounts(rawSummary), sent.length) : undefined;
  const results: InfinitiResult[] = sent.map((s) => {
    const outcome = byRow.get(s.row);
    if (outcome === undefined) {
      if (success) {
        // Infiniti's words when its summary says them for every row (all created, or all updated).
        const planned = plannedStatus(s);
        const st = said ?? planned;
        const message =
          st === planned
            ? successMessage(s, st)
            : `${st}: Infiniti's summary counts every row ${st} (the plan expected ${planned === "created" ? "a new user" : "an existing one"})`;
        return { username: s.username, status: st, message, row: s.row };
      }
      notListed.push(s.username);
      const message =
        "Infiniti's answer did not list this row, so whether it was imported is unknown; the next plan sends it again";
      return { username: s.username, status: "failed", message, row: s.row };
    }
    const word = outcome.trim();
    if (word === USER_CREATED || word === USER_UPDATED) {
      const st = word === USER_CREATED ? "created" : "updated";
      return { username: s.username, status: st, message: successMessage(s, st), row: s.row };
    }
    const message = mask(outcome).replace(/\s+/g, " ").trim() || "(Infiniti gave no reason)";
    return { username: s.username, status: "failed", message, row: s.row };
  });
  if (notListed.length)
    warnings.push(
      `Infiniti's details did not list ${notListed.length} of ${sent.length} rows (counted as failed, sent again by the next plan)`,
    );
  const count = (st: InfinitiStatus) => results.filter((r) => r.status === st).length;
  const mine: SummaryCounts = {
    processed: sent.length,
    created: count("created"),
    updated: count("updated"),
    failed: count("failed"),
  };
  if (success && count("failed"))
    warnings.push(`Infiniti said success but listed problems for ${count("failed")} rows`);
  if (!success && !count("failed"))
    warnings.push("Infiniti said success false, yet its details list every row as imported");
  const theirs = summaryCounts(rawSummary);
  if (theirs) {
    const differ = (Object.keys(mine) as (keyof SummaryCounts)[]).filter((k) => theirs[k] !== mine[k]);
    if (differ.length)
      warnings.push(
        `the summary's counts disagree with the rows: ${differ.map((k) => `${k} ${theirs[k]} in the summary, ${mine[k]} in the rows`).join("; ")}${success && !details ? " (with no details, each row's created/updated comes from the plan)" : ""}`,
      );
  } else if (rawSummary) warnings.push("the summary does not give the four documented counts");
  return { success, summary, results, wholeFailure: mine.failed === sent.length, warnings };
}
