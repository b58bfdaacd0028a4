/**
 * One masking step for everything Infiniti echoes: the admin password, the Basic header (and its
 * base64), and every posted row's password never reach results.csv/json/md, the log or an error,
 * even when the echoed text is shortened through the middle of a password.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { authorizationSecrets, echoMask } from "../../src/infiniti/mask.ts";
import { interpretAnswer, type SentRow } from "../../src/infiniti/result.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { runApply, runPlan } from "../../src/run.ts";
import { startInfinitiSimulator, type InfinitiSimulator } from "../../src/simulators/infiniti.ts";

const ADMIN = "autoimport";
const ADMIN_PASS = "Adm1n-Pa55-7781";
const AUTH = `Basic ${Buffer.from(`${ADMIN}:${ADMIN_PASS}`).toString("base64")}`;
const BASE64 = AUTH.slice("Basic ".length);
const ROW_PASS = "Zoe-Secret-4242";
const SECRETS = [ADMIN_PASS, ...authorizationSecrets(AUTH)];
const SENT: SentRow[] = [
  { row: 1, username: "zoe", action: "create", password: ROW_PASS },
  { row: 2, username: "bob", action: "update", password: "ab" },
];

/** No secret, and no 5-character piece of one, anywhere in `text`. */
function expectClean(text: string): void {
  for (const secret of [ADMIN_PASS, BASE64, ROW_PASS]) {
    for (let i = 0; i + 5 <= secret.length; i++) expect(text).not.toContain(secret.slice(i, i + 5));
  }
}

describe("echoMask", () => {
  it("masks each secret in its plain, JSON-escaped, URL-encoded and HTML-escaped forms, longest first", () => {
    const mask = echoMask(['p"w<&>/ 1', "pw", undefined, ""]);
    expect(mask('a p"w<&>/ 1 b')).toBe("a ••• b");
    expect(mask('a p\\"w<&>/ 1 b')).toBe("a ••• b");
    expect(mask("a p%22w%3C%26%3E%2F%201 b")).toBe("a ••• b");
    expect(mask("a p&quot;w&lt;&amp;&gt;/ 1 b")).toBe("a ••• b");
    expect(mask("pwd")).toBe("•••d");
    expect(authorizationSecrets(AUTH)).toEqual([AUTH, BASE64]);
  });
});

describe("echoMask: CSV-quoted and HTML-entity forms, mixed (issue #17)", () => {
  it("masks &#39; &#x27; &apos; &quot; &#34; \\u0027 and a CSV-doubled quote, and leaves other text alone", () => {
    const secret = `O'Neil"s pw`;
    const mask = echoMask([secret]);
    for (const form of [
      "O&#39;Neil&quot;s pw",
      "O&#x27;Neil&#34;s&#32;pw",
      "O&apos;Neil&#x22;s pw",
      'O\\u0027Neil\\"s pw',
      `O'Neil""s pw`,
      "O%27Neil%22s+pw",
    ])
      expect(mask(`[${form}]`)).toBe("[•••]");
    expect(mask("O'Neil's pw")).toBe("O'Neil's pw");
  });
});

describe("interpretAnswer masks before it shortens", () => {
  it("a row's password echoed in its details message", () => {
    const a = interpretAnswer(
      {
        status: 200,
        body: JSON.stringify({
          success: false,
          summary: `2 users processed. 0 users created. 1 user updated. 1 user failed. (${ADMIN_PASS})`,
          details: { "1": `Password ${ROW_PASS} is too weak. User failed to import.`, "2": "User Updated" },
        }),
      },
      SENT,
      SECRETS,
    );
    expect(a.results[0]!.message).toBe("Password ••• is too weak. User failed to import.");
    expect(a.summary).toBe("2 users processed. 0 users created. 1 user updated. 1 user failed. (•••)");
    expectClean(JSON.stringify(a));
  });

  it("an error page cut at 200 characters through the middle of a password", () => {
    for (const secret of [ADMIN_PASS, AUTH, BASE64, ROW_PASS]) {
      const body = `<html>${"x".repeat(190)}${secret}${"y".repeat(300)}</html>`;
      const a = interpretAnswer({ status: 502, body }, SENT, SECRETS);
      expect(a.results[0]!.message).toMatch(/HTTP 502 .*x•••y+…$/);
      expectClean(JSON.stringify(a));
    }
  });

  it("unmatched details, a redirect's Location, and a 2-character row password", () => {
    const unmatched = interpretAnswer(
      {
        status: 200,
        body: JSON.stringify({
          success: false,
          summary: "s",
          details: { [ROW_PASS]: `${"z".repeat(195)}${AUTH}` },
        }),
      },
      SENT,
      SECRETS,
    );
    expectClean(JSON.stringify(unmatched));
    const redirect = interpretAnswer(
      { status: 302, body: "", location: `https://x.example/?p=${encodeURIComponent(ADMIN_PASS)}` },
      SENT,
      SECRETS,
    );
    expectClean(JSON.stringify(redirect));
    const short = interpretAnswer(
      { status: 200, body: '{"success":false,"summary":"s","details":{"1":"User Created","2":"pw ab bad"}}' },
      SENT,
      SECRETS,
    );
    expect(short.results[1]!.message).toBe("pw ••• bad");
  });
});

describe("apply: an echoed password reaches no file, log line or error", () => {
  let sim: InfinitiSimulator;
  let dir: string;
  beforeEach(async () => {
    sim = await startInfinitiSimulator({ username: ADMIN, password: ADMIN_PASS });
    dir = mkdtempSync(join(tmpdir(), "ps-inf-mask-"));
    mkdirSync(join(dir, "data", "infiniti"), { recursive: true });
    writeFileSync(
      join(dir, "data", "infiniti", "users.csv"),
      `username,password,enabled,staffmember\nzoe,${ROW_PASS},y,y\nbob,,y,y\n`,
    );
    writeFileSync(join(dir, "patron-sync.yml"), "infiniti:\n  url: https://school.concordinfiniti.example\n");
  });
  afterEach(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("in a details message, the summary and an error body, long enough to be shortened", async () => {
    const env = { INFINITI_URL: sim.url, INFINITI_USERNAME: ADMIN, INFINITI_PASSWORD: ADMIN_PASS };
    const log = memoryLogger();
    const p = await runPlan({ cwd: dir, env, log, out: "plans/p1" });
    sim.setReject((row) =>
      row.username === "zoe"
        ? `Password ${row.password} rejected for ${ADMIN}:${ADMIN_PASS} (${AUTH})${"!".repeat(300)}${row.password}`
        : undefined,
    );
    const a = await runApply({ cwd: dir, env, log, planDir: p.planDir });
    expect(a.failed).toBe(1);
    expect(a.sections[0]!.failures[0]!.message).toMatch(/^Password ••• rejected for autoimport:••• \(•••\)/);
    const files = ["results.csv", "results.json"].map((f) =>
      readFileSync(join(p.planDir, "infiniti", f), "utf8"),
    );
    const everything = [
      ...files,
      readFileSync(join(p.planDir, "results.md"), "utf8"),
      a.sections[0]!.markdown,
      JSON.stringify(a),
      log.lines.join("\n"),
    ].join("\n");
    expect(everything).toContain("Password •••");
    expectClean(everything);

    // A gateway that echoes the request headers back: the answer is shortened, the secrets never show.
    const p2 = await runPlan({ cwd: dir, env, log, out: "plans/p2" });
    sim.queueResponse({
      status: 500,
      body: `<pre>${"h".repeat(150)}Authorization: ${AUTH}\n${ROW_PASS}${"t".repeat(100)}</pre>`,
      contentType: "text/html",
    });
    const b = await runApply({ cwd: dir, env, log, planDir: p2.planDir });
    expect(b.sections[0]!.failures[0]!.message).toMatch(/^Infiniti answered HTTP 500/);
    const again = [
      readFileSync(join(p2.planDir, "infiniti", "results.json"), "utf8"),
      readFileSync(join(p2.planDir, "infiniti", "results.csv"), "utf8"),
      JSON.stringify(b),
      log.lines.join("\n"),
    ].join("\n");
    expect(again).toContain("•••");
    expectClean(again);
  });

  it("passwords with quotes echoed CSV-quoted or HTML-escaped reach no results file", async () => {
    const admin = `Adm'n"Pa55-91`;
    const row = `Zo'e"Pass-77`;
    await sim.close();
    sim = await startInfinitiSimulator({ username: ADMIN, password: admin });
    writeFileSync(
      join(dir, "data", "infiniti", "users.csv"),
      `username,password,enabled,staffmember\nzoe,"${row.replace(/"/g, '""')}",y,y\n`,
    );
    const env = { INFINITI_URL: sim.url, INFINITI_USERNAME: ADMIN, INFINITI_PASSWORD: admin };
    const log = memoryLogger();
    const p = await runPlan({ cwd: dir, env, log, out: "plans/p1" });
    const html = (t: string) => t.replace(/&/g, "&amp;").replace(/'/g, "&#39;").replace(/"/g, "&quot;");
    sim.setReject((r) =>
      r.username === "zoe"
        ? `Row "zoe","${(r.password ?? "").replace(/"/g, '""')}",y,y refused; admin ${html(admin)}; ${html(r.password ?? "")}`
        : undefined,
    );
    const a = await runApply({ cwd: dir, env, log, planDir: p.planDir });
    expect(a.failed).toBe(1);
    expect(a.sections[0]!.failures[0]!.message).toMatch(/^Row "zoe","•••",y,y refused; admin •••; •••/);
    const everything = [
      ...["results.csv", "results.json"].map((f) => readFileSync(join(p.planDir, "infiniti", f), "utf8")),
      readFileSync(join(p.planDir, "results.md"), "utf8"),
      JSON.stringify(a),
      log.lines.join("\n"),
    ].join("\n");
    for (const piece of ["Pa55-91", "Pass-77", "Adm", "Zo&#39;e", "Zo'e"])
      expect(everything).not.toContain(piece);
  });
});
