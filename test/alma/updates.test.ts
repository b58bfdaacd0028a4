/** The updates CSV (alma.updates, issue #20 §1–§2): parsed offline, every problem at its file, line and column. */
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.ts";
import { badDate, parseUpdates, suggestName } from "../../src/alma/updates.ts";

const problems = (text: string, idColumn = "primary_id") => {
  try {
    parseUpdates(text, "data/alma/user_updates.csv", idColumn);
  } catch (e) {
    if (e instanceof InputError)
      return e.problems.map((p) => `${p.line ?? "-"}:${p.column ?? "-"} ${p.message}`);
    throw e;
  }
  return [];
};

describe("parseUpdates", () => {
  it("reads the ID and the fields with a value; an empty cell leaves the field alone", () => {
    const list = parseUpdates(
      "primary_id,expiry_date,user_group,status,email\nS1,2027-06-30,,inactive,a@b.edu\nS2,,GRAD,,\n",
      "u.csv",
      "primary_id",
    );
    expect(list.columns).toEqual(["expiry_date", "user_group", "status", "email"]);
    expect(list.byId.get("s1")).toEqual({
      id: "S1",
      line: 2,
      values: { expiry_date: "2027-06-30", status: "INACTIVE", email: "a@b.edu" },
      at: { expiry_date: 4, status: 16, email: 25 },
    });
    expect(list.byId.get("s2")?.values).toEqual({ user_group: "GRAD" });
  });

  it("names users by the match_on identifier when configured", () => {
    const list = parseUpdates("UNIV_ID,purge_date\n900123,2030-01-31\n", "u.csv", "UNIV_ID");
    expect(list.byId.get("900123")?.values).toEqual({ purge_date: "2030-01-31" });
    expect(problems("primary_id,purge_date\n1,2030-01-31\n", "UNIV_ID")).toEqual([
      "1:1 the first column must be the user's ID, 'UNIV_ID' (alma.match_on), not 'primary_id'",
    ]);
  });

  it("refuses an unknown column with a did-you-mean, and a column given twice", () => {
    expect(problems("primary_id,expiry,user_grop,foo,expiry_date,expiry_date\nS1,,,,,\n")).toEqual([
      "1:12 unknown column 'expiry': did you mean 'expiry_date'? The columns that can be set are: user_group, expiry_date, purge_date, status, job_category, campus_code, preferred_language, email",
      "1:19 unknown column 'user_grop': did you mean 'user_group'? The columns that can be set are: user_group, expiry_date, purge_date, status, job_category, campus_code, preferred_language, email",
      "1:29 unknown column 'foo'. The columns that can be set are: user_group, expiry_date, purge_date, status, job_category, campus_code, preferred_language, email",
      "1:45 column 'expiry_date' appears twice (columns 5 and 6); keep one",
    ]);
  });

  it("refuses bad and impossible dates, a bad status and a bad e-mail at their cells", () => {
    expect(
      problems(
        "primary_id,expiry_date,purge_date,status,email\n" +
          "S1,6/30/2027,2027-02-29,gone,x\n" +
          "S2,2027-13-01,46568,ACTIVE,a@b.edu\n" +
          "S3,2027-06-30 00:00:00,2028-02-29,,\n",
      ),
    ).toEqual([
      "2:4 expiry_date: '6/30/2027' is not a date in the form YYYY-MM-DD: it looks reformatted by a spreadsheet; format the column as text and write the date as e.g. 2027-06-30",
      "2:14 purge_date: 2027-02-29 is not a date in the calendar: February 2027 has no day 29",
      "2:25 status: status 'gone' is not ACTIVE or INACTIVE",
      "2:30 email: 'x' is not an e-mail address (name@domain.example)",
      "3:4 expiry_date: 2027-13-01 is not a date in the calendar: there is no month 13",
      "3:15 purge_date: '46568' is not a date in the form YYYY-MM-DD: it looks like a spreadsheet's date serial number; format the column as text and write the date as e.g. 2027-06-30",
      "4:4 expiry_date: '2027-06-30 00:00:00' has a time after the date; write only the date, YYYY-MM-DD",
    ]);
  });

  it("refuses a duplicate user (case-insensitively), an ID in scientific notation, and a row of the wrong width", () => {
    expect(
      problems("primary_id,status\nS1,ACTIVE\ns1,INACTIVE\n2.12340002E+13,ACTIVE\nS3,ACTIVE,x\n"),
    ).toEqual([
      "3:1 user s1 is listed twice (lines 2 and 3); keep one row per user",
      '4:1 the primary_id "2.12340002E+13" is a number in scientific notation, not an identifier: opened in a spreadsheet? format the column as text, and export the list again',
      "5:1 3 fields where the header has 2 (is there a ',' inside a value?)",
    ]);
  });

  it("refuses a header with no field and a file with no users", () => {
    expect(problems("primary_id\nS1\n")).toEqual([
      "1:11 the header names no field to set after 'primary_id': add one or more of user_group, expiry_date, purge_date, status, job_category, campus_code, preferred_language, email",
    ]);
    expect(problems("primary_id,status\n")).toEqual(["-:- the file has no users (only the header)"]);
  });

  it("reads a semicolon-separated file (a spreadsheet in a decimal-comma locale)", () => {
    const list = parseUpdates("primary_id;user_group\nS1;GRAD\n", "u.csv", "primary_id");
    expect(list.byId.get("s1")?.values).toEqual({ user_group: "GRAD" });
  });
});

describe("badDate and suggestName", () => {
  it("accepts real dates, leap days included", () => {
    expect(badDate("2028-02-29")).toBeUndefined();
    expect(badDate("2027-04-31")).toBe("2027-04-31 is not a date in the calendar: April 2027 has no day 31");
  });
  it("suggests only near names", () => {
    expect(suggestName("E-mail", ["email", "status"])).toBe("email");
    expect(suggestName("campus", ["campus_code", "status"])).toBe("campus_code");
    expect(suggestName("zzzzzz", ["email", "status"])).toBeUndefined();
  });
});
