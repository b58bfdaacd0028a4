import { describe, expect, it } from "vitest";
import { interpretAnswer, type SentRow } from "../../src/infiniti/result.ts";
import { fixture } from "../helpers/fixtures.ts";

const SENT: SentRow[] = [
  { row: 1, username: "zoe", action: "create", password: "Secret-Zoe-1" },
  { row: 2, username: "bob", action: "update" },
  { row: 3, username: "ann", action: "disable" },
];

const statuses = (a: ReturnType<typeof interpretAnswer>) =>
  a.results.map((r) => [r.username, r.status, r.message]);
const answer = (json: unknown, status = 200) => interpretAnswer({ status, body: JSON.stringify(json) }, SENT);

describe("interpretAnswer: row outcomes", () => {
  it("only the exact words User Created / User Updated import a row; anything else fails it with the words", () => {
    const a = answer({
      success: false,
      summary: "3 users processed. 0 users created. 1 user updated. 2 users failed.",
      details: { "1": "created", "2": " User Updated ", "3": "User updated" },
    });
    expect(statuses(a)).toEqual([
      ["zoe", "failed", "created"],
      ["bob", "updated", "updated"],
      ["ann", "failed", "User updated"],
    ]);
    expect(a.warnings).toEqual([]);
  });

  it("a disabled user Infiniti updated is reported as disabled", () => {
    const a = answer({
      success: false,
      summary: "3 users processed. 0 users created. 1 user updated. 2 users failed.",
      details: {
        "1": "Bad. User failed to import: Bad. ",
        "2": "Bad. User failed to import: Bad. ",
        "3": "User Updated",
      },
    });
    expect(statuses(a)[2]).toEqual(["ann", "updated", "disabled (sent with enabled=n)"]);
  });

  it("warns when the summary's counts disagree with the rows", () => {
    const a = answer({
      success: false,
      summary: "3 users processed. 2 users created. 0 users updated. 1 user failed.",
      details: { "1": "User Created", "2": "User Updated", "3": "No. User failed to import: No. " },
    });
    expect(a.results.map((r) => r.status)).toEqual(["created", "updated", "failed"]);
    expect(a.warnings).toEqual([
      "the summary's counts disagree with the rows: created 2 in the summary, 1 in the rows; updated 0 in the summary, 1 in the rows",
    ]);
  });

  it("a row missing from a partial answer's details is failed (sent again), with a warning", () => {
    const a = answer({
      success: false,
      summary: "3 users processed. 1 user created. 0 users updated. 1 user failed.",
      details: { "1": "User Created", "3": "No. User failed to import: No. " },
    });
    expect(a.results.map((r) => r.status)).toEqual(["created", "failed", "failed"]);
    expect(a.results[1]!.message).toMatch(/did not list this row/);
    expect(a.warnings[0]).toBe(
      "Infiniti's details did not list 1 of 3 rows (counted as failed, sent again by the next plan)",
    );
  });

  it("success with no details: each row from the plan; a summary without the four counts is warned", () => {
    const a = answer({ success: true, summary: "Done" });
    expect(statuses(a)).toEqual([
      ["zoe", "created", "created"],
      ["bob", "updated", "updated"],
      ["ann", "updated", "disabled (sent with enabled=n)"],
    ]);
    expect(a.warnings).toEqual(["the summary does not give the four documented counts"]);
  });

  it("success with no details whose summary counts every row updated: each row says updated, as Infiniti did", () => {
    // Issue 19: a user the plan took for new (create) was already in Infiniti, which updated it.
    const sent: SentRow[] = [
      { row: 1, username: "zoe", action: "create" },
      { row: 2, username: "kim", action: "create" },
    ];
    const a = interpretAnswer(
      {
        status: 200,
        body: JSON.stringify({
          success: true,
          summary: "2 users processed. 0 users created. 2 users updated. 0 users failed.",
        }),
      },
      sent,
    );
    expect(statuses(a)).toEqual([
      [
        "zoe",
        "updated",
        "updated: Infiniti's summary counts every row updated (the plan expected a new user)",
      ],
      [
        "kim",
        "updated",
        "updated: Infiniti's summary counts every row updated (the plan expected a new user)",
      ],
    ]);
    expect(a.warnings).toEqual([]);
    // A mixed summary names no row: each keeps the plan's word, and the disagreement is warned.
    const mixed = interpretAnswer(
      {
        status: 200,
        body: JSON.stringify({
          success: true,
          summary: "2 users processed. 1 user created. 1 user updated. 0 users failed.",
        }),
      },
      sent,
    );
    expect(mixed.results.map((r) => r.status)).toEqual(["created", "created"]);
    expect(mixed.warnings[0]).toMatch(/^the summary's counts disagree with the rows/);
  });

  it("success=true that still lists a failed row: that row fails, with a warning", () => {
    const a = answer({ success: true, summary: "", details: { "2": "Invalid" } });
    expect(a.results.map((r) => r.status)).toEqual(["created", "failed", "updated"]);
    expect(a.warnings).toContain("Infiniti said success but listed problems for 1 rows");
  });

  it("success=false whose details import every row: imported, with a warning", () => {
    const a = answer({
      success: false,
      summary: "3 users processed. 1 user created. 2 users updated. 0 users failed.",
      details: { "1": "User Created", "2": "User Updated", "3": "User Updated" },
    });
    expect(a.results.map((r) => r.status)).toEqual(["created", "updated", "updated"]);
    expect(a.warnings).toEqual(["Infiniti said success false, yet its details list every row as imported"]);
  });

  it("a detail that is not a posted row number fails every row; nothing is recorded", () => {
    for (const details of [{ "7": "x" }, { bob: "User Updated" }, { "0": "header?" }]) {
      const a = answer({ success: false, summary: "s", details });
      expect(a.wholeFailure).toBe(true);
      expect(a.results.every((r) => r.status === "failed")).toBe(true);
      expect(a.results[0]!.message).toMatch(/cannot be matched to a posted row/);
    }
    const list = answer({ success: false, summary: "s", details: [{ row: 2, error: "x" }] });
    expect(list.results[0]!.message).toMatch(/not the documented "row number" -> "row outcome" map/);
  });

  it("success=false with no details is a whole failure with Infiniti's summary", () => {
    const a = answer({ success: false, summary: "Import is disabled for this school" });
    expect(a.results.map((r) => r.message)).toEqual(Array(3).fill("Import is disabled for this school"));
  });
});

describe("interpretAnswer: unusable answers fail every row, with the HTTP status", () => {
  it("a gateway's HTML page", () => {
    const a = interpretAnswer({ status: 502, body: fixture("infiniti/gateway_502.html") }, SENT);
    expect(a.wholeFailure).toBe(true);
    expect(a.results[0]!.message).toMatch(
      /^Infiniti answered HTTP 502 with something that is not the import's JSON answer: <html>/,
    );
  });

  it("a 5xx with JSON", () => {
    const a = interpretAnswer({ status: 503, body: '{"success":false,"summary":"Maintenance"}' }, SENT);
    expect(a.results[1]!.message).toBe("Infiniti answered HTTP 503: Maintenance");
  });

  it("a 401 without JSON", () => {
    const a = interpretAnswer({ status: 401, body: "Unauthorized" }, SENT);
    expect(a.results[0]!.message).toMatch(/refused the credentials \(HTTP 401\)/);
  });

  it("JSON without a success field, and a redirect", () => {
    expect(interpretAnswer({ status: 200, body: '{"ok":1}' }, SENT).results[0]!.message).toMatch(
      /without a 'success' field/,
    );
    const r = interpretAnswer({ status: 302, body: "", location: "https://login.example/sso" }, SENT);
    expect(r.results[0]!.message).toMatch(/HTTP 302, a redirect to https:\/\/login\.example\/sso/);
  });
});
