/**
 * Alma's address check, before the plan's first call and in apply's preflight (the rule is core/url.ts): the words staff see.
 */
import { describe, expect, it } from "vitest";
import { checkAlmaUrl } from "../../src/alma/connection.ts";
import { InputError } from "../../src/core/errors.ts";

function refusal(url: string): InputError {
  try {
    checkAlmaUrl(url);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error(`${url} was not refused`);
}

describe("checkAlmaUrl", () => {
  it("https, or plain http to a loopback simulator, passes", () => {
    for (const url of [
      "https://api-na.hosted.exlibrisgroup.com",
      "http://127.0.0.1:8080",
      "http://localhost:8080",
      "http://[::1]:8080",
    ])
      expect(() => checkAlmaUrl(url), url).not.toThrow();
  });

  it("plain http to another host: ALMA_BASE_URL, and why the key must not travel so", () => {
    const e = refusal("http://api-na.hosted.exlibrisgroup.com");
    expect(e.problems).toEqual([
      {
        file: "ALMA_BASE_URL",
        message:
          "the Alma address must start with https:// (plain http:// only to 127.0.0.1, ::1 or localhost): the API key would travel unencrypted",
      },
    ]);
    expect(refusal("ftp://127.0.0.1/").problems[0]!.message).toMatch(
      /^the Alma address must start with https:\/\//,
    );
  });

  it("not a URL at all", () => {
    expect(refusal("api-na.hosted.exlibrisgroup.com").problems).toEqual([
      { file: "ALMA_BASE_URL", message: "'api-na.hosted.exlibrisgroup.com' is not a valid URL" },
    ]);
  });
});
