/**
 * The Analytics report reader: one answer parsed (parseReportPage), the paging loop over a scripted transport
 * (readAnalyticsReport), and the patron list taken from the report by column heading (patronsFromTable).
 * The answers are test/fixtures/alma/analytics/*.xml, modelled on real ones (see the README there).
 */
import { describe, expect, it } from "vitest";
import { parseReportPage, readAnalyticsReport } from "../../src/alma/analytics.ts";
import { patronsFromTable, reportTable } from "../../src/alma/report-patrons.ts";
import type { Transport, TransportRequest } from "../../src/alma/transport.ts";
import { InputError } from "../../src/core/errors.ts";
import { fixture } from "../helpers/fixtures.ts";

const page = (name: string) => fixture(`alma/analytics/${name}.xml`);

function scripted(answers: { status: number; body: string }[]) {
  const sent: TransportRequest[] = [];
  const transport: Transport = {
    send: (req) => {
      sent.push(req);
      const a = answers.shift();
      if (!a) throw new Error("no more scripted answers");
      return Promise.resolve({
        status: a.status,
        body: a.body,
        headers: new Headers({ "content-type": "application/xml;charset=UTF-8" }),
        attempts: 1,
      });
    },
    stats: () => {
      throw new Error("not used");
    },
    onIdle: () => Promise.resolve(),
  };
  return { transport, sent };
}

const ok = (name: string) => ({ status: 200, body: page(name) });
const REPORT = "/shared/Test University/Reports/Users without barcode";

describe("parseReportPage", () => {
  it("reads the first page: token, not finished, the schema's headings by ColumnN, rows by cell name", () => {
    const p = parseReportPage(page("first_page"));
    expect(p.finished).toBe(false);
    expect(p.token).toMatch(/^7C0FFEE1[0-9A-F]{120}$/);
    expect(p.columns?.map((c) => [c.name, c.heading])).toEqual([
      ["Column0", "0"],
      ["Column1", "First Name"],
      ["Column2", "Last Name"],
      ["Column3", "User Group"],
      ["Column4", "Primary Identifier"],
      ["Column5", "MAX( RCOUNT(1))"],
    ]);
    // The first row leaves out Column3: its ID is still Column4, not the fourth cell.
    expect(p.rows[0]).toEqual({
      Column0: "0",
      Column1: "Ada",
      Column2: "Okafor",
      Column4: "S0001",
      Column5: "5",
    });
    expect(p.rows[1]?.Column2).toBe("Lindqvist & Sons");
  });

  it("reads a later page without schema or token, and the last page", () => {
    const p = parseReportPage(page("later_page"));
    expect(p).toMatchObject({ finished: false, empty: false });
    expect(p.token).toBeUndefined();
    expect(p.columns).toBeUndefined();
    expect(p.rows).toEqual([
      { Column0: "0", Column1: "Chen", Column4: "S0003" },
      { Column0: "0", Column1: "Dee", Column2: "Nobody" },
    ]);
    expect(parseReportPage(page("last_page")).finished).toBe(true);
  });

  it("sees the empty-ResultXml quirk, and joins a token broken over lines", () => {
    const p = parseReportPage(page("empty_first"));
    expect(p).toMatchObject({ finished: false, empty: true, rows: [] });
    expect(p.token).toMatch(/^0A1B[0-9A-F]{124}$/);
    expect(parseReportPage(page("still_loading"))).toMatchObject({ finished: false, empty: true });
  });

  it("refuses what is not a report answer", () => {
    expect(() => parseReportPage("<users/>")).toThrow(/no QueryResult/);
    expect(() => parseReportPage("<report><QueryResult><ResultXml/></QueryResult></report>")).toThrow(
      /IsFinished/,
    );
  });
});

describe("readAnalyticsReport", () => {
  it("asks with path, limit and col_names, then follows the token through empty answers until IsFinished", async () => {
    const { transport, sent } = scripted([
      ok("empty_first"),
      ok("first_page"),
      ok("still_loading"),
      ok("later_page"),
      ok("last_page"),
    ]);
    const waits: number[] = [];
    const report = await readAnalyticsReport({
      transport,
      baseUrl: "https://alma.example/",
      apiKey: "secret-key",
      path: REPORT,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    expect(report.calls).toBe(5);
    expect(report.emptyAnswers).toBe(2);
    expect(waits).toEqual([2000, 2000]);
    expect(report.rows.map((r) => r.Column4)).toEqual(["S0001", "E0002", "S0003", undefined, "s0001"]);
    const first = new URL(sent[0]!.url);
    expect(first.pathname).toBe("/almaws/v1/analytics/reports");
    expect(Object.fromEntries(first.searchParams)).toEqual({
      path: REPORT,
      limit: "1000",
      col_names: "true",
    });
    // The empty first answer's token (joined) is what the next call carries; then the first page's token.
    expect(new URL(sent[1]!.url).searchParams.get("token")).toMatch(/^0A1B[0-9A-F]{124}$/);
    expect(new URL(sent[2]!.url).searchParams.get("token")).toMatch(/^7C0FFEE1/);
    for (const r of sent) {
      expect(r.headers?.Authorization).toBe("apikey secret-key");
      expect(r.url).not.toContain("secret-key");
    }
  });

  it("refuses a report with more rows than alma.max_lines, without asking for the rest", async () => {
    const { transport, sent } = scripted([ok("first_page"), ok("later_page"), ok("last_page")]);
    const e = await readAnalyticsReport({
      transport,
      baseUrl: "https://a",
      apiKey: "k",
      path: REPORT,
      maxRows: 3,
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toContain(
      `the Analytics report ${REPORT} has more than 3 rows, the cap (alma.max_lines)`,
    );
    expect(sent).toHaveLength(2);
  });

  it("gives up after a bounded number of empty answers in a row", async () => {
    const { transport, sent } = scripted(Array.from({ length: 10 }, () => ok("empty_first")));
    await expect(
      readAnalyticsReport({
        transport,
        baseUrl: "https://a",
        apiKey: "k",
        path: REPORT,
        maxEmptyTries: 3,
        sleep: () => Promise.resolve(),
      }),
    ).rejects.toThrow(/still not ready after 3 empty answers/);
    expect(sent).toHaveLength(3);
  });

  it("turns 'Path not found' and a key without Analytics permission into input errors (exit 2)", async () => {
    const notFound = scripted([{ status: 500, body: page("path_not_found") }]);
    const e1 = await readAnalyticsReport({
      transport: notFound.transport,
      baseUrl: "https://a",
      apiKey: "k",
      path: "/shared/Nowhere/Report",
    }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(InputError);
    expect((e1 as Error).message).toMatch(
      /alma\.patrons\.analytics: '\/shared\/Nowhere\/Report': Alma has no Analytics report at this path/,
    );
    expect((e1 as Error).message).toContain("E01-0101120000-ABCDE-AWAE0000000001");

    const unauthorized =
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><web_service_result xmlns="http://com/exlibris/urm/general/xmlbeans"><errorsExist>true</errorsExist><errorList><error><errorCode>UNAUTHORIZED</errorCode><errorMessage>API-key not defined or not configured to allow this API.</errorMessage></error></errorList></web_service_result>';
    const denied = scripted([{ status: 400, body: unauthorized }]);
    const e2 = await readAnalyticsReport({
      transport: denied.transport,
      baseUrl: "https://a",
      apiKey: "k",
      path: REPORT,
    }).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(InputError);
    // A gateway's plain 401 is a refused key too: the same input error, not a crash.
    const plain = scripted([{ status: 401, body: "Invalid API Key" }]);
    const e3 = await readAnalyticsReport({
      transport: plain.transport,
      baseUrl: "https://a",
      apiKey: "k",
      path: REPORT,
    }).catch((e: unknown) => e);
    expect(e3).toBeInstanceOf(InputError);
    expect((e3 as Error).message).toContain("Alma refused the API key for the Analytics API");
    expect((e2 as Error).message).toMatch(
      /Alma refused the API key for the Analytics API: the key lacks the Analytics \(read\) permission/,
    );
  });
});

describe("patronsFromTable", () => {
  const table = () => {
    const pages = ["first_page", "later_page", "last_page"].map((n) => parseReportPage(page(n)));
    return reportTable({
      columns: pages[0]!.columns!,
      rows: pages.flatMap((p) => p.rows),
      calls: 3,
      emptyAnswers: 0,
    });
  };

  it("takes the column by heading; each ID once; a row without an ID is not planned", () => {
    const t = table();
    expect(t.headings).toEqual([
      "0",
      "First Name",
      "Last Name",
      "User Group",
      "Primary Identifier",
      "MAX( RCOUNT(1))",
    ]);
    expect(t.rows[0]).toEqual(["0", "Ada", "Okafor", "", "S0001", "5"]);
    const { list, emptyRows } = patronsFromTable(t, { analytics: REPORT, column: "primary  identifier" });
    expect(list.entries).toEqual([
      { id: "S0001", line: 2 },
      { id: "E0002", line: 3 },
      { id: "S0003", line: 4 },
    ]);
    expect(list.duplicates).toEqual([{ id: "S0001", lines: [2, 6] }]);
    expect(emptyRows).toEqual([5]);
  });

  it("names the report's columns when the heading is not there", () => {
    expect(() => patronsFromTable(table(), { analytics: REPORT, column: "Employee ID" })).toThrow(
      /has no column headed "Employee ID"; its columns are "0", "First Name", "Last Name", "User Group", "Primary Identifier"/,
    );
  });
});
