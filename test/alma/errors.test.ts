import { describe, expect, it } from "vitest";
import {
  AlmaApiError,
  NOT_FOUND_CODES,
  almaApiError,
  explainAlmaError,
  parseAlmaErrorBody,
  type AlmaErrorDetail,
} from "../../src/alma/errors.ts";
import { fixture } from "../helpers/fixtures.ts";

const body = (name: string): string => fixture(`alma/errors/${name}`);
const XML = "application/xml;charset=UTF-8";
const JSON_TYPE = "application/json;charset=UTF-8";

describe("parseAlmaErrorBody", () => {
  it("reads a namespaced XML web_service_result", () => {
    expect(parseAlmaErrorBody(400, body("user_401851.xml"), XML)).toEqual([
      {
        code: "401851",
        message: "User with identifier 21234000123456 of type BARCODE already exists.",
        trackingId: "E01-1405093012-XK2QD-AWAE1187739014",
      },
    ]);
  });

  it("reads XML whose elements carry a namespace prefix", () => {
    expect(parseAlmaErrorBody(400, body("user_401851_prefixed.xml"), XML)).toEqual([
      {
        code: "401851",
        message: "User with identifier 0042 of type BARCODE already exists.",
        trackingId: "E02-0101120000-ABCDE-AWAE000000001",
      },
    ]);
  });

  it("reads JSON without the wrapper and turns a numeric code into a string", () => {
    const [d] = parseAlmaErrorBody(400, body("user_401861.json"), JSON_TYPE);
    expect(d).toEqual({
      code: "401861",
      message: "User with identifier jdoe was not found.",
      trackingId: "E01-2204110915-QW3RT-AWAE902211345",
    });
    expect(typeof d?.code).toBe("string");
  });

  it("reads compact JSON on one line", () => {
    const compact = JSON.stringify(JSON.parse(body("user_401861.json")));
    expect(compact).not.toContain("\n");
    expect(parseAlmaErrorBody(400, compact)[0]?.code).toBe("401861");
  });

  it("reads JSON with the web_service_result wrapper and a single error object", () => {
    expect(parseAlmaErrorBody(400, body("user_401890_wrapped.json"), JSON_TYPE)).toEqual([
      {
        code: "401890",
        message: "User with identifier 0012345 of type all_unique was not found.",
        trackingId: "E01-0903101500-ZZ9PL-AWAE44100001",
      },
    ]);
  });

  it("reads a gateway code without a tracking id", () => {
    const [d] = parseAlmaErrorBody(429, body("per_second_threshold.json"), JSON_TYPE);
    expect(d).toEqual({
      code: "PER_SECOND_THRESHOLD",
      message: "HTTP requests are more than allowed per second. See the API usage guidelines",
    });
    expect(d && "trackingId" in d).toBe(false);
    expect(parseAlmaErrorBody(429, body("daily_threshold.xml"), XML)).toEqual([
      { code: "DAILY_THRESHOLD", message: "Daily API Request Threshold has been reached." },
    ]);
  });

  it("takes the tracking id out of an older message that embeds it", () => {
    expect(parseAlmaErrorBody(400, body("external_id_401858_legacy.xml"), XML)).toEqual([
      {
        code: "401858",
        message: "The external id in DB does not fit the given value in xml - external id cannot be updated.",
        trackingId: "E01-0707121314-H4X9Q-AWAE3300123456",
      },
    ]);
    const [plain] = parseAlmaErrorBody(
      400,
      '{"error":{"errorCode":"1","errorMessage":"Oops. Tracking ID: E99-1-AB"}}',
    );
    expect(plain).toEqual({ code: "1", message: "Oops.", trackingId: "E99-1-AB" });
  });

  it("keeps both when a message names another tracking id than the element", () => {
    const xml =
      "<web_service_result><errorList><error><errorCode>1</errorCode>" +
      "<errorMessage>See (Tracking ID: E01-OLD-1)</errorMessage><trackingId>E02-NEW-2</trackingId></error></errorList></web_service_result>";
    expect(parseAlmaErrorBody(400, xml)).toEqual([
      { code: "1", message: "See (Tracking ID: E01-OLD-1)", trackingId: "E02-NEW-2" },
    ]);
  });

  it("decodes entities in XML messages and keeps every error of a list", () => {
    expect(parseAlmaErrorBody(400, body("roles_401652.xml"), XML)[0]?.message).toContain(
      "from the <user_role> block.",
    );
    const list = parseAlmaErrorBody(400, body("two_errors.json"), JSON_TYPE);
    expect(list.map((d) => d.code)).toEqual(["401863", "401860"]);
    expect(list[1]).toEqual({ code: "401860", message: "Failed to update user." });
  });

  it("does not trust the content type", () => {
    expect(parseAlmaErrorBody(400, body("user_401861.json"), XML)[0]?.code).toBe("401861");
    expect(parseAlmaErrorBody(400, body("user_401851.xml"), JSON_TYPE)[0]?.code).toBe("401851");
    expect(parseAlmaErrorBody(400, "\uFEFF" + body("user_401851.xml"), null)[0]?.code).toBe("401851");
  });

  it("turns an HTML error page into a short plain-text detail", () => {
    const [d, ...rest] = parseAlmaErrorBody(502, body("gateway_502.html"), "text/html");
    expect(rest).toEqual([]);
    expect(d?.code).toBe("HTTP_502");
    expect(d?.message).toBe(
      "Alma answered HTTP 502 (Bad Gateway): 502 Bad Gateway 502 Bad Gateway The upstream server did not answer & the request was dropped. nginx",
    );
    expect(d?.trackingId).toBeUndefined();
  });

  it("never returns more than ~200 characters or any markup from a long page", () => {
    const page = `<html><body>${"<div class='x'>&lt;b&gt;Service unavailable&lt;/b&gt;</div>".repeat(500)}</body></html>`;
    const [d] = parseAlmaErrorBody(503, page, "text/html");
    expect(d?.code).toBe("HTTP_503");
    expect(d!.message.length).toBeLessThanOrEqual(200);
    expect(d!.message).not.toMatch(/[<>]/);
    expect(d!.message).toMatch(
      /^Alma answered HTTP 503 \(Service Unavailable\): Service unavailable Service unavailable/,
    );
    expect(d!.message.endsWith("…")).toBe(true);
  });

  it.each([
    ["an empty body", 502, "", "Alma answered HTTP 502 (Bad Gateway) with an empty body"],
    ["blank lines", 504, "\r\n  \n", "Alma answered HTTP 504 (Gateway Timeout) with an empty body"],
    [
      "plain text",
      500,
      "upstream connect error",
      "Alma answered HTTP 500 (Internal Server Error): upstream connect error",
    ],
    [
      "broken JSON",
      500,
      '{"errorList": {"error": [',
      'Alma answered HTTP 500 (Internal Server Error): {"errorList": {"error": [',
    ],
    [
      "XML that is not an Alma error",
      500,
      "<fault><reason>boom</reason></fault>",
      "Alma answered HTTP 500 (Internal Server Error): boom",
    ],
    ["an unknown status", 599, "x", "Alma answered HTTP 599: x"],
  ])("gives a generic detail for %s", (_what, status, text, message) => {
    expect(parseAlmaErrorBody(status, text)).toEqual([{ code: `HTTP_${status}`, message }]);
  });

  it("gives a generic detail when errorList is missing or has no usable error", () => {
    expect(parseAlmaErrorBody(400, body("no_error_list.json"), JSON_TYPE)).toEqual([
      {
        code: "HTTP_400",
        message: 'Alma answered HTTP 400 (Bad Request): { "errorsExist": true, "result": null }',
      },
    ]);
    expect(parseAlmaErrorBody(400, '{"errorList":{"error":[null, 7, "x", {}]}}')[0]?.code).toBe("HTTP_400");
    expect(parseAlmaErrorBody(400, '{"errorList":{"error":{"errorMessage":"no code"}}}')).toEqual([
      { code: "UNKNOWN", message: "no code" },
    ]);
  });

  it("never echoes an API key", () => {
    const key = "l7xx0123456789abcdef0123456789abcdef";
    const [d] = parseAlmaErrorBody(502, `<p>GET /almaws/v1/users/x?apikey=${key}&amp;view=full failed</p>`);
    expect(d?.message).not.toContain(key);
    expect(d?.message).toContain("apikey=…");
    const [j] = parseAlmaErrorBody(401, `Authorization: apikey ${key}`);
    expect(j?.message).not.toContain(key);
  });

  it("never throws, and always returns a detail", () => {
    const samples = [
      "<",
      "<<<>>>",
      "{",
      "[]",
      "null",
      '"just a string"',
      "<web_service_result>",
      "<web_service_result><errorList><error>",
      '{"web_service_result":null}',
      '{"errorList":"nope"}',
      "<?xml version='1.0'?>",
      "\u0000\u0001\u0002",
      "<![CDATA[",
      "<!--",
      "<a><b></a>",
    ];
    for (let i = 0; i < 200; i++) {
      samples.push(
        Array.from({ length: 40 }, () => String.fromCharCode(Math.floor(Math.random() * 128))).join(""),
      );
    }
    for (const s of samples) {
      const out = parseAlmaErrorBody(500, s);
      expect(out.length, s).toBeGreaterThan(0);
      for (const d of out) {
        expect(typeof d.code).toBe("string");
        expect(typeof d.message).toBe("string");
      }
    }
    expect(parseAlmaErrorBody(500, undefined as unknown as string)[0]?.code).toBe("HTTP_500");
  });
});

describe("AlmaApiError", () => {
  it("carries the status, the details, the first code and a tracking id", () => {
    const e = almaApiError(400, body("two_errors.json"), JSON_TYPE);
    expect(e).toBeInstanceOf(AlmaApiError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("AlmaApiError");
    expect(e.status).toBe(400);
    expect(e.errors).toHaveLength(2);
    expect(e.code).toBe("401863");
    expect(e.trackingId).toBe("E01-1212121212-TWO01-AWAE1000000001");
    expect(e.message).toBe(
      "Alma API HTTP 400: 401863 Given identifier type (BARCODE2) is not supported for given user record type (PUBLIC).; 401860 Failed to update user.",
    );
  });

  it("has no tracking id when Alma gave none", () => {
    const e = almaApiError(429, body("per_second_threshold.json"));
    expect(e.code).toBe("PER_SECOND_THRESHOLD");
    expect(e.trackingId).toBeUndefined();
  });

  it("is never without a detail", () => {
    const e = new AlmaApiError(503, []);
    expect(e.errors).toEqual([
      { code: "HTTP_503", message: "Alma answered HTTP 503 (Service Unavailable) with an empty body" },
    ]);
    expect(e.code).toBe("HTTP_503");
  });

  it("knows the not-found codes of GET and PUT", () => {
    expect([...NOT_FOUND_CODES].sort()).toEqual(["401861", "401890"]);
    expect(NOT_FOUND_CODES.has(almaApiError(400, body("user_401861.json")).code)).toBe(true);
    expect(NOT_FOUND_CODES.has(almaApiError(400, body("user_401890_wrapped.json")).code)).toBe(true);
    expect(NOT_FOUND_CODES.has(almaApiError(400, body("user_401851.xml")).code)).toBe(false);
  });
});

describe("explainAlmaError", () => {
  it("renders code, message, tracking id and hint in one sentence", () => {
    expect(explainAlmaError(almaApiError(400, body("user_401851.xml"), XML))).toBe(
      "Alma error 401851: User with identifier 21234000123456 of type BARCODE already exists. " +
        "(tracking id E01-1405093012-XK2QD-AWAE1187739014) — Hint: this barcode is already used by another Alma user; " +
        "find who holds it before retrying.",
    );
  });

  it.each([
    ["external_id_401858_legacy.xml", 400, /Hint: the external_id .*never changes it.*SIS load/],
    [
      "unauthorized.xml",
      400,
      /Hint: check that the API key \(ALMA_READ_API_KEY or ALMA_API_KEY for plan, ALMA_API_KEY for apply\).*read to plan, read\/write to apply/,
    ],
    [
      "per_second_threshold.json",
      429,
      /Hint: too many API calls per second across the whole institution.*lower alma\.rate_limit/,
    ],
    [
      "daily_threshold.xml",
      429,
      /Hint: the institution's daily API quota is used up; the remaining records stay pending/,
    ],
    ["user_401861.json", 400, /Hint: the user was not found in Alma/],
    ["user_401890_wrapped.json", 400, /Hint: the user was not found in Alma/],
    ["roles_401652.xml", 400, /Hint: the PUT carried user roles.*ServiceUnit.*leaves roles out/],
    ["no_valid_xml_401676.xml", 400, /Hint: Alma found no valid XML/],
    ["invalid_param_402203.json", 400, /Hint: Alma refused a parameter of the request as not valid/],
    [
      "gateway_502.html",
      502,
      /^Alma answered HTTP 502 \(Bad Gateway\): .*nginx\. — Hint: Alma \(or the network in front of it\)/,
    ],
  ])("explains %s", (name, status, expected) => {
    expect(explainAlmaError(almaApiError(status, body(name)))).toMatch(expected);
  });

  it("shows the tracking id that was embedded in the message once", () => {
    const text = explainAlmaError(almaApiError(400, body("external_id_401858_legacy.xml")));
    expect(text).toMatch(
      /^Alma error 401858: The external id in DB .* cannot be updated\. \(tracking id E01-0707121314-H4X9Q-AWAE3300123456\) — Hint/,
    );
    expect(text.match(/E01-0707121314/g)).toHaveLength(1);
  });

  it("gives the roles hint for 401652 only when the message is about roles", () => {
    const general: AlmaErrorDetail = {
      code: "401652",
      message: "General Error: An error has occurred while processing the request.",
    };
    const text = explainAlmaError(general);
    expect(text).not.toMatch(/roles/);
    expect(text).toMatch(/Hint: a general error inside Alma; try again later/);
  });

  it("falls back on the HTTP status for the key and rate hints", () => {
    for (const status of [401, 403]) {
      expect(explainAlmaError(almaApiError(status, ""))).toMatch(
        /Hint: check that the API key \(ALMA_READ_API_KEY or ALMA_API_KEY for plan, ALMA_API_KEY for apply\)/,
      );
    }
    expect(explainAlmaError(almaApiError(429, "Too Many Requests"))).toMatch(/lower alma\.rate_limit/);
    expect(explainAlmaError({ code: "HTTP_403", message: "Alma answered HTTP 403 (Forbidden)" })).toMatch(
      /ALMA_API_KEY/,
    );
  });

  it("adds no hint it does not have", () => {
    expect(explainAlmaError({ code: "499999", message: "Something new" })).toBe(
      "Alma error 499999: Something new.",
    );
    expect(explainAlmaError({ code: "401860", message: "", trackingId: "E01-X-Y" })).toBe(
      "Alma error 401860: (no message). (tracking id E01-X-Y)",
    );
  });

  it("lists every error, each hint once", () => {
    const two = new AlmaApiError(400, [
      { code: "401861", message: "User with identifier a was not found." },
      { code: "401890", message: "User with identifier a of type b was not found", trackingId: "E01-Z-1" },
    ]);
    expect(explainAlmaError(two)).toBe(
      "Alma error 401861: User with identifier a was not found. " +
        "Alma error 401890: User with identifier a of type b was not found. (tracking id E01-Z-1) — " +
        "Hint: the user was not found in Alma; check the primary ID (the user may have been deleted or purged).",
    );
  });

  it("prefers the code's hint over the status's", () => {
    const text = explainAlmaError(almaApiError(429, body("daily_threshold.xml")));
    expect(text).toMatch(/daily API quota/);
    expect(text).not.toMatch(/per second/);
  });
});
