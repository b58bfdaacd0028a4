import { almaSettingsFromEnv } from "../../src/alma/settings.ts";
import { describe, expect, it } from "vitest";
import { AlmaClient } from "../../src/alma/client.ts";
import { AlmaApiError } from "../../src/alma/errors.ts";
import { simulatorRateLimit } from "../../src/alma/connection.ts";
import type { Transport, TransportRequest } from "../../src/alma/transport.ts";

function fakeTransport(status: number, body: string, contentType = "application/xml") {
  const sent: TransportRequest[] = [];
  const transport = {
    send: (req: TransportRequest) => {
      sent.push(req);
      return Promise.resolve({
        status,
        body,
        headers: new Headers({ "content-type": contentType }),
        attempts: 1,
      });
    },
  } as unknown as Transport;
  return { transport, sent };
}

describe("AlmaClient", () => {
  it("GETs with the id URL-encoded, view=full, user_id_type, and the key only in the header", async () => {
    const { transport, sent } = fakeTransport(200, "<user/>");
    const client = new AlmaClient({
      baseUrl: "https://api-eu.example/",
      apiKey: "l7xxSECRET",
      userIdType: "all_unique",
      transport,
    });
    expect(await client.getUser("a b/ç?&x")).toBe("<user/>");
    const req = sent[0]!;
    expect(req.method).toBe("GET");
    expect(req.url).toBe(
      "https://api-eu.example/almaws/v1/users/a%20b%2F%C3%A7%3F%26x?user_id_type=all_unique&view=full",
    );
    expect(req.url).not.toContain("SECRET");
    expect(req.headers?.Authorization).toBe("apikey l7xxSECRET");
  });

  it("PUTs without PIN letters, role recalculation or registration rules", async () => {
    const { transport, sent } = fakeTransport(200, "<user/>");
    const client = new AlmaClient({
      baseUrl: "http://127.0.0.1:1",
      apiKey: "k",
      userIdType: "all_unique",
      transport,
    });
    await client.putUser("007", "<user><primary_id>007</primary_id></user>");
    const url = new URL(sent[0]!.url);
    expect(sent[0]!.method).toBe("PUT");
    expect(url.pathname).toBe("/almaws/v1/users/007");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      user_id_type: "all_unique",
      send_pin_number_letter: "false",
      recalculate_roles: "false",
      registration_rules: "false",
    });
    expect(sent[0]!.body).toContain("<primary_id>007</primary_id>");
  });

  it("turns an Alma error body into an AlmaApiError with code and tracking id", async () => {
    const body =
      '<web_service_result xmlns="http://com/exlibris/urm/general/xmlbeans"><errorsExist>true</errorsExist><errorList><error><errorCode>401861</errorCode><errorMessage>User with identifier X was not found.</errorMessage><trackingId>E01-TRACK</trackingId></error></errorList></web_service_result>';
    const { transport } = fakeTransport(400, body);
    const client = new AlmaClient({ baseUrl: "http://x", apiKey: "k", userIdType: "all_unique", transport });
    const err = await client.getUser("X").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlmaApiError);
    expect((err as AlmaApiError).code).toBe("401861");
    expect((err as AlmaApiError).trackingId).toBe("E01-TRACK");
  });
});

describe("simulatorRateLimit", () => {
  it("lifts the pace only for a loopback Alma", () => {
    const env = almaSettingsFromEnv({ PATRON_SYNC_SIM_RATE_LIMIT: "2000" });
    expect(simulatorRateLimit("http://127.0.0.1:8080", env)).toBe(2000);
    expect(simulatorRateLimit("http://localhost:8080", env)).toBe(2000);
    expect(simulatorRateLimit("https://api-na.hosted.exlibrisgroup.com", env)).toBeUndefined();
    expect(simulatorRateLimit("http://127.0.0.1:8080", almaSettingsFromEnv({}))).toBeUndefined();
  });
});
