import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.ts";
import { maskProxy, proxyFor, proxySecrets, proxySettings } from "../../src/core/proxy.ts";

const via = (url: string, env: NodeJS.ProcessEnv) => proxyFor(new URL(url), proxySettings(env))?.href;

describe("proxy settings from HTTPS_PROXY, HTTP_PROXY and NO_PROXY", () => {
  it("uses HTTPS_PROXY for https:// and HTTP_PROXY for http://, and nothing when unset", () => {
    const env = { HTTPS_PROXY: "http://secure.proxy:3128", HTTP_PROXY: "http://plain.proxy:8080" };
    expect(via("https://api-na.hosted.exlibrisgroup.com/almaws", env)).toBe("http://secure.proxy:3128/");
    expect(via("http://127.0.0.1:9/x", env)).toBe("http://plain.proxy:8080/");
    expect(via("https://api-na.hosted.exlibrisgroup.com/", { HTTP_PROXY: "http://plain.proxy:8080" })).toBe(
      undefined,
    );
    expect(via("https://x.example/", {})).toBe(undefined);
  });

  it("reads the lower-case forms, which win over the upper-case ones", () => {
    expect(via("https://x.example/", { https_proxy: "http://lower:1" })).toBe("http://lower:1/");
    expect(via("https://x.example/", { https_proxy: "http://lower:1", HTTPS_PROXY: "http://upper:2" })).toBe(
      "http://lower:1/",
    );
    expect(via("https://x.example/", { HTTPS_PROXY: "http://p:1", no_proxy: "x.example" })).toBe(undefined);
  });

  it("takes a proxy without a scheme as http://", () => {
    expect(via("https://x.example/", { HTTPS_PROXY: "proxy.example.edu:3128" })).toBe(
      "http://proxy.example.edu:3128/",
    );
  });

  it("NO_PROXY: domains with their subdomains, ports, IPs exactly, and * for everything", () => {
    const env = (no: string) => ({ HTTPS_PROXY: "http://p:1", HTTP_PROXY: "http://p:1", NO_PROXY: no });
    const direct = (url: string, no: string) => via(url, env(no)) === undefined;
    expect(direct("https://api-eu.hosted.exlibrisgroup.com/", "exlibrisgroup.com")).toBe(true);
    expect(direct("https://api-eu.hosted.exlibrisgroup.com/", ".exlibrisgroup.com")).toBe(true);
    expect(direct("https://api-eu.hosted.exlibrisgroup.com/", "*.exlibrisgroup.com")).toBe(true);
    expect(direct("https://notexlibrisgroup.com/", "exlibrisgroup.com")).toBe(false);
    expect(direct("https://school.concordinfiniti.com/", "other.edu, school.concordinfiniti.com")).toBe(true);
    expect(direct("https://school.concordinfiniti.com/", "other.edu school.concordinfiniti.com")).toBe(true);
    expect(direct("https://SCHOOL.concordinfiniti.com/", "School.ConcordInfiniti.com")).toBe(true);
    expect(direct("http://127.0.0.1:8080/", "127.0.0.1:8080")).toBe(true);
    expect(direct("http://127.0.0.1:8081/", "127.0.0.1:8080")).toBe(false);
    expect(direct("https://x.example/", "x.example:443")).toBe(true);
    expect(direct("http://[::1]:5/", "::1")).toBe(true);
    expect(direct("http://[::1]:5/", "[::1]:5")).toBe(true);
    expect(direct("http://10.1.2.3/", "2.3")).toBe(false);
    expect(direct("http://anything.example/", "*")).toBe(true);
  });

  it("does not exempt loopback by itself: NO_PROXY must name it", () => {
    expect(via("http://127.0.0.1:5000/", { HTTP_PROXY: "http://p:1" })).toBe("http://p:1/");
    expect(via("http://localhost:5000/", { HTTP_PROXY: "http://p:1", NO_PROXY: "localhost" })).toBe(
      undefined,
    );
  });

  it("refuses a malformed or SOCKS proxy with exit 2, masking the proxy's password", () => {
    const refuse = (env: NodeJS.ProcessEnv) => {
      try {
        proxySettings(env);
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        return (e as Error).message;
      }
      throw new Error("not refused");
    };
    const socks = refuse({ https_proxy: "socks5://alice:s3cr3t@proxy:1080" });
    expect(socks).toBe(
      "environment: https_proxy (socks5://***@proxy:1080) is not supported: only http:// and https:// proxies are",
    );
    const bad = refuse({ HTTP_PROXY: "http://bob:hunter2@proxy:99999" });
    expect(bad).toContain("HTTP_PROXY (http://***@proxy:99999) is not a valid proxy URL");
    expect(bad).not.toContain("hunter2");
  });

  it("masks the user name and password in a proxy URL", () => {
    expect(maskProxy(new URL("http://u:p%40ss@proxy.example.edu:3128"))).toBe(
      "http://***@proxy.example.edu:3128/",
    );
    expect(maskProxy("http://proxy.example.edu:3128")).toBe("http://proxy.example.edu:3128");
  });

  it("gives the proxy passwords (and their Proxy-Authorization values) for the action to mask", () => {
    const basic = Buffer.from("alice:p@ss word").toString("base64");
    expect(
      proxySecrets({
        HTTPS_PROXY: "http://alice:p%40ss%20word@proxy:3128",
        http_proxy: "proxy.example.edu:8080",
        NO_PROXY: "x",
      }),
    ).toEqual(["p%40ss%20word", "p@ss word", basic, `Basic ${basic}`]);
    expect(proxySecrets({ HTTP_PROXY: "not a url://" })).toEqual([]);
  });
});
