/**
 * A refused Alma API key stops the whole run: one error, thrown out of the plan or the apply, never a
 * failure per patron.
 *
 * How Alma's API gateway refuses a key (see the simulator's refusals, src/simulators/alma-refusals.ts, for
 * the sources): 401 UNAUTHORIZED; 400 UNAUTHORIZED (XML or JSON) when the key lacks the API area or belongs
 * to another environment; 403 INVALID_REQUEST or FORBIDDEN for an invalid key or a caller outside the key's
 * IP range ("HTTP requests from IP address … are not allowed"); a plain-text 400 "Invalid API Key"; and an
 * HTML 401 page when the base URL is the institution's Alma domain rather than the API gateway.
 */
import { parseAlmaErrorBody, type AlmaErrorDetail } from "./errors.ts";

/** What the message needs to say where the key was used and what it needs. */
export interface KeyContext {
  /** The environment variable (or action input) the key came from, e.g. ALMA_API_KEY. Never its value. */
  keyName: string;
  baseUrl: string;
  /** The config's region, when ALMA_BASE_URL does not override it. */
  region?: string;
  /** What the run needs the key for. */
  purpose: "plan" | "apply";
}

const IP_REFUSED = /HTTP requests from IP address\s+\S+\s+are not allowed/i;
const INVALID_KEY = /^\s*invalid api key\s*$/i;

/**
 * The gateway's refusal of the key, or undefined when the answer is something else (a business error such as
 * 401861, a threshold, a server error). 401 and 403 are always refusals: the Users API has no business error
 * with those statuses.
 */
export function keyRefusalOf(
  status: number,
  body: string,
  contentType?: string | null,
): AlmaErrorDetail | undefined {
  if (status >= 200 && status < 300) return undefined;
  const details = parseAlmaErrorBody(status, body, contentType);
  const detail = details[0]!;
  if (status === 401 || status === 403) return detail;
  if (IP_REFUSED.test(body)) return detail;
  if (status === 400) {
    if (details.some((d) => d.code.toUpperCase() === "UNAUTHORIZED")) return detail;
    if (INVALID_KEY.test(body)) return detail;
  }
  return undefined;
}

/** The key was refused: the run stops. The message names the key's variable, never its value. */
export class AlmaKeyRefusedError extends Error {
  readonly status: number;
  readonly detail: AlmaErrorDetail;
  readonly context: KeyContext;
  /** The title of the HTML page Alma answered with ("" without one), or undefined: not an HTML page. */
  readonly html: string | undefined;
  constructor(
    status: number,
    detail: AlmaErrorDetail,
    context: KeyContext,
    html: string | undefined,
    outcome?: string,
  ) {
    super(refusalMessage(status, detail, context, html, outcome));
    this.name = "AlmaKeyRefusedError";
    this.status = status;
    this.detail = detail;
    this.context = context;
    this.html = html;
  }
  /** The same refusal, its message ending with what the run did before it stopped. */
  stopped(outcome: string): AlmaKeyRefusedError {
    return new AlmaKeyRefusedError(this.status, this.detail, this.context, this.html, outcome);
  }
}

export function keyRefusedError(
  status: number,
  body: string,
  contentType: string | null | undefined,
  context: KeyContext,
): AlmaKeyRefusedError | undefined {
  const detail = keyRefusalOf(status, body, contentType);
  if (!detail) return undefined;
  const isHtml = /^\s*(<!doctype html|<html)/i.test(body) || /text\/html/i.test(contentType ?? "");
  const html = isHtml ? (/<title>([^<]{1,120})<\/title>/i.exec(body)?.[1]?.trim() ?? "") : undefined;
  return new AlmaKeyRefusedError(status, detail, context, html);
}

function refusalMessage(
  status: number,
  d: AlmaErrorDetail,
  c: KeyContext,
  html: string | undefined,
  outcome: string | undefined,
): string {
  const said =
    html !== undefined
      ? `HTTP ${status} with an HTML page${html ? ` ("${html.replace(/[\p{Cc}"]/gu, " ")}")` : ""}`
      : d.code.startsWith("HTTP_")
        ? d.message
        : `HTTP ${status} ${d.code}: ${d.message || "(no message)"}`;
  const where = c.region ? `region '${c.region}' (${c.baseUrl})` : `ALMA_BASE_URL (${c.baseUrl})`;
  const permission =
    c.purpose === "plan"
      ? "the Users API with at least read permission (apply needs read/write)"
      : "the Users API with read/write permission";
  const parts = [
    `Alma refused the API key in ${c.keyName} at ${where}: ${said.replace(/[.\s]+$/, "")}.`,
    outcome ?? "The run stopped at the first refusal.",
    `Check that ${c.keyName} holds an Alma API key (its value is not shown) for ${permission}, made for this environment (production or sandbox) and this region.`,
    "If the key is restricted to IP ranges, this machine's address may be outside them (GitHub-hosted runners change address: use a self-hosted runner or static IPs).",
  ];
  if (html !== undefined)
    parts.push(
      "The answer was an HTML page, not the API: the base URL must be the API gateway (https://api-<region>.hosted.exlibrisgroup.com), not the institution's Alma address.",
    );
  return parts.join(" ");
}
