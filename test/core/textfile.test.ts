/**
 * The text-file layer both systems read their input files through: caps (with each system's words),
 * decoding, BOM, line ends and the problem cap.
 */
import { describe, expect, it } from "vitest";
import { formatProblem, InputError } from "../../src/core/errors.ts";
import {
  capProblems,
  checkCaps,
  decodeInputBytes,
  MAX_PROBLEMS,
  normalizeLineEnds,
  splitLines,
  stripBom,
} from "../../src/core/textfile.ts";
import { ALMA_CAP_WORDS } from "../../src/alma/list-caps.ts";
import { ROSTER_CAP_WORDS } from "../../src/infiniti/caps.ts";

function refusal(run: () => void): string {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).problems.map(formatProblem).join("\n");
  }
  throw new Error("expected a refusal");
}

describe("checkCaps: one check, each system's words", () => {
  const caps = { maxLines: 3, maxBytes: 64 };
  it("counts line feeds, and a last line without one", () => {
    expect(() => checkCaps(Buffer.from("a\nb\nc\n"), "f", caps, ALMA_CAP_WORDS)).not.toThrow();
    expect(() => checkCaps(Buffer.from("a\nb\nc"), "f", caps, ALMA_CAP_WORDS)).not.toThrow();
    expect(refusal(() => checkCaps(Buffer.from("a\nb\nc\nd"), "p.txt", caps, ALMA_CAP_WORDS))).toBe(
      "p.txt:4: the file has more than 3 lines, the cap (alma.max_lines): refused before reading it. Check that it is the right file; if it is, raise alma.max_lines in the config",
    );
    expect(refusal(() => checkCaps(Buffer.from("a\nb\nc\nd\n"), "r.csv", caps, ROSTER_CAP_WORDS))).toBe(
      "r.csv:4: the roster has more than 3 lines, the cap (infiniti.max_lines): refused before reading it. Check that it is the right file; if it is, raise infiniti.max_lines in the config",
    );
  });

  it("refuses bytes over max_bytes, naming the key of the system", () => {
    const big = Buffer.alloc(65, 0x41);
    expect(refusal(() => checkCaps(big, "p.txt", caps, ALMA_CAP_WORDS))).toBe(
      "p.txt: the file is 0.0 MB (65 bytes), over the cap of 0.0 MB (alma.max_bytes): refused before reading it. Check that it is the right file; if it is, raise alma.max_bytes in the config",
    );
    expect(refusal(() => checkCaps(big, "r.csv", caps, ROSTER_CAP_WORDS))).toMatch(
      /^r\.csv: the roster is 0\.0 MB \(65 bytes\), over the cap of 0\.0 MB \(infiniti\.max_bytes\)/,
    );
  });
});

describe("decoding, BOM and line ends", () => {
  it("UTF-8, UTF-16 LE and BE with a BOM; invalid UTF-8 becomes U+FFFD", () => {
    expect(decodeInputBytes(Buffer.from("Zoë\n"))).toBe("Zoë\n");
    expect(decodeInputBytes(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("Zoë", "utf16le")]))).toBe(
      "Zoë",
    );
    expect(decodeInputBytes(Buffer.from([0xfe, 0xff, 0x00, 0x5a, 0x00, 0xeb]))).toBe("Zë");
    expect(decodeInputBytes(Buffer.from([0x5a, 0xeb, 0x0a]))).toBe("Z\uFFFD\n");
    expect(stripBom(decodeInputBytes(Buffer.from("\uFEFFid\n")))).toBe("id\n");
  });

  it("CRLF, LF and a lone CR are each one line end, in splitLines and normalizeLineEnds alike", () => {
    const text = "\uFEFFa\r\nb\nc\rd";
    expect(splitLines(text).map((l) => [l.n, l.raw])).toEqual([
      [1, "a"],
      [2, "b"],
      [3, "c"],
      [4, "d"],
    ]);
    expect(normalizeLineEnds(stripBom(text))).toBe("a\nb\nc\nd");
    expect(normalizeLineEnds("x\r\r\ny")).toBe("x\n\ny");
  });
});

describe("capProblems", () => {
  it("keeps up to MAX_PROBLEMS and sums up the rest in one problem", () => {
    const list = Array.from({ length: MAX_PROBLEMS + 7 }, (_, i) => ({
      file: "f",
      line: i + 1,
      message: "x",
    }));
    expect(capProblems(list.slice(0, MAX_PROBLEMS), "f")).toHaveLength(MAX_PROBLEMS);
    const capped = capProblems(list, "f");
    expect(capped).toHaveLength(MAX_PROBLEMS + 1);
    expect(capped[MAX_PROBLEMS - 1]).toEqual(list[MAX_PROBLEMS - 1]);
    expect(capped[MAX_PROBLEMS]).toEqual({ file: "f", message: "… and 7 more problems not listed" });
  });
});
