/**
 * The one rule for an address a secret travels to: https, or plain http only to a loopback host.
 */
import { describe, expect, it } from "vitest";
import { isLoopback, LOOPBACK_HOSTS, requireHttps } from "../../src/core/url.ts";

const host = (url: string) => new URL(url).hostname;

describe("isLoopback", () => {
  it("localhost, 127.x.x.x and ::1 as URL.hostname gives them (IPv6 in brackets), and a bare ::1", () => {
    for (const url of [
      "http://localhost:8080",
      "http://LOCALHOST/",
      "http://127.0.0.1:9000",
      "http://127.1.2.3/",
      "http://127.1/", // URL writes it 127.0.0.1
      "http://[::1]:8080",
      "http://[0:0:0:0:0:0:0:1]/", // URL writes it [::1]
    ])
      expect(isLoopback(host(url)), url).toBe(true);
    expect(isLoopback("::1")).toBe(true);
  });

  it("not another host, nor a name that only starts like one", () => {
    for (const url of [
      "https://api-na.hosted.exlibrisgroup.com",
      "http://127.0.0.1.nip.io/",
      "http://localhost.example.edu/",
      "http://128.0.0.1/",
      "http://10.0.0.1/",
      "http://[::2]/",
      "http://0.0.0.0/",
    ])
      expect(isLoopback(host(url)), url).toBe(false);
  });
});

describe("requireHttps", () => {
  const refuse = (protocol: string) => new Error(`refused ${protocol}`);

  it("https to any host passes", () => {
    expect(() => requireHttps(new URL("https://yourschool.concordinfiniti.com"), refuse)).not.toThrow();
    expect(() => requireHttps(new URL("https://127.0.0.1:8443"), refuse)).not.toThrow();
  });

  it("plain http passes only to a loopback host", () => {
    for (const url of ["http://127.0.0.1:8080", "http://localhost/", "http://[::1]:8080/"])
      expect(() => requireHttps(new URL(url), refuse), url).not.toThrow();
    expect(() => requireHttps(new URL("http://api-na.hosted.exlibrisgroup.com"), refuse)).toThrow(
      "refused http:",
    );
    expect(() => requireHttps(new URL("http://127.0.0.1.nip.io"), refuse)).toThrow("refused http:");
  });

  it("any other scheme is refused, even to a loopback host, and the refusal is told which", () => {
    expect(() => requireHttps(new URL("ftp://127.0.0.1/"), refuse)).toThrow("refused ftp:");
    expect(() => requireHttps(new URL("file:///etc/passwd"), refuse)).toThrow("refused file:");
  });

  it("the hosts the messages name are ones the rule allows", () => {
    const named = LOOPBACK_HOSTS.split(/, | or /);
    expect(named).toEqual(["127.0.0.1", "::1", "localhost"]);
    for (const name of named) expect(isLoopback(name), name).toBe(true);
  });
});
