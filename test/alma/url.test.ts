import { describe, expect, it } from "vitest";
import { UnsafeUserIdError, userUrl } from "../../src/alma/url.ts";

describe("userUrl: the ID is always exactly one path segment", () => {
  it("encodes every character that could change the path or the query", () => {
    for (const id of ["a/b", "a\\b", "a?view=brief", "a#x", "%2e%2e", "a\u0000b", "a b", "ç"]) {
      const url = new URL(userUrl("https://api-eu.example/", id, { view: "full" }));
      expect(url.pathname.split("/")).toHaveLength(5);
      expect(decodeURIComponent(url.pathname.split("/")[4]!)).toBe(id);
      expect(url.search).toBe("?view=full");
      expect(url.hash).toBe("");
    }
  });
  it("keeps a base URL's own path", () => {
    expect(userUrl("http://127.0.0.1:8/proxy/", "P1", {})).toBe(
      "http://127.0.0.1:8/proxy/almaws/v1/users/P1?",
    );
  });
  it("refuses an empty ID and dot segments, which no encoding keeps in place", () => {
    for (const id of ["", ".", "..", "..."])
      expect(() => userUrl("http://h", id, {})).toThrow(UnsafeUserIdError);
  });
});
