/**
 * The roster is read through the text-file layer (core/textfile.ts), as the Alma lists are: the same
 * encodings (UTF-8, UTF-16 with a BOM), BOM, line ends, binary-file check, invalid UTF-8 pointed at where it
 * stands, problem cap and read errors. Each case is checked against what the Alma lists do with the same bytes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { formatProblem, InputError, type InputProblem } from "../../src/core/errors.ts";
import { parsePatronList, readPatronList } from "../../src/alma/inputs.ts";
import { validateInfiniti, validateRoster } from "../../src/infiniti/validate.ts";
import { removeTempDirs, tempDir } from "../helpers/tmp.ts";

afterEach(removeTempDirs);

const FILE = "data/infiniti/users.csv";
const HEAD = "username,givenname,enabled,staffmember";
const ROWS = ["zoe,Zoë,y,y", "bob,Bob,y,y", "ann,Ann,n,y"];

function problems(run: () => unknown): InputProblem[] {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).problems;
  }
  throw new Error("expected the input to be refused");
}

const rows = (r: ReturnType<typeof validateRoster>) =>
  r.rows.map((u) => [u.username, u.line, u.values.givenname]);
const EXPECTED = [
  ["zoe", 2, "Zoë"],
  ["bob", 3, "Bob"],
  ["ann", 4, "Ann"],
];

describe("encodings: what the Alma lists decode, the roster decodes", () => {
  it("a UTF-16 LE roster with a BOM (Excel's Unicode Text), as the Alma lists read one", async () => {
    const text = [HEAD, ...ROWS].join("\r\n") + "\r\n";
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
    expect(rows(validateRoster(le, FILE))).toEqual(EXPECTED);
    // The Alma side reads the same kind of file.
    const dir = tempDir("ps-inf-tf-");
    const list = join(dir, "p.txt");
    writeFileSync(list, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("Zoë1\r\nP2\r\n", "utf16le")]));
    expect((await readPatronList(list, "p.txt")).entries.map((e) => e.id)).toEqual(["Zoë1", "P2"]);
  });

  it("a UTF-16 BE roster with a BOM", () => {
    const le = Buffer.from([HEAD, ...ROWS].join("\n"), "utf16le");
    const be = Buffer.alloc(le.length);
    for (let i = 0; i < le.length; i += 2) [be[i], be[i + 1]] = [le[i + 1]!, le[i]!];
    const r = validateRoster(Buffer.concat([Buffer.from([0xfe, 0xff]), be]), FILE);
    expect(rows(r)).toEqual(EXPECTED);
  });

  it("the SHA-256 is still that of the file's bytes, whatever their encoding", () => {
    const utf8 = Buffer.from([HEAD, ...ROWS].join("\n"));
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from([HEAD, ...ROWS].join("\n"), "utf16le"),
    ]);
    const a = validateRoster(utf8, FILE);
    const b = validateRoster(utf16, FILE);
    expect(b.rows).toEqual(a.rows);
    expect(b.sha256).not.toBe(a.sha256);
  });

  it("UTF-16 without a BOM is refused once, as the Alma lists refuse it, not once per NUL", () => {
    const bare = Buffer.from([HEAD, ...ROWS].join("\n"), "utf16le");
    const list = problems(() => validateRoster(bare, FILE));
    expect(list.map(formatProblem)).toEqual([
      `${FILE}: this looks like UTF-16 or a binary file, not UTF-8 text: save it as 'CSV UTF-8'`,
    ]);
    const alma = problems(() => parsePatronList(bare.toString("utf8"), "p.txt"));
    expect(alma).toHaveLength(1);
    expect(alma[0]!.message).toMatch(/^this looks like UTF-16 or a binary file, not UTF-8 text: save it as /);
  });

  it("a Windows-1252 roster: every value with a byte that is not UTF-8 is refused with its line and column", () => {
    const cp1252 = Buffer.concat([
      Buffer.from(`${HEAD}\nzoe,Zo`),
      Buffer.from([0xeb]), // ë in Windows-1252
      Buffer.from(",y,y\nbob,Bob,y,y\nrene,Ren"),
      Buffer.from([0xe9]), // é
      Buffer.from(",y,y\n"),
    ]);
    const list = problems(() => validateRoster(cp1252, FILE));
    expect(list.map(formatProblem)).toEqual([
      `${FILE}:2:2: givenname (column 2): the value holds a character that is not valid UTF-8 (U+FFFD) at character 3: the file is not UTF-8 text (a spreadsheet saved it in another encoding): save it as 'CSV UTF-8' and commit it again`,
      `${FILE}:4:2: givenname (column 2): the value holds a character that is not valid UTF-8 (U+FFFD) at character 4: the file is not UTF-8 text (a spreadsheet saved it in another encoding): save it as 'CSV UTF-8' and commit it again`,
    ]);
    // The Alma lists point at the same bytes the same way: line and column, not valid UTF-8.
    const alma = problems(() => parsePatronList(Buffer.from([0x5a, 0x6f, 0xeb]).toString("utf8"), "p.txt"));
    expect(alma).toMatchObject([{ line: 1, column: 3, message: expect.stringMatching(/not valid UTF-8/) }]);
  });
});

describe("line ends: CRLF, LF and CR, mixed, each one line end (as the Alma lists split them)", () => {
  it.each([
    ["CRLF, then a stray LF", `${HEAD}\r\nzoe,Zoë,y,y\nbob,Bob,y,y\r\nann,Ann,n,y\r\n`],
    ["LF, then CRLF", `${HEAD}\nzoe,Zoë,y,y\r\nbob,Bob,y,y\nann,Ann,n,y\r\n`],
    ["CR only (classic Mac)", `${HEAD}\rzoe,Zoë,y,y\rbob,Bob,y,y\rann,Ann,n,y\r`],
  ])("%s: the same rows on the same lines", (_, text) => {
    expect(rows(validateRoster(text, FILE))).toEqual(EXPECTED);
    expect(rows(validateRoster(Buffer.from(text), FILE))).toEqual(EXPECTED);
  });

  it("a mixed file names the right line of a bad row", () => {
    const text = `${HEAD}\r\nzoe,Zoë,y,y\nbob,Bob,y,y\r\nann,Ann,maybe,y\n`;
    expect(problems(() => validateRoster(text, FILE))).toMatchObject([{ line: 4, column: 3 }]);
    // The Alma patron list counts the same lines.
    const alma = problems(() => parsePatronList("P1\r\nP2\nP3\r\nP 4\n", "p.txt"));
    expect(alma).toMatchObject([{ line: 4 }]);
  });

  it("a quoted line break of any kind counts as one line, and the value keeps it as LF", () => {
    const r = validateRoster(`${HEAD}\r\nzoe,"Zo\r\në",y,y\nbob,"B\rob",y,y\r\nann,Ann,n,y\n`, FILE);
    expect(r.rows.map((u) => [u.line, u.values.givenname])).toEqual([
      [2, "Zo\në"],
      [4, "B\nob"],
      [6, "Ann"],
    ]);
  });

  it("a CRLF inside a quoted value is one character where a control character's place is counted", () => {
    const list = problems(() => validateRoster(`${HEAD}\r\nzoe,"Le\r\nJr\u001b",y,y\r\n`, FILE));
    expect(list).toMatchObject([{ line: 3, column: 2 }]);
    expect(list[0]!.message).toContain("(U+001B, ESC) at character 6;"); // L e \n J r ESC
  });
});

describe("the problem cap: at most 100 problems listed, the rest summed up, as for the Alma lists", () => {
  it("150 bad rows: 100 listed in line order, then one line for the other 50", () => {
    const text = [HEAD, ...Array.from({ length: 150 }, (_, i) => `u${i},G,maybe,y`)].join("\n");
    const list = problems(() => validateRoster(text, FILE));
    expect(list).toHaveLength(101);
    expect(list[99]).toMatchObject({ line: 101, column: 3 });
    expect(list[100]).toEqual({ file: FILE, message: "… and 50 more problems not listed" });
    const alma = problems(() =>
      parsePatronList(Array.from({ length: 150 }, (_, i) => `id ${i}`).join("\n"), "p.txt"),
    );
    expect(alma).toHaveLength(101);
    expect(alma[100]).toEqual({ file: "p.txt", message: "… and 50 more problems not listed" });
  });

  it("control characters count towards the same cap (no separate cap of 50 any more)", () => {
    const text = [HEAD, ...Array.from({ length: 120 }, (_, i) => `u${i},G\u001b,y,y`)].join("\n");
    const list = problems(() => validateRoster(text, FILE));
    expect(list).toHaveLength(101);
    expect(list.slice(0, 100).every((p) => /control character \(U\+001B, ESC\)/.test(p.message))).toBe(true);
    expect(list[100]).toEqual({ file: FILE, message: "… and 20 more problems not listed" });
  });
});

describe("read errors: the same sentences as for the Alma lists", () => {
  async function config(users: string): Promise<Awaited<ReturnType<typeof loadConfig>>> {
    const dir = tempDir("ps-inf-tf-");
    mkdirSync(join(dir, "rosters"));
    writeFileSync(join(dir, "patron-sync.yml"), `infiniti:\n  users: ${users}\n`);
    return loadConfig("patron-sync.yml", dir);
  }

  it("a missing roster: file not found, with the path looked for", async () => {
    const loaded = await config("rosters/missing.csv");
    const e = await validateInfiniti(loaded).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).problems).toEqual([
      {
        file: "rosters/missing.csv",
        message: `file not found (looked for ${join(loaded.root, "rosters", "missing.csv")})`,
      },
    ]);
  });

  it("a folder given as the roster", async () => {
    await expect(validateInfiniti(await config("rosters"))).rejects.toMatchObject({
      problems: [{ file: "rosters", message: "this is a folder, not a file" }],
    });
  });
});
