/** The Alma simulator refuses a wrong key in each way real Alma does (src/simulators/alma-refusals.ts). */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { startAlmaSimulator, type AlmaSimulator } from "../../src/simulators/alma.ts";
import { KEY_REFUSALS, type KeyRefusal } from "../../src/simulators/alma-refusals.ts";

let sim: AlmaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const EXPECTED: Record<KeyRefusal, { status: number; type: RegExp; body: RegExp }> = {
  "401": { status: 401, type: /xml/, body: /<errorCode>UNAUTHORIZED<\/errorCode>/ },
  "400-xml": {
    status: 400,
    type: /xml/,
    body: /<errorCode>UNAUTHORIZED<\/errorCode><errorMessage>API-key not defined or not configured to allow this API\.</,
  },
  "400-json": { status: 400, type: /json/, body: /"errorCode":"UNAUTHORIZED"/ },
  "400-text": { status: 400, type: /text\/plain/, body: /^Invalid API Key$/ },
  "403-invalid-request": { status: 403, type: /xml/, body: /<errorCode>INVALID_REQUEST<\/errorCode>/ },
  "403-forbidden": { status: 403, type: /xml/, body: /<errorCode>FORBIDDEN<\/errorCode>/ },
  "403-ip": {
    status: 403,
    type: /text\/plain/,
    body: /^HTTP requests from IP address 127\.0\.0\.1 are not allowed$/,
  },
  "401-html": { status: 401, type: /text\/html/, body: /<title>HTTP Status 401 – Unauthorized<\/title>/ },
};

describe("Alma simulator: key refusals", () => {
  for (const kind of KEY_REFUSALS) {
    it(`${kind}: a wrong key gets the documented answer; the right key is served`, async () => {
      sim = await startAlmaSimulator({ apiKey: "right", keyRefusal: kind });
      const url = `${sim.url}/almaws/v1/users/E00417?user_id_type=all_unique`;
      const wrong = await fetch(url, {
        headers: { Authorization: "apikey wrong", Accept: "application/xml" },
      });
      const want = EXPECTED[kind];
      expect(wrong.status).toBe(want.status);
      expect(wrong.headers.get("content-type")).toMatch(want.type);
      expect(await wrong.text()).toMatch(want.body);
      const right = await fetch(url, { headers: { Authorization: "apikey right" } });
      expect(right.status).toBe(200);
      expect(sim.stats().status401).toBe(1);
    });
  }
});

describe("alma-refusals.ts cites what its sources contain", () => {
  it('lists the 401 + UNAUTHORIZED pair ("401") as an assumption: no source pairs them', () => {
    const text = readFileSync(new URL("../../src/simulators/alma-refusals.ts", import.meta.url), "utf8");
    const comment = text.slice(0, text.indexOf("*/"));
    const documented = comment.slice(0, comment.indexOf("Assumptions"));
    const assumed = comment.slice(comment.indexOf("Assumptions"));
    expect(documented).not.toContain('"401":');
    expect(assumed).toContain('"401": HTTP 401 with errorCode UNAUTHORIZED');
    expect(assumed).toContain("No source pairs");
  });
});
