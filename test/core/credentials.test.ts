/**
 * Credentials quoted in an error text are redacted, the scheme kept: after a header name, and after
 * Basic, Bearer and apikey anywhere (issue #17: the base64 after "Basic" stayed).
 */
import { describe, expect, it } from "vitest";
import { redactCredentials } from "../../src/core/credentials.ts";

describe("redactCredentials", () => {
  it("redacts the value after an authorization header name, with or without a scheme", () => {
    expect(redactCredentials("proxy-authorization: Basic YWxpY2U6cHIweHktcGFzcw== next")).toBe(
      "proxy-authorization: Basic … next",
    );
    expect(redactCredentials('Authorization="apikey l7xx1234abcd"')).toBe('Authorization="apikey …"');
    expect(redactCredentials("x-api-key: s3cr3t-value")).toBe("x-api-key: …");
    expect(redactCredentials("?apikey=l7xxabc&limit=10")).toBe("?apikey=…&limit=10");
  });

  it("redacts what follows Basic, Bearer or apikey anywhere, when it looks like a credential", () => {
    expect(redactCredentials("sent Basic YWxpY2U6cHIweHktcGFzcw== to it")).toBe("sent Basic … to it");
    expect(redactCredentials("token was Bearer eyJhbGciOiJIUzI1NiJ9.e30.x")).toBe("token was Bearer …");
    expect(redactCredentials("used apikey l7xx0123456789abcdef")).toBe("used apikey …");
    // Words are not credentials.
    expect(redactCredentials("Basic information is missing")).toBe("Basic information is missing");
  });
});
