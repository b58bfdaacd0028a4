import { describe, expect, it } from "vitest";
import {
  Budget,
  budgetTable,
  code,
  countsTable,
  md,
  mermaidPie,
  num,
  plural,
} from "../../src/core/markdown.ts";
import { csvForPeople } from "../../src/core/csv.ts";

const WJ = "\u2060";

describe("md: the one escaper for patron data", () => {
  it("breaks @mentions, #references, URL and e-mail autolinks with an invisible word joiner", () => {
    expect(md("@octocat")).toBe(`@${WJ}octocat`);
    expect(md("ping @org/team")).toBe(`ping @${WJ}org/team`);
    expect(md("see #123")).toBe(`see #${WJ}123`);
    expect(md("zoe@school.example")).toBe(`zoe@${WJ}school.example`);
    expect(md("https://evil.example/x")).toBe(`https:${WJ}//evil.example/x`);
    expect(md("WWW.evil.example")).toBe(`WWW${WJ}.evil.example`);
    // What is left has no mention, reference or link a renderer would pick up.
    for (const s of ["@octocat", "#123", "https://x.y", "www.x.y", "a@b.cd"]) {
      expect(md(s)).not.toMatch(/@\w|#\d|:\/\/|www\./i);
    }
    // A # not followed by a digit (a class name) is left alone.
    expect(md("Form #A")).toBe("Form #A");
  });

  it("escapes Markdown links, images, HTML, entities, emphasis and table pipes", () => {
    expect(md("[text](https://x.y)")).toBe(`\\[text\\](https:${WJ}//x.y)`);
    expect(md("![img](u)")).toBe("\\!\\[img\\](u)");
    expect(md("<img src=x>")).toBe("\\<img src=x\\>");
    expect(md("&#64;octocat")).toBe(`\\&#${WJ}64;octocat`);
    expect(md("*bold* `code` ~del~ a|b \\")).toBe("\\*bold\\* \\`code\\` \\~del\\~ a\\|b \\\\");
    expect(md("_x_ and employee_id")).toBe("\\_x\\_ and employee_id");
  });

  it("keeps a cell on one line, without control characters", () => {
    expect(md("a\r\nb\tc\u0007d")).toBe("a b cd");
    expect(md(undefined)).toBe("");
    expect(md(42)).toBe("42");
  });

  it("shows bidirectional controls as their code points, in text and in code spans (issue #17)", () => {
    const name = "Ann\u202Egnp.exe\u202C Lee";
    expect(md(name)).toBe("Ann\\[U+202E\\]gnp.exe\\[U+202C\\] Lee");
    expect(code(name)).toBe("`Ann[U+202E]gnp.exe[U+202C] Lee`");
    const all = [
      "\u202A",
      "\u202B",
      "\u202D",
      "\u2066",
      "\u2067",
      "\u2068",
      "\u2069",
      "\u200E",
      "\u200F",
      "\u061C",
    ];
    const out = md(all.join("x"));
    expect(out).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/);
    expect(out).toContain("\\[U+061C\\]");
    expect(md("Zoë Ünal")).toBe("Zoë Ünal"); // letters of any script are left alone
  });

  it("code spans cannot be closed early or split a table cell", () => {
    expect(code("plans/x")).toBe("`plans/x`");
    expect(code("a`b")).toBe("``a`b``");
    expect(code("`x")).toBe("`` `x ``");
    expect(code("a|b")).toBe("`a\\|b`");
  });
});

describe("numbers, plural and the counts table", () => {
  it("uses thousands separators", () => {
    expect(num(4071)).toBe("4,071");
    expect(plural(1, "user")).toBe("1 user");
    expect(plural(1200, "user")).toBe("1,200 users");
    expect(plural(2, "entry", "entries")).toBe("2 entries");
  });

  it("lists known keys in order, then the others, without zeros", () => {
    const t = countsTable({ b: 1200, x: 3, a: 0, c: 2 }, ["a", "b", "c"], { b: "bee" }, "Action", "Users");
    expect(t.split("\n")).toEqual([
      "| Action | Users | Meaning |",
      "|---|--:|---|",
      "| `b` | 1,200 | bee |",
      "| `c` | 2 |  |",
      "| `x` | 3 |  |",
      "",
    ]);
    expect(countsTable({}, [], {})).toBe("_Nothing to report._\n");
  });

  it("draws a Mermaid pie of the non-empty slices", () => {
    expect(
      mermaidPie("Actions", [
        ["add", 3],
        ['say "hi"', 1],
        ["none", 0],
      ]),
    ).toBe('```mermaid\npie showData title Actions\n    "add" : 3\n    "say \'hi\'" : 1\n```\n');
  });
});

describe("budgetTable", () => {
  it("adds rows while they fit, keeping the reserve, and counts the rest", () => {
    const b = new Budget(200);
    const rows = Array.from({ length: 50 }, (_, i) => `| row ${i} |`);
    const t = budgetTable(["Row"], rows, b, 50);
    expect(t.shown).toBeGreaterThan(5);
    expect(t.shown + t.omitted).toBe(50);
    expect(t.lines.slice(0, 2)).toEqual(["| Row |", "|---|"]);
    expect(t.lines.join("\n").length).toBeLessThanOrEqual(150);
    expect(b.used).toBeLessThanOrEqual(150);
  });

  it("shows no header when not one row fits", () => {
    const b = new Budget(10);
    expect(budgetTable(["Row"], ["| a long row |"], b, 0)).toEqual({ lines: [], shown: 0, omitted: 1 });
  });
});

describe("csvForPeople", () => {
  it("neutralises cells a spreadsheet would run as a formula", () => {
    const csv = csvForPeople(
      ["id", "name"],
      [
        ['=HYPERLINK("x")', "+1"],
        ["-2", "@SUM(A1)"],
        ["\tx", "\rcr"],
        ["plain", "a=b"],
      ],
    );
    const lines = csv.split("\n");
    expect(lines[0]).toBe("id,name");
    expect(lines[1]).toBe('"\'=HYPERLINK(""x"")",\'+1');
    expect(lines[2]).toBe("'-2,'@SUM(A1)");
    expect(lines[3]).toMatch(/^'\tx,"?'\rcr"?$/);
    expect(lines.at(-2)).toBe("plain,a=b");
  });
});
