/**
 * Contract tests: the three JSON answers printed in Concord Infiniti's own document ("Non-interactive
 * Patron Import and Update", "Results of Processing"), fed verbatim to the parser. The fixtures are the
 * vendor's literal examples (test/fixtures/infiniti/VENDOR.md), not our simulator's output.
 */
import { describe, expect, it } from "vitest";
import { interpretAnswer, summaryCounts, type SentRow } from "../../src/infiniti/result.ts";
import { fixture } from "../helpers/fixtures.ts";

const vendor = (name: string) => fixture(`infiniti/vendor_${name}.json`);
const outcome = (a: ReturnType<typeof interpretAnswer>) =>
  a.results.map((r) => [r.username, r.status, r.message]);

describe("Infiniti's documented answers, word for word", () => {
  it("partial failure: every row listed; User Updated / User Created import, the other row fails with Infiniti's words", () => {
    // The document's sample for existing users has three rows; row 1 is the first after the header.
    const sent: SentRow[] = [
      { row: 1, username: "jane", action: "update", password: "swordfish" },
      { row: 2, username: "john", action: "update", password: "password1" },
      { row: 3, username: "mhenry1", action: "create" },
    ];
    const a = interpretAnswer({ status: 200, body: vendor("partial") }, sent);
    expect(a.success).toBe(false);
    expect(a.summary).toBe("3 users processed. 1 user created. 1 user updated. 1 user failed.");
    expect(outcome(a)).toEqual([
      ["jane", "updated", "updated"],
      [
        "john",
        "failed",
        "Field (emailAddress) is not a well-formed email address. User failed to import: Field (emailAddress) is not a well-formed email address.",
      ],
      ["mhenry1", "created", "created"],
    ]);
    expect(a.wholeFailure).toBe(false);
    expect(a.warnings).toEqual([]); // the summary's four counts agree with the rows
  });

  it("partial failure: the row's words win over the plan (planned create, Infiniti says User Updated)", () => {
    const sent: SentRow[] = [
      { row: 1, username: "a", action: "create" },
      { row: 2, username: "b", action: "create" },
      { row: 3, username: "c", action: "update" },
    ];
    const a = interpretAnswer({ status: 200, body: vendor("partial") }, sent);
    expect(a.results.map((r) => r.status)).toEqual(["updated", "failed", "created"]);
  });

  it("all imported: no details; every row imported; the summary's counts are checked", () => {
    const sent: SentRow[] = Array.from({ length: 100 }, (_, i) => ({
      row: i + 1,
      username: `u${i + 1}`,
      action: i < 50 ? "create" : "update",
    }));
    const a = interpretAnswer({ status: 200, body: vendor("all_imported") }, sent);
    expect(a).toMatchObject({
      success: true,
      summary: "100 users processed. 50 users created. 50 users updated. 0 users failed.",
      wholeFailure: false,
      warnings: [],
    });
    expect(a.results.filter((r) => r.status === "created")).toHaveLength(50);
    expect(a.results.filter((r) => r.status === "updated")).toHaveLength(50);

    // The same answer to 3 posted rows does not add up: a warning naming each count.
    const three = interpretAnswer({ status: 200, body: vendor("all_imported") }, sent.slice(0, 3));
    expect(three.results.map((r) => r.status)).toEqual(["created", "created", "created"]);
    expect(three.warnings).toEqual([
      "the summary's counts disagree with the rows: processed 100 in the summary, 3 in the rows; created 50 in the summary, 3 in the rows; updated 50 in the summary, 0 in the rows (with no details, each row's created/updated comes from the plan)",
    ]);
  });

  it("refused login: every row failed with Infiniti's words, whatever the HTTP status", () => {
    const sent: SentRow[] = [
      { row: 1, username: "jane", action: "update" },
      { row: 2, username: "john", action: "create" },
    ];
    for (const status of [401, 403, 200]) {
      const a = interpretAnswer({ status, body: vendor("unauthorised") }, sent);
      expect(a).toMatchObject({ success: false, wholeFailure: true });
      expect(outcome(a)).toEqual([
        ["jane", "failed", "Unauthorised. Check credentials."],
        ["john", "failed", "Unauthorised. Check credentials."],
      ]);
    }
  });

  it("reads the summary's four counts, singular and plural", () => {
    expect(summaryCounts("3 users processed. 1 user created. 1 user updated. 1 user failed.")).toEqual({
      processed: 3,
      created: 1,
      updated: 1,
      failed: 1,
    });
    expect(summaryCounts("100 users processed. 50 users created. 50 users updated. 0 users failed.")).toEqual(
      {
        processed: 100,
        created: 50,
        updated: 50,
        failed: 0,
      },
    );
    expect(summaryCounts("1 user processed. 0 users created. 1 user updated. 0 users failed.")).toEqual({
      processed: 1,
      created: 0,
      updated: 1,
      failed: 0,
    });
    expect(summaryCounts("Unauthorised. Check credentials.")).toBeUndefined();
  });
});
