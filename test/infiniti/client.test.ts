/**
 * Infiniti's import URL (the https rule is core/url.ts): what passes, and the words staff see.
 */
import { describe, expect, it } from "vitest";
import type { InfinitiConfig } from "../../src/config.ts";
import { InputError } from "../../src/core/errors.ts";
import { importUrl } from "../../src/infiniti/client.ts";

const cfg = { url: "https://yourschool.concordinfiniti.com" } as InfinitiConfig;

function refusal(url: string): InputError {
  try {
    importUrl(cfg, { url: url }, "patron-sync.yml");
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error(`${url} was not refused`);
}

describe("importUrl", () => {
  it("https anywhere, plain http only to loopback; the import path added once", () => {
    expect(importUrl(cfg, { url: "" }, "patron-sync.yml")).toBe(
      "https://yourschool.concordinfiniti.com/api/import/users",
    );
    expect(importUrl(cfg, { url: "http://127.0.0.1:9000/api/import/users/" }, "x")).toBe(
      "http://127.0.0.1:9000/api/import/users",
    );
    expect(importUrl(cfg, { url: "http://[::1]:9000" }, "x")).toBe("http://[::1]:9000/api/import/users");
  });

  it("plain http to another host names the scheme and why the password must not travel so", () => {
    expect(refusal("http://school.concordinfiniti.example").problems).toEqual([
      {
        file: "INFINITI_URL",
        message:
          "the Infiniti URL must start with https:// (plain http:// is allowed only to 127.0.0.1, ::1 or localhost): the password would travel unencrypted",
      },
    ]);
    expect(refusal("ftp://127.0.0.1/").problems[0]!.message).toContain("(plain ftp:// is allowed only to");
  });

  it("a user name or password in the URL is refused before the scheme is looked at", () => {
    expect(refusal("http://u:p@school.example").problems[0]!.message).toBe(
      "the Infiniti URL must not hold a user name or password: give them in INFINITI_USERNAME and INFINITI_PASSWORD",
    );
  });
});
