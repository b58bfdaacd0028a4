/**
 * Alma API error bodies, parsed tolerantly and explained in one plain sentence for a librarian.
 *
 * Alma answers errors with a `web_service_result` (XML, in a namespace; or JSON, with or without that
 * wrapper): `errorList.error` is one object or a list of `{errorCode, errorMessage, trackingId}`. Codes are
 * numeric ("401851") or words from the API gateway ("PER_SECOND_THRESHOLD"). Older bodies put the tracking id
 * inside the message. Proxies in front of Alma answer 5xx with HTML or nothing at all. The parser never throws.
 */
import { STATUS_CODES } from "node:http";
import { XMLParser } from "fast-xml-parser";
import { redactCredentials } from "../core/credentials.ts";

export interface AlmaErrorDetail {
  code: string;
  message: string;
  trackingId?: string;
}

/** "User not found" codes: GET (401861) and PUT (401890). */
export const NOT_FOUND_CODES: ReadonlySet<string> = new Set(["401861", "401890"]);

/** An error answer from Alma. `errors` is never empty. */
export class AlmaApiError extends Error {
  readonly status: number;
  readonly errors: AlmaErrorDetail[];
  constructor(status: number, errors: AlmaErrorDetail[]) {
    const list = errors.length ? errors : [genericDetail(status, "")];
    super(`Alma API HTTP ${status}: ${list.map((d) => `${d.code} ${d.message}`).join("; ")}`);
    this.name = "AlmaApiError";
    this.status = status;
    this.errors = list;
  }
  /** The first error's code, e.g. "401851", "PER_SECOND_THRESHOLD" or "HTTP_502". */
  get code(): string {
    return this.errors[0]?.code ?? `HTTP_${this.status}`;
  }
  get trackingId(): string | undefined {
    return this.errors.find((d) => d.trackingId)?.trackingId;
  }
}

export function almaApiError(status: number, body: string, contentType?: string | null): AlmaApiError {
  return new AlmaApiError(status, parseAlmaErrorBody(status, body, contentType));
}

// ---------------------------------------------------------------------------------------------------------
// Parsing

const xmlParser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  processEntities: true,
  htmlEntities: true,
});

/** Longest message kept from an Alma error, and longest excerpt of a body that is not one. */
const MAX_MESSAGE = 500;
const MAX_EXCERPT = 120;

/** Always returns at least one detail; never throws. */
export function parseAlmaErrorBody(
  status: number,
  body: string,
  contentType?: string | null,
): AlmaErrorDetail[] {
  try {
    const text = (typeof body === "string" ? body : "").replace(/^\uFEFF/, "").trim();
    const type = (contentType ?? "").toLowerCase();
    const tree = parseTree(text, type);
    const details = tree === undefined ? [] : detailsFrom(tree);
    return details.length ? details : [genericDetail(status, text)];
  } catch {
    return [genericDetail(status, "")];
  }
}

function parseTree(text: string, type: string): unknown {
  const looksJson = text.startsWith("{") || text.startsWith("[");
  const looksXml = text.startsWith("<");
  if (looksJson || (!looksXml && type.includes("json"))) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  }
  if (looksXml) {
    try {
      return xmlParser.parse(text) as unknown;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** A property by name, ignoring case (`errorList`, `errorlist`, `ErrorList`). */
function prop(o: unknown, name: string): unknown {
  if (!isObj(o)) return undefined;
  if (name in o) return o[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

function textOf(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
  if (isObj(v) && "#text" in v) return textOf(v["#text"]);
  return "";
}

function detailsFrom(tree: unknown): AlmaErrorDetail[] {
  const root = isObj(prop(tree, "web_service_result")) ? prop(tree, "web_service_result") : tree;
  const list = prop(root, "errorList");
  const raw = isObj(list) ? prop(list, "error") : prop(root, "error");
  const items = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const out: AlmaErrorDetail[] = [];
  for (const item of items) {
    if (!isObj(item)) continue;
    const code = clean(textOf(prop(item, "errorCode")));
    let message = clean(textOf(prop(item, "errorMessage")));
    let trackingId = clean(textOf(prop(item, "trackingId"))) || undefined;
    if (!code && !message) continue;
    const embedded = TRACKING_IN_MESSAGE.exec(message);
    const found = embedded?.[1] ?? embedded?.[2];
    if (found && (!trackingId || trackingId === found)) {
      trackingId = found;
      message = clean(message.replace(TRACKING_IN_MESSAGE, " "));
    }
    const detail: AlmaErrorDetail = {
      code: code || "UNKNOWN",
      message: truncate(redact(message), MAX_MESSAGE),
    };
    if (trackingId) detail.trackingId = trackingId;
    out.push(detail);
  }
  return out;
}

/** "(Tracking ID: E01-1003193841-69PD8-AWAE2124448477)", with or without the parentheses. */
const TRACKING_IN_MESSAGE =
  /\(\s*tracking[\s_-]*id\s*[:#=]?\s*([A-Za-z0-9]+(?:-[A-Za-z0-9]+)+)\s*\)|tracking[\s_-]*id\s*[:#=]?\s*([A-Za-z0-9]+(?:-[A-Za-z0-9]+)+)/i;

const clean = (s: string): string => s.replace(/\s+/g, " ").trim();

function truncate(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max
    ? s
    : chars
        .slice(0, max - 1)
        .join("")
        .trimEnd() + "…";
}

/** Never echo an API key, should a proxy's page quote the request. */
function redact(s: string): string {
  return redactCredentials(s).replace(/\bl[78]xx[0-9a-z]{16,}\b/gi, "…");
}

/** A short plain-text excerpt of a body that is not an Alma error: tags, scripts and control characters removed. */
function excerpt(body: string): string {
  const text = body
    .replace(/<!--[\s\S]*?(-->|$)/g, " ")
    .replace(/<(script|style)\b[\s\S]*?(<\/\1\s*>|$)/gi, " ")
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, "$1")
    .replace(/<[^>]*>?/g, " ")
    .replace(/&(nbsp|amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/gi, (m, name: string) => {
      const n = name.toLowerCase();
      if (n === "nbsp") return " ";
      if (n === "amp") return "&";
      if (n === "quot") return '"';
      if (n === "apos") return "'";
      if (n === "lt") return "<";
      if (n === "gt") return ">";
      const cp = n.startsWith("#x") ? parseInt(n.slice(2), 16) : parseInt(n.slice(1), 10);
      return cp > 31 && cp < 0x110000 ? String.fromCodePoint(cp) : " ";
    })
    // Escaped markup (`&lt;b&gt;`) is markup too once decoded; then drop any stray angle bracket.
    .replace(/<[^>]*>?/g, " ")
    .replace(/[<>]/g, " ")
    .replace(/[\p{Cc}\p{Cf}]/gu, " ");
  return truncate(clean(redact(clean(text))), MAX_EXCERPT);
}

function genericDetail(status: number, body: string): AlmaErrorDetail {
  const reason = STATUS_CODES[status];
  const head = `Alma answered HTTP ${status}${reason ? ` (${reason})` : ""}`;
  const ex = excerpt(body);
  return { code: `HTTP_${status}`, message: ex ? `${head}: ${ex}` : `${head} with an empty body` };
}

// ---------------------------------------------------------------------------------------------------------
// Explaining

const HINT_KEY =
  "check that the API key (ALMA_READ_API_KEY or ALMA_API_KEY for plan, ALMA_API_KEY for apply) is right and has permission for Users in this Alma region: read to plan, read/write to apply.";
const HINT_RATE =
  "too many API calls per second across the whole institution (all applications share Alma's limit); lower alma.rate_limit in the config.";
const HINT_SERVER = "Alma (or the network in front of it) had a problem; try again later.";

function hintFor(d: AlmaErrorDetail, status: number | undefined): string | undefined {
  switch (d.code.toUpperCase()) {
    case "401851":
      return "this barcode is already used by another Alma user; find who holds it before retrying.";
    case "401858":
      return "the external_id sent differs from the one in Alma; patron-sync never changes it, so the record was probably changed in Alma (for example by an SIS load) after it was read: plan again.";
    case "UNAUTHORIZED":
      return HINT_KEY;
    case "PER_SECOND_THRESHOLD":
      return HINT_RATE;
    case "DAILY_THRESHOLD":
      return "the institution's daily API quota is used up; the remaining records stay pending for the next run.";
    case "401861":
    case "401890":
      return "the user was not found in Alma; check the primary ID (the user may have been deleted or purged).";
    case "401652":
      return /service\s*unit|role/i.test(d.message)
        ? "the PUT carried user roles, one of which lacks a parameter such as ServiceUnit; patron-sync leaves roles out of the PUT to avoid this, so please report it."
        : "a general error inside Alma; try again later, and if it persists give the tracking id to Ex Libris support.";
    case "401676":
      return "Alma found no valid XML in what was sent; this is a patron-sync bug, please report it with the tracking id.";
    case "402203":
      return "Alma refused a parameter of the request as not valid (such as a user ID with characters Alma does not accept); check the ID in the patron list.";
    case "401664":
      return "the record lacks a field Alma requires; fix the user in Alma, then plan again.";
    case "GENERAL_ERROR":
      return HINT_SERVER;
  }
  if (status === undefined) {
    const m = /^HTTP_(\d{3})$/.exec(d.code);
    if (m?.[1]) status = Number(m[1]);
  }
  if (status === 401 || status === 403) return HINT_KEY;
  if (status === 429) return HINT_RATE;
  if (status !== undefined && status >= 500) return HINT_SERVER;
  return undefined;
}

function sentence(s: string): string {
  const t = s.trim();
  if (!t) return "(no message).";
  return /[.!?…]$/.test(t) ? t : `${t}.`;
}

function describe(d: AlmaErrorDetail): string {
  const text = d.code.startsWith("HTTP_")
    ? sentence(d.message)
    : `Alma error ${d.code}: ${sentence(d.message)}`;
  return d.trackingId ? `${text} (tracking id ${d.trackingId})` : text;
}

/**
 * One plain sentence for a librarian: Alma's code, message and tracking id, and what to do about it, e.g.
 * `Alma error 401851: User with identifier … already exists. (tracking id E01-…) — Hint: this barcode is …`.
 */
export function explainAlmaError(e: AlmaApiError | AlmaErrorDetail): string {
  const status = e instanceof AlmaApiError ? e.status : undefined;
  const details = e instanceof AlmaApiError ? e.errors : [e];
  const hints: string[] = [];
  for (const d of details) {
    const h = hintFor(d, status);
    if (h && !hints.includes(h)) hints.push(h);
  }
  const text = details.map(describe).join(" ");
  return hints.length ? `${text} — Hint: ${hints.join(" ")}` : text;
}
