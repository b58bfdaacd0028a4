import { describe, expect, it } from "vitest";
import { interpretAnswer, mapDetails, messagesOf, type SentRow } from "../../src/infiniti/result.ts";
import { fixture } from "../helpers/fixtures.ts";

const SENT: SentRow[] = [
  { row: 1, username: "zoe", action: "create", password: "Secret-Zoe-1" },
  { row: 2, username: "bob", action: "update" },
  { row: 3, username: "ann", action: "create" },
];

const statuses = (a: ReturnType<typeof interpretAnswer>) =>
  a.results.map((r) => [r.username, r.status, r.message]);

describe("interpretAnswer: the documented shapes", () => {
  it("1. all imported: created/updated from the plan's actions", () => {
    const a = interpretAnswer({ status: 200, body: fixture("infiniti/response_success.json") }, SENT);
    expect(a).toMatchObject({
      success: true,
      summary: "3 users imported (2 created, 1 updated)",
      wholeFailure: false,
    });
    expect(statuses(a)).toEqual([
      ["zoe", "created", "created"],
      ["bob", "updated", "updated"],
      ["ann", "created", "created"],
    ]);
    expect(a.warnings).toEqual([]);
  });

  it("1. with details missing, or an empty array", () => {
    for (const body of [
      '{"success":true,"summary":"3 users imported"}',
      '{"success":true,"summary":"x","details":[]}',
    ]) {
      const a = interpretAnswer({ status: 200, body }, SENT);
      expect(a.results.map((r) => r.status)).toEqual(["created", "updated", "created"]);
    }
  });

  it("1. with per-row created/updated in details, those win over the plan", () => {
    const a = interpretAnswer(
      {
        status: 200,
        body: '{"success":true,"summary":"3 users imported (1 created, 2 updated)","details":{"1":"updated","3":"Created"}}',
      },
      SENT,
    );
    expect(a.results.map((r) => r.status)).toEqual(["updated", "updated", "created"]);
  });

  it("2. refused login: every row failed with Infiniti's message", () => {
    for (const status of [401, 200]) {
      const a = interpretAnswer({ status, body: fixture("infiniti/response_unauthorised.json") }, SENT);
      expect(a.wholeFailure).toBe(true);
      expect(a.success).toBe(false);
      expect(new Set(statuses(a).map((s) => `${s[1]}: ${s[2]}`))).toEqual(
        new Set(["failed: Unauthorised. Check credentials."]),
      );
    }
  });

  it("3. partial failure: rows mapped back to usernames (row 1 = first data row)", () => {
    const a = interpretAnswer({ status: 200, body: fixture("infiniti/response_partial.json") }, SENT);
    expect(a).toMatchObject({ success: false, summary: "2 of 3 users imported", wholeFailure: false });
    expect(statuses(a)).toEqual([
      ["zoe", "created", "created"],
      ["bob", "updated", "updated"],
      ["ann", "failed", "Invalid email address"],
    ]);
    expect(a.results[2]!.row).toBe(3);
    expect(a.warnings).toEqual([]);
  });
});

describe("interpretAnswer: tolerant variants", () => {
  it("accepts 'Row N' keys, arrays of strings, objects with a message, nested errors and username keys", () => {
    const a = interpretAnswer(
      { status: 200, body: fixture("infiniti/response_partial_tolerant.json") },
      SENT,
    );
    expect(statuses(a)).toEqual([
      ["zoe", "failed", "Invalid email address; Graduation year required"],
      ["bob", "failed", "Username already taken by a deleted account; Barcode in use"],
      ["ann", "created", "created"],
    ]);
    // "1 of 4": the summary does not add up with what was sent: warned, not trusted.
    expect(a.warnings).toEqual(["the summary says 1 of 4 imported, but the details account for 1 of 3"]);
  });

  it("accepts details as a list of {row, error} objects", () => {
    const a = interpretAnswer({ status: 200, body: fixture("infiniti/response_partial_list.json") }, SENT);
    expect(statuses(a)[1]).toEqual(["bob", "failed", "Invalid gender"]);
    expect(a.results.filter((r) => r.status === "failed")).toHaveLength(1);
  });

  it("fails every row when a detail cannot be matched to a row", () => {
    const a = interpretAnswer(
      {
        status: 200,
        body: '{"success":false,"summary":"2 of 3 users imported","details":{"7":"Invalid email address"}}',
      },
      SENT,
    );
    expect(a.wholeFailure).toBe(true);
    expect(a.results.every((r) => r.status === "failed")).toBe(true);
    expect(a.results[0]!.message).toMatch(/cannot be matched to a row \(7: Invalid email address\)/);
  });

  it("treats success=false with no details as a whole failure", () => {
    const a = interpretAnswer(
      { status: 200, body: '{"success":false,"summary":"Import is disabled for this school","details":{}}' },
      SENT,
    );
    expect(a.results.map((r) => r.message)).toEqual(Array(3).fill("Import is disabled for this school"));
  });

  it("masks a password Infiniti echoes back", () => {
    const a = interpretAnswer(
      {
        status: 200,
        body: '{"success":false,"summary":"2 of 3 users imported","details":{"1":"Password Secret-Zoe-1 is too weak"}}',
      },
      SENT,
    );
    expect(a.results[0]!.message).toBe("Password ••• is too weak");
  });

  it("flags success=true that still lists a problem, and fails that row", () => {
    const a = interpretAnswer(
      { status: 200, body: '{"success":true,"summary":"3 users imported","details":{"2":["Invalid"]}}' },
      SENT,
    );
    expect(a.results.map((r) => r.status)).toEqual(["created", "failed", "created"]);
    expect(a.warnings[0]).toMatch(/said success but listed problems for 1 rows/);
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

describe("details helpers", () => {
  it("messagesOf flattens strings, arrays and objects", () => {
    expect(messagesOf("x")).toEqual(["x"]);
    expect(messagesOf(["a", { message: "b" }, { error: "c" }, { errors: ["d", { reason: "e" }] }])).toEqual([
      "a",
      "b",
      "c",
      "d",
      "e",
    ]);
    expect(messagesOf(null)).toEqual([]);
  });

  it("mapDetails places row numbers and usernames, and lists what it cannot place", () => {
    const { byRow, unmatched } = mapDetails({ "2": "bad", ANN: "worse", "0": "header?", zed: "who" }, SENT);
    expect([...byRow.entries()].map(([r, d]) => [r, d.messages])).toEqual([
      [2, ["bad"]],
      [3, ["worse"]],
    ]);
    expect(unmatched).toEqual(["0: header?", "zed: who"]);
  });
});
