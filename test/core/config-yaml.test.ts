import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.ts";
import { MAX_ALIAS_COUNT, positionOf } from "../../src/core/config-yaml.ts";
import { InputError } from "../../src/core/errors.ts";

const refused = (text: string, file = "patron-sync.yml") => {
  try {
    parseConfig(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error("expected an InputError");
};

/** Ten anchors, each holding nine references to the one before: 9^9 "lol"s once expanded. */
function billionLaughs(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++) {
    const prev = String.fromCharCode(96 + i);
    const name = String.fromCharCode(97 + i);
    lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
  }
  return `alma:\n  patrons: data/p.txt\n${lines.join("\n")}\n`;
}

describe("patron-sync.yml as YAML", () => {
  it("refuses an alias bomb at once, with exit 2, the file, line and column of the first alias", () => {
    const err = refused(billionLaughs()); // expanded, it would be 9^10 nodes: far beyond any heap
    expect(err.problems).toEqual([
      {
        file: "patron-sync.yml",
        line: 4,
        column: 8,
        message: `not valid YAML: its aliases (*name) expand to more than ${MAX_ALIAS_COUNT} references, as an alias bomb does; write the values out instead of using anchors and aliases`,
      },
    ]);
  });

  it("still reads a config with a few small aliases", () => {
    const c = parseConfig("alma:\n  patrons: &p data/p.txt\n  barcodes: *p\n", "c.yml");
    expect(c.alma).toMatchObject({ patrons: "data/p.txt", barcodes: "data/p.txt" });
  });

  it("an alias to no anchor is a located YAML error", () => {
    const err = refused("alma:\n  patrons: *nowhere\n");
    expect(err.problems[0]).toMatchObject({ file: "patron-sync.yml", line: 2, column: 12 });
    expect(err.problems[0]!.message).toMatch(/^not valid YAML: /);
  });

  it.each([
    ["a tab as indentation", "alma:\n\tpatrons: x\n", 2],
    ["an unclosed flow sequence", "alma:\n  patrons: [a\n", 3],
    ["a duplicate key", "alma:\n  region: na\n  region: eu\n", 3],
    ["two documents", "alma: {}\n---\ninfiniti: {}\n", 2],
  ])("%s: exit 2 with the line", (_what, text, line) => {
    const err = refused(text);
    expect(err.problems[0]).toMatchObject({ file: "patron-sync.yml", line });
    expect(err.problems[0]!.message).toMatch(/^not valid YAML: /);
  });

  it("never quotes the file's text: a .git/config given as the config does not print its token", () => {
    const gitConfig = [
      "[core]",
      "\trepositoryformatversion = 0",
      '[http "https://github.com/"]',
      "\textraheader = AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX3NlY3JldA==",
      "",
    ].join("\n");
    const err = refused(gitConfig, "cfg.yml");
    expect(err.problems.length).toBeGreaterThan(0);
    expect(err.message).not.toContain("eC1hY2Nlc3MtdG9rZW46Z2hzX3NlY3JldA");
    expect(err.message).not.toContain("basic");
    expect(err.message).not.toContain("extraheader");
    for (const p of err.problems) expect(p.line).toBeGreaterThan(0);
  });

  it("quotes an unknown key only when it looks like a key", () => {
    const err = refused('alma:\n  barcode_typ: X\n"token ghp_abc123 = x": 1\n');
    expect(err.message).toContain("unknown key 'alma.barcode_typ'");
    expect(err.message).not.toContain("ghp_abc123");
    expect(err.message).toContain("a key that is not shown");
  });

  it("a config that is not a mapping is located at line 1", () => {
    expect(refused("just some text\n").problems[0]).toMatchObject({ line: 1 });
  });

  it("positionOf counts lines and columns from 1", () => {
    expect(positionOf("ab\ncd\n", 0)).toEqual({ line: 1, column: 1 });
    expect(positionOf("ab\ncd\n", 4)).toEqual({ line: 2, column: 2 });
  });
});
