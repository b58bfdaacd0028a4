/** Issue 19 §4: every config error names the line and column of the key or value at fault. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config.ts";
import { formatProblem, InputError } from "../src/core/errors.ts";

function problems(text: string): string[] {
  try {
    parseConfig(text, "patron-sync.yml");
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).problems.map(formatProblem);
  }
  throw new Error("expected the config to be refused");
}

const CONFIG = [
  "# patron-sync.yml", // 1
  "", // 2
  "plans_dir: plans", // 3
  "", // 4
  "alma:", // 5
  "  patrons: data/alma/patronlist_no_barcode.txt", // 6
  "  barcodes: data/alma/library_barcode_full_list.txt", // 7
  "  region: na", // 8
  "  user_id_type: all_unique", // 9
  "  match_on: primary_id", // 10
  "  barcode_type: BARCODE", // 11
  "  existing_barcode: deactivate", // 12
  "  concurrency: 10", // 13
  "  min_remaining: 5000", // 14
  "  rate_limt: 20", // 15
  "",
].join("\n");

describe("config errors at their own line", () => {
  it("an unknown key is reported at its own line, with the one close key", () => {
    expect(problems(CONFIG)).toEqual([
      "patron-sync.yml:15:3: unknown key 'alma.rate_limt': did you mean 'rate_limit'?",
    ]);
  });

  it("each of several unknown keys at its own line; no guess when no key is close; a missing key at its section", () => {
    const text =
      "infiniti:\n  users: u.csv\n  mod: full\n  colour: red\nauto_apply:\n  alma:\n    max_change: 5\nplan_dir: x\n";
    expect(problems(text)).toEqual([
      "patron-sync.yml:3:3: unknown key 'infiniti.mod': did you mean 'mode'?",
      "patron-sync.yml:4:3: unknown key 'infiniti.colour'",
      "patron-sync.yml:6:3: 'auto_apply.alma.max_changes' is missing: add it under 'auto_apply.alma'",
      "patron-sync.yml:7:5: unknown key 'auto_apply.alma.max_change': did you mean 'max_changes'?",
      "patron-sync.yml:8:1: unknown key 'plan_dir': did you mean 'plans_dir'?",
    ]);
  });

  it("no guess when two keys are equally close", () => {
    // max_lines and max_bytes: 'max_lyes' is two edits from each.
    expect(problems("alma:\n  region: na\n  max_lyes: 5\n")).toEqual([
      "patron-sync.yml:3:3: unknown key 'alma.max_lyes'",
    ]);
  });

  it("a bad value at the value; a bad list item at the item; a missing key at its section", () => {
    const text =
      "alma:\n  region: na\n  rate_limit: 40\nauto_apply:\n  alma:\n    max_changes: 5\n    actions: [add, bogus]\n  infiniti:\n    actions: [create]\n";
    expect(problems(text)).toEqual([
      "patron-sync.yml:3:15: 'alma.rate_limit': Too big: expected number to be <=25",
      expect.stringMatching(/^patron-sync\.yml:7:20: 'auto_apply\.alma\.actions\.1': Invalid option/),
      "patron-sync.yml:8:3: 'auto_apply.infiniti.max_changes' is missing: add it under 'auto_apply.infiniti'",
    ]);
  });

  it("alma.barcode_pattern: an invalid regular expression is a config error at its value", () => {
    expect(problems("alma:\n  region: na\n  barcode_pattern: '^2123400[\\d{7}$'\n")).toEqual([
      "patron-sync.yml:3:20: 'alma.barcode_pattern': not a valid regular expression (Unterminated character class); for example '^2123400\\d{7}$' (2123400 and 7 digits)",
    ]);
    expect(parseConfig("alma:\n  barcode_pattern: '^2123400\\d{7}$'\n", "c.yml").alma?.barcode_pattern).toBe(
      "^2123400\\d{7}$",
    );
  });

  it("a value not among the allowed ones gets 'did you mean' when exactly one is close", () => {
    const text =
      "alma:\n  existing_barcode: deactiavte\nauto_apply:\n  alma: { max_changes: 5, actions: [add, replce] }\n";
    expect(problems(text)).toEqual([
      expect.stringMatching(
        /^patron-sync\.yml:2:21: 'alma\.existing_barcode': Invalid option: .*: did you mean 'deactivate'\?$/,
      ),
      expect.stringMatching(
        /^patron-sync\.yml:4:42: 'auto_apply\.alma\.actions\.1': Invalid option: .*: did you mean 'replace'\?$/,
      ),
    ]);
  });
});
