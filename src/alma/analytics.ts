/**
 * The Alma Analytics report API: GET /almaws/v1/analytics/reports?path=…&limit=1000&col_names=true, then
 * ?token=… until IsFinished is true. Pure parsing of one answer (parseReportPage) and the paging loop over
 * the paced transport (readAnalyticsReport), with the key only in the Authorization header.
 *
 * The answer's shape, as real Alma sends it (public fixtures, listed in /work/shared's analytics SOURCE.txt):
 * - `<report><QueryResult>` with `ResumptionToken` (first page only), `IsFinished`, and `ResultXml/rowset`
 *   in the namespace urn:schemas-microsoft-com:xml-analysis:rowset (scriptotek/php-alma-client
 *   spec/data/analytics_response_part1..3.xml; BIBSYSDEV/ALMA-API-Example-usage
 *   analytics_response_valid_first_page.xml).
 * - The first page alone carries `xsd:schema`: one `xsd:element name="ColumnN"` per column, with
 *   `saw-sql:columnHeading` when col_names=true (scriptotek spec/data/analytics_response.xml, 2018). Later
 *   pages have neither schema nor token (scriptotek part2/part3).
 * - A `<Row>` leaves out a cell that is empty: Column4 can be missing (BIBSYSDEV first page, row 7), so cells
 *   are read by their ColumnN name, never by position.
 * - Real Alma sometimes answers HTTP 200 with an empty `<ResultXml/>` and IsFinished false, with a token
 *   (BIBSYSDEV analytics_response_invalid.xml and the comment in its AlmaAnalyticsService.java) or, on a
 *   later page, without one (scriptotek analytics_still_loading_response.xml): ask again, a bounded number
 *   of times.
 * - Errors: "Path not found (…)" with errorCode INTERNAL_SERVER_ERROR and HTTP 500 (scriptotek
 *   report_not_found_response.xml, served as 500 in ClientSpec.php); 420033 "No more rows to fetch" when a
 *   token is used past the last page (scriptotek analytics_response_part4.xml; HTTP 500 per kb-dk/alma-client).
 *   A key without Analytics read permission gets UNAUTHORIZED "API-key not defined or not configured to
 *   allow this API." (the gateway's answer for any API the key does not allow).
 */
import { XMLParser } from "fast-xml-parser";
import { InputError } from "../core/errors.ts";
import { AlmaApiError, almaApiError, explainAlmaError, parseAlmaErrorBody } from "./errors.ts";
import { keyRefusalOf } from "./key-refusal.ts";
import { TransportError } from "./transport-errors.ts";
import type { Transport } from "./transport.ts";

export interface ReportColumn {
  /** "Column0", "Column1"… */
  name: string;
  /** saw-sql:columnHeading, trimmed; undefined when Alma sent no heading. */
  heading?: string;
}

export interface ReportPage {
  token?: string;
  finished: boolean;
  /** The schema's columns (first page only). */
  columns?: ReportColumn[];
  /** Each row's cells by ColumnN name; an omitted cell is absent. */
  rows: Record<string, string>[];
  /** ResultXml was empty (no rowset at all). */
  empty: boolean;
}

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  processEntities: true,
  htmlEntities: true,
  isArray: (name) => name === "Row" || name === "element",
});

type Node = Record<string, unknown>;
const obj = (v: unknown): Node | undefined =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Node) : undefined;
const text = (v: unknown): string | undefined =>
  typeof v === "string"
    ? v
    : typeof v === "number"
      ? String(v)
      : obj(v)
        ? (text(obj(v)!["#text"]) ?? "")
        : undefined;

/** Parses one answer of the report API. Throws an Error with a plain sentence if it is not one. */
export function parseReportPage(xml: string): ReportPage {
  let doc: Node;
  try {
    doc = parser.parse(xml) as Node;
  } catch (e) {
    throw new Error(`Alma's Analytics answer is not well-formed XML: ${(e as Error).message}`);
  }
  // Real answers wrap QueryResult in <report>; some client fixtures (kb-dk) start at QueryResult.
  const qr = obj(obj(doc.report)?.QueryResult) ?? obj(doc.QueryResult);
  if (!qr) throw new Error("Alma's Analytics answer has no QueryResult");
  const finishedText = text(qr.IsFinished)?.trim().toLowerCase();
  if (finishedText !== "true" && finishedText !== "false")
    throw new Error("Alma's Analytics answer has no IsFinished true or false");
  // A token copied out of a comment can be broken over lines (BIBSYSDEV's fixture): hex has no spaces.
  const token = text(qr.ResumptionToken)?.replace(/\s+/g, "") || undefined;
  const rowset = obj(obj(qr.ResultXml)?.rowset);
  const page: ReportPage = { finished: finishedText === "true", rows: [], empty: !rowset };
  if (token) page.token = token;
  if (!rowset) return page;
  const elements = obj(obj(obj(rowset.schema)?.complexType)?.sequence)?.element;
  if (Array.isArray(elements)) {
    page.columns = elements.flatMap((el) => {
      const e = obj(el);
      const name = e && typeof e["@name"] === "string" ? e["@name"] : undefined;
      if (!e || !name) return [];
      const heading = e["@columnHeading"];
      return [typeof heading === "string" ? { name, heading: heading.trim() } : { name }];
    });
  }
  for (const r of Array.isArray(rowset.Row) ? (rowset.Row as unknown[]) : []) {
    const row: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj(r) ?? {})) {
      if (!/^Column\d+$/.test(k)) continue;
      const t = text(v);
      if (t !== undefined) row[k] = t;
    }
    page.rows.push(row);
  }
  return page;
}

export interface ReportRequest {
  transport: Transport;
  baseUrl: string;
  apiKey: string;
  /** The report's path in the Analytics catalogue, e.g. /shared/University/Reports/Users without barcode. */
  path: string;
  /** Rows per page (Alma: 25 to 1000, a multiple of 25). */
  limit?: number;
  /** Answers in a row that bring no new rows (IsFinished false: no rows, or the rows before again) before giving up. */
  maxEmptyTries?: number;
  /** Wait before asking again after an empty answer; default 2 s × the tries so far. */
  emptyWaitMs?: (tries: number) => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  /** Where the report's errors are reported (the config key). */
  configKey?: string;
  /** More rows than this is an input error (alma.max_lines), checked page by page. */
  maxRows?: number;
}

export interface Report {
  columns: ReportColumn[];
  rows: Record<string, string>[];
  /** Calls made, empty answers included. */
  calls: number;
  emptyAnswers: number;
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    });
  });

/** The cap of a report's rows when the config gives none (alma.max_lines' default). */
const DEFAULT_ROW_CAP = 2_000_000;

/**
 * Reads every page of a report. Alma's refusals (path not found, no permission) ⇒ InputError (exit 2).
 *
 * Paging is bounded (issue #17 F: a report that repeated its token with IsFinished false and no rows was
 * asked 494 times in 20 s). An answer that is not finished and brings no new rows (no ResultXml, a rowset
 * without rows, or the very rows of the answer before) is asked again after a wait, at most maxEmptyTries
 * times in a row; and the pages with rows may number at most what the row cap allows at the first page's size
 * (cap ÷ rows of the first page, plus one). Either limit stops the plan with an input error (exit 2).
 */
export async function readAnalyticsReport(req: ReportRequest): Promise<Report> {
  const limit = req.limit ?? 1000;
  const maxEmpty = req.maxEmptyTries ?? 5;
  const sleep = req.sleep ?? defaultSleep;
  const wait = req.emptyWaitMs ?? ((n: number) => 2000 * n);
  const base = `${req.baseUrl.replace(/\/+$/, "")}/almaws/v1/analytics/reports`;
  const where = req.configKey ?? "alma.patrons.analytics";
  const cap = req.maxRows ?? DEFAULT_ROW_CAP;
  let token: string | undefined;
  let columns: ReportColumn[] | undefined;
  const rows: Record<string, string>[] = [];
  let calls = 0;
  let emptyAnswers = 0;
  /** Answers in a row that were not finished and brought no new rows, and how many of them were empty. */
  let stalled = 0;
  let stalledEmpty = 0;
  let previous: string | undefined;
  let dataPages = 0;
  let pageSize = 0;
  for (;;) {
    const q = token
      ? new URLSearchParams({ token, limit: String(limit) })
      : new URLSearchParams({ path: req.path, limit: String(limit), col_names: "true" });
    const body = await get(req, `${base}?${q.toString()}`, where);
    calls++;
    const page = parseReportPage(body);
    token = page.token ?? token;
    if (page.columns && !columns) columns = page.columns;
    const key = page.rows.length ? JSON.stringify(page.rows) : undefined;
    const brought = key !== undefined && key !== previous;
    if (!page.finished && !brought) {
      if (page.empty) emptyAnswers++;
      stalled++;
      if (page.empty) stalledEmpty++;
      if (!token)
        throw new Error(
          `Alma's Analytics report ${req.path} answered with no rows and no resumption token: it cannot be read further.`,
        );
      if (stalled >= maxEmpty)
        throw new InputError({
          file: where,
          message:
            stalledEmpty === stalled
              ? `Alma's Analytics report ${req.path} was still not ready after ${stalled} empty answers in a row; run the plan again later`
              : `Alma's Analytics report ${req.path} brought no new rows in ${stalled} answers in a row (IsFinished false: ${stalledEmpty} with no rows, ${stalled - stalledEmpty} with the rows of the answer before again; ${rows.length.toLocaleString("en-US")} rows read in ${calls} calls): the report is not being read further. Run the plan again later; if it happens again, check the report in Alma Analytics or use a patron list file`,
        });
      await sleep(wait(stalled), req.signal);
      continue;
    }
    stalled = 0;
    stalledEmpty = 0;
    if (key !== undefined) previous = key;
    rows.push(...page.rows);
    if (rows.length > cap)
      throw new InputError({
        file: where,
        message: `the Analytics report ${req.path} has more than ${cap.toLocaleString("en-US")} rows, the cap (alma.max_lines): refused before planning. Check that it is the right report; if it is, raise alma.max_lines in the config`,
      });
    if (page.finished) break;
    if (page.rows.length) {
      dataPages++;
      // The first page's size is Alma's page size for this run: the cap allows so many pages, and one more.
      if (dataPages === 1) pageSize = page.rows.length;
      if (dataPages > Math.ceil(cap / pageSize) + 1)
        throw new InputError({
          file: where,
          message: `Alma's Analytics report ${req.path} is still not finished after ${dataPages.toLocaleString("en-US")} pages, more than its size allows (${cap.toLocaleString("en-US")} rows at most, the cap alma.max_lines, in pages of ${pageSize.toLocaleString("en-US")} rows): the report is not being read further. Check the report in Alma Analytics, or use a patron list file`,
        });
    }
    if (!token)
      throw new Error(
        `Alma's Analytics report ${req.path} is not finished but sent no resumption token to carry on with.`,
      );
  }
  if (!columns) {
    throw new InputError({
      file: where,
      message: `Alma's answer for the report ${req.path} has no column list (xsd:schema): the report cannot be read by column heading`,
    });
  }
  return { columns, rows, calls, emptyAnswers };
}

async function get(req: ReportRequest, url: string, where: string): Promise<string> {
  let status: number;
  let body: string;
  let contentType: string | null = null;
  try {
    const res = await req.transport.send({
      method: "GET",
      url,
      headers: { Authorization: `apikey ${req.apiKey}`, Accept: "application/xml" },
      signal: req.signal,
    });
    status = res.status;
    body = res.body;
    contentType = res.headers.get("content-type");
  } catch (e) {
    // Alma answers "Path not found" with HTTP 500: the transport retried it, then gave up with the body.
    if (e instanceof TransportError && e.kind === "http" && e.status !== undefined && e.body) {
      const details = parseAlmaErrorBody(e.status, e.body);
      const refusal = details.find((d) => /path not found/i.test(d.message));
      if (refusal) throw reportRefused(req.path, where, new AlmaApiError(e.status, details), false);
    }
    throw e;
  }
  if (status >= 200 && status < 300) return body;
  // A refused key (UNAUTHORIZED, 401/403, an IP refusal: key-refusal.ts) reads the same whether the key
  // is wrong or only lacks the Analytics permission: one message names both.
  const refusal = keyRefusalOf(status, body, contentType);
  if (refusal) throw reportRefused(req.path, where, new AlmaApiError(status, [refusal]), true);
  const err = almaApiError(status, body, contentType);
  if (err.errors.some((d) => /path not found/i.test(d.message)))
    throw reportRefused(req.path, where, err, false);
  throw err;
}

function reportRefused(path: string, where: string, err: AlmaApiError, keyRefused: boolean): InputError {
  const why = keyRefused
    ? `Alma refused the API key for the Analytics API: the key lacks the Analytics (read) permission, or is not a valid key for this institution and region. Add the permission to the key in the Developer Network, or use a patron list file`
    : `Alma has no Analytics report at this path: copy the path from the report's properties in Alma Analytics (e.g. /shared/<institution>/Reports/…)`;
  return new InputError({ file: where, message: `'${path}': ${why} (${explainAlmaError(err)})` });
}
