/**
 * The Alma simulator's Analytics report API: GET /almaws/v1/analytics/reports?path=…&limit=…&col_names=true,
 * then ?token=… . It serves one report, "users without barcode", made from the simulator's own users.
 *
 * Sources (public client fixtures of real answers; see the shared fixtures' analytics SOURCE.txt):
 * - Layout: `<?xml …?><report><QueryResult>` on one line, ResumptionToken, IsFinished,
 *   ResultXml/rowset in urn:schemas-microsoft-com:xml-analysis:rowset (scriptotek/php-alma-client
 *   spec/data/analytics_response_part1..3.xml).
 * - The ResumptionToken is in the first answer only: part1 has it, the token calls' answers part2 and part3
 *   have none (scriptotek, one paginated run of 150+150+88 rows per its spec/Analytics/ReportSpec.php). So
 *   after an empty first answer, the first page with rows has no token either.
 * - The first page alone carries xsd:schema; Column0 is the constant "0" column and the user columns are
 *   First Name, Last Name, Primary Identifier, User Group (BIBSYSDEV/ALMA-API-Example-usage
 *   analytics_response_valid_first_page.xml, a users report). Its elements carry saw-sql:columnHeading only
 *   when the first call asked col_names=true (that fixture, and scriptotek analytics_response.xml of the commit
 *   "Analytics: Support reading column names from the API"); without it they have only saw-sql:displayFormula
 *   "s_N" and saw-sql:type (scriptotek analytics_response_part1.xml, 2017, asked without col_names).
 * - An empty cell is left out of its Row (same fixture: a row without Column4, the User Group).
 * - Quirks: an empty `<ResultXml/>` with IsFinished false and a token as the first answer (BIBSYSDEV
 *   analytics_response_invalid.xml), and the same without a token on a later page (scriptotek
 *   analytics_still_loading_response.xml). Both are off by default; tests switch them on.
 * - Errors: path not found = HTTP 500 INTERNAL_SERVER_ERROR "Path not found (<path>)" (scriptotek
 *   report_not_found_response.xml, served as 500 by its ClientSpec.php); a token used after the last page =
 *   HTTP 500 errorCode 420033 "No more rows to fetch" (scriptotek analytics_response_part4.xml; status from
 *   kb-dk/alma-client's AlmaAnalyticsClient.java log); a key without Analytics permission = HTTP 400
 *   UNAUTHORIZED "API-key not defined or not configured to allow this API." (the gateway's answer,
 *   emory-libraries alma_bad_api_key.xml served as 400).
 * - Misbehaviour on demand (`misbehave`), to test the client's bounds; no source, modelled on issue #17 F's
 *   reproduction (a report repeating its token with IsFinished false and no rows): "no-rows" answers every token
 *   call after the first page that way; "same-page" repeats the first page's rows; "trickle" sends one row per
 *   page and never finishes.
 * ASSUMPTIONS (no source): the 128-hex token's value; an unknown token gets the 420033 answer too; after an
 * empty first answer the schema comes with the first page that has rows; `limit` is clamped to 25..1000
 * (the Developer Network's documented range); rows are in the store's order.
 */
import type { AlmaUser } from "./alma-model.ts";
import type { Rng } from "./alma-random.ts";

export const ANALYTICS_PATH = "/almaws/v1/analytics/reports";
export const DEFAULT_REPORT_PATH = "/shared/Simulated University/Reports/Users without barcode";

export interface AlmaAnalyticsOptions {
  /** Paths that hold the "users without barcode" report (default: DEFAULT_REPORT_PATH). */
  paths?: string[];
  /** At most this many rows per page whatever `limit` asks (default 1000), to make multi-page reports small. */
  pageSize?: number;
  /** Empty answers (token, IsFinished false, no ResultXml rows) before the first page (default 0). */
  emptyFirstAnswers?: number;
  /** Empty answers without a token before each later page (default 0). */
  stillLoadingAnswers?: number;
  /** Whether the key may read Analytics (default true). */
  allowed?: boolean;
  /** A report that never finishes, after its first page (default: none). See the module comment. */
  misbehave?: "none" | "no-rows" | "same-page" | "trickle";
}

export interface AnalyticsAnswer {
  status: number;
  body: string;
  contentType: string;
  errorCode?: string;
}

interface Run {
  rows: (string | undefined)[][];
  next: number;
  emptyLeft: number;
  schemaSent: boolean;
  finished: boolean;
  /** The first call asked col_names=true: the schema carries the headings. */
  colNames: boolean;
  token: string;
}

const COLUMNS = ["0", "First Name", "Last Name", "Primary Identifier", "User Group"];
const COLUMN_TABLE = ["", "User Details", "User Details", "User Details", "User Details"];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Users with no ACTIVE identifier of type BARCODE (a missing status counts as ACTIVE). */
export function withoutBarcode(u: AlmaUser): boolean {
  return !u.identifiers.some(
    (i) => i.idType.toUpperCase() === "BARCODE" && (i.status ?? "ACTIVE").toUpperCase() === "ACTIVE",
  );
}

export function createAnalytics(
  users: () => Iterable<AlmaUser>,
  rng: Rng,
  errorXml: (code: string, message: string) => string,
  options: AlmaAnalyticsOptions = {},
) {
  let opts: Required<AlmaAnalyticsOptions> = {
    paths: [DEFAULT_REPORT_PATH],
    pageSize: 1000,
    emptyFirstAnswers: 0,
    stillLoadingAnswers: 0,
    allowed: true,
    misbehave: "none",
    ...options,
  };
  const runs = new Map<string, Run>();
  const xml = (status: number, body: string, errorCode?: string): AnalyticsAnswer => ({
    status,
    body,
    contentType: "application/xml;charset=UTF-8",
    ...(errorCode && { errorCode }),
  });
  const token = () => {
    let t = "";
    for (let i = 0; i < 128; i++) t += "0123456789ABCDEF"[Math.floor(rng() * 16)];
    return t;
  };

  const page = (run: Run, tokenText: string | undefined, limit: number): string => {
    const head = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><report><QueryResult>\n`;
    if (run.emptyLeft > 0) {
      run.emptyLeft--;
      const tok = tokenText ? `    <ResumptionToken>${tokenText}</ResumptionToken>\n` : "";
      return `${head}${tok}    <IsFinished>false</IsFinished>\n    <ResultXml/>\n</QueryResult></report>`;
    }
    let rows = run.rows.slice(run.next, run.next + limit);
    const odd = run.schemaSent ? opts.misbehave : "none";
    if (odd === "no-rows" || odd === "same-page") {
      // Stuck: the token again, IsFinished false, and no rows or the first page's rows again.
      rows = odd === "no-rows" ? [] : run.rows.slice(0, limit);
      tokenText = run.token;
    } else if (odd === "trickle") {
      rows = [run.rows[run.next % run.rows.length]!];
      run.next++;
    } else run.next += rows.length;
    run.finished = odd === "none" && run.next >= run.rows.length;
    const tok = tokenText ? `    <ResumptionToken>${tokenText}</ResumptionToken>\n` : "";
    run.emptyLeft = run.finished ? 0 : opts.stillLoadingAnswers;
    const out = [head, tok, `    <IsFinished>${run.finished}</IsFinished>\n`, "    <ResultXml>\n"];
    out.push(`        <rowset xmlns="urn:schemas-microsoft-com:xml-analysis:rowset">\n`);
    if (!run.schemaSent) {
      run.schemaSent = true;
      out.push(
        `            <xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:saw-sql="urn:saw-sql" targetNamespace="urn:schemas-microsoft-com:xml-analysis:rowset">\n`,
        `                <xsd:complexType name="Row">\n                    <xsd:sequence>\n`,
        ...COLUMNS.map((h, i) =>
          run.colNames
            ? `                        <xsd:element maxOccurs="1" minOccurs="0" name="Column${i}" saw-sql:columnHeading="${esc(h)}" saw-sql:displayFormula="saw_${i}" saw-sql:tableHeading="${COLUMN_TABLE[i]}" saw-sql:type="${i ? "varchar" : "integer"}" type="xsd:${i ? "string" : "int"}"/>\n`
            : `                        <xsd:element maxOccurs="1" minOccurs="0" name="Column${i}" saw-sql:displayFormula="s_${i}" saw-sql:type="${i ? "varchar" : "integer"}" type="xsd:${i ? "string" : "int"}"/>\n`,
        ),
        `                    </xsd:sequence>\n                </xsd:complexType>\n            </xsd:schema>\n`,
      );
    }
    for (const r of rows) {
      out.push("            <Row>\n");
      r.forEach((v, i) => {
        if (v) out.push(`                <Column${i}>${esc(v)}</Column${i}>\n`);
      });
      out.push("            </Row>\n");
    }
    out.push("        </rowset>\n    </ResultXml>\n</QueryResult></report>");
    return out.join("");
  };

  return {
    configure(o: AlmaAnalyticsOptions): void {
      opts = { ...opts, ...o };
    },
    answer(url: URL): AnalyticsAnswer {
      if (!opts.allowed)
        return xml(
          400,
          errorXml("UNAUTHORIZED", "API-key not defined or not configured to allow this API."),
          "UNAUTHORIZED",
        );
      const raw = Number(url.searchParams.get("limit") ?? 25);
      const limit = Math.min(opts.pageSize, Math.max(25, Math.min(1000, Number.isFinite(raw) ? raw : 25)));
      const tok = url.searchParams.get("token");
      if (tok) {
        const run = runs.get(tok);
        if (!run || run.finished) return xml(500, errorXml("420033", "No more rows to fetch"), "420033");
        // Only the first answer carries the token, even when it was an empty one.
        return xml(200, page(run, undefined, limit));
      }
      const path = url.searchParams.get("path") ?? "";
      if (!opts.paths.includes(path))
        return xml(
          500,
          errorXml("INTERNAL_SERVER_ERROR", `Path not found (${path})`),
          "INTERNAL_SERVER_ERROR",
        );
      const rows: (string | undefined)[][] = [];
      for (const u of users()) {
        if (withoutBarcode(u)) rows.push(["0", u.firstName, u.lastName, u.primaryId, u.userGroup]);
      }
      const t = token();
      const run: Run = {
        rows,
        next: 0,
        emptyLeft: opts.emptyFirstAnswers,
        schemaSent: false,
        finished: false,
        colNames: url.searchParams.get("col_names") === "true",
        token: t,
      };
      runs.set(t, run);
      return xml(200, page(run, t, limit));
    },
  };
}

export type AlmaAnalytics = ReturnType<typeof createAnalytics>;
