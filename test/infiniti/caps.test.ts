/**
 * Hostile rosters: control characters in values are refused (file, line, column, exit 2, no call), as
 * the Alma lists refuse them; a roster over infiniti.max_bytes / infiniti.max_lines is refused before
 * it is decoded or parsed.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { formatProblem, InputError } from "../../src/core/errors.ts";
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_LINES } from "../../src/core/textfile.ts";
import { validateInfiniti, validateRoster } from "../../src/infiniti/validate.ts";
import { startInfinitiSimulator } from "../../src/simulators/infiniti.ts";

const FILE = "data/infiniti/users.csv";
const HEAD = "username,givenname,surname,password,enabled,staffmember";

function refused(run: () => unknown): InputError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error("expected the roster to be refused");
}

const dirs: string[] = [];
function workspace(roster: string | Buffer, extra = ""): string {
  const dir = mkdtempSync(join(tmpdir(), "ps-inf-caps-"));
  dirs.push(dir);
  mkdirSync(join(dir, "data", "infiniti"), { recursive: true });
  writeFileSync(join(dir, FILE), roster);
  writeFileSync(
    join(dir, "patron-sync.yml"),
    `infiniti:\n  users: ${FILE}\n  url: https://school.concordinfiniti.example\n${extra}`,
  );
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("control characters in roster values", () => {
  it("refuses NUL, BEL, backspace, ESC, vertical tab, form feed, DEL … with line, column and name, never echoing them", () => {
    const rows = [
      HEAD,
      "ok,Ann,Lee,,y,y",
      "esc,Bob\u001b[31m,Red,,y,y",
      "nul,Cat,Ne\u0000ll,,y,y",
      "bel,Dan,Bell,pw\u0007,y,y",
      "del,Eve,Dee\u007f,,y,y",
      "vt,F\u000bay,Vee,,y,y",
      "ff,Gus,Ff\u000c,,y,y",
      "bs\u0008,Hal,Bee,,y,y",
      "csi,Ivy,\u009b2J,,y,y",
    ];
    const e = refused(() => validateRoster(rows.join("\n") + "\n", FILE));
    const shown = e.problems.map(formatProblem);
    expect(shown).toEqual([
      "data/infiniti/users.csv:3:2: givenname (column 2): the value holds a control character (U+001B, ESC) at character 4; remove it (it is invisible in most editors)",
      "data/infiniti/users.csv:4:3: surname (column 3): the value holds a control character (U+0000, NUL) at character 3; remove it (it is invisible in most editors). Is the file UTF-16 or binary? Save it as 'CSV UTF-8'",
      "data/infiniti/users.csv:5:4: password (column 4): the value holds a control character (U+0007, BEL) at character 3; remove it (it is invisible in most editors)",
      "data/infiniti/users.csv:6:3: surname (column 3): the value holds a control character (U+007F, DEL) at character 4; remove it (it is invisible in most editors)",
      "data/infiniti/users.csv:7:2: givenname (column 2): the value holds a control character (U+000B, vertical tab) at character 2; remove it (it is invisible in most editors)",
      "data/infiniti/users.csv:8:3: surname (column 3): the value holds a control character (U+000C, form feed) at character 3; remove it (it is invisible in most editors)",
      "data/infiniti/users.csv:9:1: username (column 1): the value holds a control character (U+0008, backspace) at character 3; remove it (it is invisible in most editors)",
      "data/infiniti/users.csv:10:3: surname (column 3): the value holds a control character (U+009B, CSI) at character 1; remove it (it is invisible in most editors)",
    ]);
    expect(e.message).not.toMatch(/(?![\t\n\r])\p{Cc}/u);
    expect(e.message).not.toContain("pw"); // the password is never quoted
  });

  it("accepts a tab and a quoted line break, and counts that line break in the line it reports", () => {
    const ok = validateRoster(`${HEAD}\nann,"A\tnn","Lee\r\nJr",,y,y\n`, FILE);
    expect(ok.rows[0]!.values.givenname).toBe("A\tnn");
    const e = refused(() => validateRoster(`${HEAD}\nann,Ann,"Lee\nJr\u001b",,y,y\n`, FILE));
    expect(e.problems.map((p) => [p.line, p.column])).toEqual([[3, 3]]);
  });

  it("a control character in the header is refused alone; other rows' problems are still listed", () => {
    const h = refused(() =>
      validateRoster(`username,given\u0000name,enabled,staffmember\nann,A,y,y\n`, FILE),
    );
    expect(h.problems.map(formatProblem)).toEqual([
      "data/infiniti/users.csv:1:2: column 2: the value holds a control character (U+0000, NUL) at character 6; remove it (it is invisible in most editors). Is the file UTF-16 or binary? Save it as 'CSV UTF-8'",
    ]);
    const both = refused(() => validateRoster(`${HEAD}\nann,A\u001b,L,,y,y\nbob,B,L,,maybe,y\n`, FILE));
    expect(both.problems.map((p) => [p.line, p.column])).toEqual([
      [2, 2],
      [3, 5],
    ]);
  });

  it("the CLI exits 2 naming file, line and column, prints no control character, and calls nobody", async () => {
    const sim = await startInfinitiSimulator({ username: "u", password: "p" });
    try {
      const dir = workspace(`${HEAD}\nann,Ann\u001b]0;pwned\u0007,Lee,,y,y\n`);
      const env = { INFINITI_URL: sim.url, INFINITI_USERNAME: "u", INFINITI_PASSWORD: "p" };
      const r = await cli(["plan"], dir, env);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `${FILE}:2:2: givenname (column 2): the value holds a control character (U+001B, ESC)`,
      );
      expect(r.stderr).not.toContain("\u001b");
      expect(r.stderr).not.toContain("pwned");
      expect(sim.stats().requests).toBe(0);
    } finally {
      await sim.close();
    }
  });
});

describe("a roster that is not UTF-8 (read through core/textfile.ts)", () => {
  it("the CLI exits 2 on a Windows-1252 roster, naming file, line and column, and calls nobody", async () => {
    const sim = await startInfinitiSimulator({ username: "u", password: "p" });
    try {
      const cp1252 = Buffer.concat([
        Buffer.from(`${HEAD}\nann,Ann,Lee,,y,y\nzoe,Zo`),
        Buffer.from([0xeb]),
        Buffer.from(",Hart,,y,y\n"),
      ]);
      const dir = workspace(cp1252);
      const env = { INFINITI_URL: sim.url, INFINITI_USERNAME: "u", INFINITI_PASSWORD: "p" };
      const r = await cli(["plan"], dir, env);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `${FILE}:3:2: givenname (column 2): the value holds a character that is not valid UTF-8 (U+FFFD) at character 3`,
      );
      expect(sim.stats().requests).toBe(0);
    } finally {
      await sim.close();
    }
  });
});

describe("roster caps: infiniti.max_lines and infiniti.max_bytes", () => {
  it("defaults: 2,000,000 lines and 256 MB, and both can be set in the config", async () => {
    expect([DEFAULT_MAX_LINES, DEFAULT_MAX_BYTES]).toEqual([2_000_000, 256 * 1024 * 1024]);
    const dir = workspace(`${HEAD}\n`, "  max_lines: 10\n  max_bytes: 4096\n");
    const { config } = await loadConfig("patron-sync.yml", dir);
    expect(config.infiniti).toMatchObject({ max_lines: 10, max_bytes: 4096 });
    const bad = workspace(`${HEAD}\n`, "  max_lines: 0\n");
    await expect(loadConfig("patron-sync.yml", bad)).rejects.toThrow(/infiniti\.max_lines/);
  });

  it("more lines than max_lines: refused before parsing, naming the cap and the key", async () => {
    const roster = [HEAD, ...Array.from({ length: 5 }, (_, i) => `u${i},G,S,,y,y`)].join("\n");
    const dir = workspace(roster, "  max_lines: 5\n");
    const e = await validateInfiniti(await loadConfig("patron-sync.yml", dir)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect(formatProblem((e as InputError).problems[0]!)).toBe(
      `${FILE}:6: the roster has more than 5 lines, the cap (infiniti.max_lines): refused before reading it. Check that it is the right file; if it is, raise infiniti.max_lines in the config`,
    );
    const fits = workspace(roster, "  max_lines: 6\n");
    expect((await validateInfiniti(await loadConfig("patron-sync.yml", fits))).rows).toHaveLength(5);
  });

  it("the default line cap refuses 2,000,001 lines (a 4 MB file) without parsing them", () => {
    const e = refused(() => validateRoster("a\n".repeat(DEFAULT_MAX_LINES + 1), FILE));
    expect(e.problems[0]!.message).toMatch(/^the roster has more than 2,000,000 lines/);
    expect(() =>
      validateRoster(`${HEAD}\n` + "\n".repeat(DEFAULT_MAX_LINES - 2) + "ann,A,L,,y,y", FILE),
    ).not.toThrow();
  });

  it("a file over max_bytes is refused from its size, before it is read: a sparse 1 GB file", async () => {
    const dir = workspace("");
    const fd = openSync(join(dir, FILE), "w");
    closeSync(fd);
    const { truncateSync } = await import("node:fs");
    truncateSync(join(dir, FILE), 1024 * 1024 * 1024); // sparse: no disk used, 1 GB if read
    const before = process.memoryUsage().rss;
    const e = await validateInfiniti(await loadConfig("patron-sync.yml", dir)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toContain(
      "the roster is 1024 MB (1,073,741,824 bytes), over the cap of 256 MB (infiniti.max_bytes): refused before reading it",
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
    const small = workspace(`${HEAD}\nann,A,L,,y,y\n`, "  max_bytes: 20\n");
    await expect(validateInfiniti(await loadConfig("patron-sync.yml", small))).rejects.toThrow(
      /over the cap of 0\.0 MB \(infiniti\.max_bytes\)/,
    );
  });
});

function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const entry = [
    "--import",
    pathToFileURL(resolve("node_modules/tsx/dist/loader.mjs")).href,
    resolve("src/cli.ts"),
  ];
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [...entry, ...args], {
      cwd,
      env: { PATH: process.env.PATH, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => done({ code, stdout, stderr }));
  });
}
