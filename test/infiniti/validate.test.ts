import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { formatProblem, InputError, type InputProblem } from "../../src/core/errors.ts";
import { editDistance, suggestColumn, runInColumn } from "../../src/infiniti/columns.ts";
import { validateInfiniti, validateRoster } from "../../src/infiniti/validate.ts";
import { fixture } from "../helpers/fixtures.ts";
import { removeTempDirs, tempDir } from "../helpers/tmp.ts";

afterEach(removeTempDirs);

const FILE = "data/infiniti/users.csv";
const HEAD =
  "username,givenname,emailaddress,graduationyear,librarybarcode,gender,password,enabled,staffmember";

function bytes(name: string): Buffer {
  return readFileSync(fileURLToPath(new URL(`../fixtures/infiniti/${name}`, import.meta.url)));
}

/** The problems of an invalid roster (fails the test if it is valid). */
function problems(text: string | Buffer): InputProblem[] {
  try {
    validateRoster(text, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).problems;
  }
  throw new Error("expected the roster to be refused");
}

const messages = (text: string | Buffer) => problems(text).map(formatProblem);

describe("validateRoster: accepted input", () => {
  it("accepts a UTF-8 BOM, CRLF, quoted commas and line breaks, non-ASCII names, any-case headers", () => {
    const crlf = Buffer.from(bytes("roster_bom.csv").toString("utf8").replace(/\n/g, "\r\n"));
    expect(crlf.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const r = validateRoster(crlf, FILE);
    expect(r.header).toEqual([
      "username",
      "givenname",
      "surname",
      "emailaddress",
      "graduationyear",
      "librarybarcode",
      "gender",
      "password",
      "enabled",
      "staffmember",
    ]);
    expect(r.rows.map((u) => [u.username, u.line])).toEqual([
      ["zoe.h", 2],
      ["lukasz.n", 3],
      ["an.nguyen", 4],
      ["r.fair", 7], // the quoted line break makes an.nguyen's record two lines, then a blank line
    ]);
    const [zoe, lukasz, an, rachel] = r.rows;
    expect(zoe!.values.givenname).toBe("Zoë");
    expect(zoe!.values.surname).toBe("Hartley, Jr.");
    expect(zoe!.values.gender).toBe("F"); // normalised
    expect(zoe!.values.enabled).toBe("y");
    expect(zoe!.values.staffmember).toBe("n");
    expect(lukasz!.values.givenname).toBe("Łukasz");
    expect(lukasz!.values.enabled).toBe("y");
    expect(an!.values.surname).toBe("Nguyễn\nThị"); // CRLF inside the value becomes LF
    expect(rachel!.values.staffmember).toBe("y");
    expect(rachel!.values.graduationyear).toBe(""); // staff need no graduation year
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("accepts the repository's sample roster", () => {
    const text = readFileSync(fileURLToPath(new URL("../../data/infiniti/users.csv", import.meta.url)));
    const r = validateRoster(text, FILE);
    expect(r.rows.length).toBeGreaterThanOrEqual(10);
    expect(r.rows.some((u) => u.values.staffmember === "y" && u.values.graduationyear === "")).toBe(true);
    expect(r.rows.some((u) => /[^ -~]/.test(u.values.givenname ?? ""))).toBe(true);
  });

  it("accepts every spelling of yes and no, in any case", () => {
    const rows = ["y", "YES", "True", "1", "n", "No", "FALSE", "0"].map((b, i) => `u${i},${b},y`);
    const r = validateRoster(["username,enabled,staffmember", ...rows].join("\n"), FILE);
    expect(r.rows.map((u) => u.values.enabled)).toEqual(["y", "y", "y", "y", "n", "n", "n", "n"]);
  });

  it("reads the file named in the config, relative to the config's folder", async () => {
    const dir = tempDir("ps-inf-v-");
    mkdirSync(join(dir, "rosters"));
    writeFileSync(join(dir, "rosters", "r.csv"), "username,enabled,staffmember\nzoe,y,y\n");
    writeFileSync(join(dir, "patron-sync.yml"), "infiniti:\n  users: rosters/r.csv\n");
    const v = await validateInfiniti(await loadConfig("patron-sync.yml", dir));
    expect(v.rows.map((r) => r.username)).toEqual(["zoe"]);
    expect(v.file).toBe("rosters/r.csv");
    writeFileSync(join(dir, "patron-sync.yml"), "infiniti:\n  users: rosters/missing.csv\n");
    await expect(validateInfiniti(await loadConfig("patron-sync.yml", dir))).rejects.toThrow(
      /rosters\/missing\.csv: file not found \(looked for /,
    );
  });
});

describe("validateRoster: the vendor's malformed sample", () => {
  it("is refused, naming line 1 and the header that runs into the first row", () => {
    const list = problems(bytes("vendor_sample.csv"));
    const runIn = list.find((p) => /runs into the first row/.test(p.message));
    expect(runIn).toMatchObject({ file: FILE, line: 1, column: 11 });
    expect(runIn!.message).toContain("line 1 has 21 fields but the rows below it have 11");
    expect(runIn!.message).toContain("'staffmemberjsmith'");
    expect(runIn!.message).toContain("'staffmember' followed by 'jsmith'");
  });

  it("also names its unknown columns with the nearest known name, and checks the rows below", () => {
    const list = messages(bytes("vendor_sample.csv"));
    expect(list).toContainEqual(
      expect.stringMatching(
        /^data\/infiniti\/users\.csv:1:3: unknown column 'middleinitialname': did you mean 'middlename'\?/,
      ),
    );
    expect(list).toContainEqual(
      expect.stringMatching(/^data\/infiniti\/users\.csv:1:8: unknown column 'homeroom'/),
    );
    expect(list.find((m) => m.includes("'homeroom'"))).not.toContain("did you mean");
    // The rows are still checked against the real (cut short) header: no field-count noise.
    expect(list.some((m) => /has \d+ fields but the header/.test(m))).toBe(false);
    expect(list).toHaveLength(3);
  });
});

describe("validateRoster: header rules", () => {
  it("requires username, enabled and staffmember", () => {
    const list = messages("username,givenname\nzoe,Zoë\n");
    expect(list).toContain(
      "data/infiniti/users.csv:1: the required column 'enabled' is missing (the header must have username, enabled, staffmember)",
    );
    expect(list.some((m) => m.includes("'staffmember' is missing"))).toBe(true);
  });

  it("refuses a duplicate column, case-insensitively", () => {
    const list = problems("username,Enabled,staffmember,ENABLED\nzoe,y,y,y\n");
    expect(list).toContainEqual(
      expect.objectContaining({
        line: 1,
        column: 4,
        message: "column 'enabled' appears twice (columns 2 and 4); keep one",
      }),
    );
  });

  it("suggests the nearest column for a misspelling", () => {
    expect(suggestColumn("middleinitialname")).toBe("middlename");
    expect(suggestColumn("Given Name")).toBe("givenname");
    expect(suggestColumn("email")).toBe("emailaddress");
    expect(suggestColumn("staffmembr")).toBe("staffmember");
    expect(suggestColumn("homeroom")).toBeUndefined();
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(runInColumn("staffmemberjsmith")).toEqual({ column: "staffmember", rest: "jsmith" });
    expect(runInColumn("staffmember")).toBeUndefined();
    const list = messages("username,e-mail address,enabled,staffmember\nzoe,z@x.example,y,y\n");
    expect(list[0]).toMatch(/:1:2: unknown column 'e-mail address': did you mean 'emailaddress'\?/);
  });

  it("says when line 1 has more fields than the rows, and checks every row's count", () => {
    const list = messages("username,givenname,surname,enabled,staffmember\nzoe,Zoë,y,y\nbob,Bob,y,y\n");
    expect(list).toEqual([
      "data/infiniti/users.csv:1: line 1 (the header) has 5 fields but most rows have 4: a column name too many, or the header runs into the first row?",
      "data/infiniti/users.csv:2: line 2 has 4 fields but the header has 5",
      "data/infiniti/users.csv:3: line 3 has 4 fields but the header has 5",
    ]);
  });

  it("treats a longer name as a misspelling, not a run-in header, when the counts agree", () => {
    const list = messages("usernames,enabled,staffmember\nzoe,y,y\n");
    expect(list).toContainEqual(
      expect.stringMatching(/:1:1: unknown column 'usernames': did you mean 'username'\?/),
    );
    expect(list).toContainEqual(expect.stringMatching(/the required column 'username' is missing/));
    expect(list.join("\n")).not.toMatch(/runs into/);
  });

  it("refuses a header column with no name", () => {
    const list = problems("username,enabled,staffmember,\nzoe,y,y,\n");
    expect(list[0]).toMatchObject({ line: 1, column: 4 });
    expect(list[0]!.message).toMatch(/has no name/);
  });

  it("refuses an empty file and a roster with no users", () => {
    expect(messages("")).toEqual([
      "data/infiniti/users.csv: the roster is empty: it needs a header line and one line per user",
    ]);
    expect(messages("username,enabled,staffmember\n\n")[0]).toMatch(
      /:1: the roster has a header but no users/,
    );
  });
});

describe("validateRoster: row rules", () => {
  it("lists every problem with file, line, column and value", () => {
    const list = messages(fixture("infiniti/invalid_rows.csv"));
    expect(list).toEqual([
      "data/infiniti/users.csv:2:3: emailaddress (column 3): 'amy@school' is not a well-formed email address",
      "data/infiniti/users.csv:2:8: enabled (column 8): 'maybe' is not a yes/no value: use y or n (also accepted: yes/no, true/false, 1/0)",
      "data/infiniti/users.csv:3:1: username (column 1): the username is blank; every user needs one",
      "data/infiniti/users.csv:4:1: username (column 1): username 'AMY' is already used on line 2",
      "data/infiniti/users.csv:4:4: graduationyear (column 4): '27' is not a four-digit year such as 2031",
      "data/infiniti/users.csv:4:5: librarybarcode (column 5): library barcode 'b1' is already used on line 2",
      "data/infiniti/users.csv:4:6: gender (column 6): 'X' is not M, F or blank",
      "data/infiniti/users.csv:5:4: graduationyear (column 4): the graduation year is blank; it is required for students (staffmember n)",
      "data/infiniti/users.csv:6: line 6 has 7 fields but the header has 9",
      "data/infiniti/users.csv:7: line 7 has 10 fields but the header has 9 (an unquoted comma in a value? quote the value)",
    ]);
  });

  it("never shows a password value", () => {
    const text = fixture("infiniti/invalid_rows.csv");
    const thrown = (() => {
      try {
        validateRoster(text, FILE);
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    })();
    expect(thrown).not.toContain("Hunter22!");
    expect(thrown).not.toContain("Pa55word");
    // A password is never quoted back, even in a field-count message of its row.
    const bad = messages(`username,password,enabled,staffmember\nzoe,Secret-99,maybe,y\n`);
    expect(bad.join("\n")).not.toContain("Secret-99");
  });

  it("requires a graduation year column when there are students", () => {
    const list = messages("username,enabled,staffmember\nzoe,y,n\nbob,y,y\nann,y,no\n");
    expect(list).toEqual([
      "data/infiniti/users.csv:1: there is no 'graduationyear' column but 2 users are students (staffmember n), who need one (the first on line 2)",
    ]);
  });

  it("accepts blank gender and email, and M/F in either case", () => {
    const r = validateRoster(`${HEAD}\nzoe,Zoë,,2027,,m,,y,n\nbob,Bob,,,,,,y,y\n`, FILE);
    expect(r.rows.map((u) => u.values.gender)).toEqual(["M", ""]);
  });

  it("refuses malformed email addresses", () => {
    for (const bad of ["plain", "a@b", "a b@c.example", "a@@b.example", "a@b..example", "@b.example"]) {
      const list = messages(`username,emailaddress,enabled,staffmember\nzoe,"${bad}",y,y\n`);
      expect(list, bad).toEqual([
        `data/infiniti/users.csv:2:2: emailaddress (column 2): '${bad}' is not a well-formed email address`,
      ]);
    }
  });

  it("reports an unterminated quote with the line where its record starts", () => {
    const list = problems(fixture("infiniti/unterminated.csv"));
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ file: FILE, line: 3 });
    expect(list[0]!.message).toMatch(/unterminated quote/);
  });

  it("reports every stray quote, not just the first", () => {
    const list = problems(
      'username,givenname,enabled,staffmember\nzoe,Zo"e,y,y\nbob,Bob,y,y\nann,An"n,y,y\n',
    );
    expect(list.map((p) => p.line)).toEqual([2, 4]);
    expect(list[0]!.message).toMatch(/not valid CSV: a quote appears inside an unquoted field/);
  });

  it("refuses a file that is not UTF-8, naming the line", () => {
    const latin1 = Buffer.concat([
      Buffer.from("username,givenname,enabled,staffmember\nzoe,Zo"),
      Buffer.from([0xeb]),
      Buffer.from(",y,y\n"),
    ]);
    const list = problems(latin1);
    expect(list[0]).toMatchObject({ line: 2 });
    expect(list[0]!.message).toMatch(/is not UTF-8/);
  });

  // The time it takes is a benchmark figure (npm run bench), not a test: this checks only the result.
  it("validates a 100,000-row roster and reports a bad row at the end with its line", () => {
    const lines = [HEAD];
    for (let i = 0; i < 100_000; i++)
      lines.push(
        `user${i},"Given, ${i}",user${i}@school.example,${2026 + (i % 6)},B${i},${i % 2 ? "M" : "F"},,y,n`,
      );
    const text = lines.join("\r\n") + "\r\n";
    expect(validateRoster(text, FILE).rows).toHaveLength(100_000);
    expect(() => validateRoster(text + "user5,x,y@school.example,2027,B-new,F,,y,n\r\n", FILE)).toThrow(
      /:100002:.*user5/,
    );
  });
});
