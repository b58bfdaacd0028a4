/**
 * How the Alma simulator refuses an API key: each of the ways real Alma's API gateway does, with its source.
 *
 * Documented (bodies as published):
 *   - "400-xml": HTTP 400, `web_service_result` XML, errorCode UNAUTHORIZED, "API-key not defined or not
 *     configured to allow this API." (a key without the Users area, or for another environment). Body:
 *     emory-libraries/blacklight-catalog spec/fixtures/alma_bad_api_key.xml @4fda854a (served as 400 by its
 *     spec); the same body is in mlibrary/aim-py tests/google_picklist/test_alma_client.py @933b0025 (400).
 *   - "400-text": HTTP 400, text/plain, the 15 bytes "Invalid API Key": scriptotek/php-alma-client
 *     spec/ClientSpec.php it_can_throw_invalid_api_key @47778c9b.
 * Assumptions (the status or code is documented, no body was ever published; the wording is ours):
 *   - "401": HTTP 401 with errorCode UNAUTHORIZED (the simulator's long-standing default). No source pairs
 *     them: UNAUTHORIZED is published only with HTTP 400 (the bodies above), and
 *     openlibraryenvironment/dcb-service docs/operational/alma-hosting.md @61a2eb75 lists "`400` with
 *     `UNAUTHORIZED`" and names 401 only for the HTML page of "401-html" below. (An earlier version of this
 *     comment cited that page for the 401 + UNAUTHORIZED pair; it does not contain it.)
 *   - "400-json": the JSON twin of "400-xml" ({"errorsExist":true,"errorList":{"error":[…]},"result":null},
 *     the shape of scriptotek/php-alma-client spec/data/error_response.json).
 *   - "403-invalid-request", "403-forbidden": HTTP 403 with INVALID_REQUEST / FORBIDDEN in a
 *     `web_service_result` (dcb-service alma-hosting.md: "an invalid key, or a call from an address outside
 *     the key's allowed range"). The messages are invented.
 *   - "403-ip": the message "HTTP requests from IP address … are not allowed" is from the Ex Libris Developer
 *     Network blog post on IP-range keys (no status, no body format given); 403 and plain text are assumed
 *     (dpla/ingestion3 GettyRefreshHarvesterTest.scala @368f5137 pairs that message with 403 FORBIDDEN).
 *   - "401-html": an HTML "HTTP Status 401 – Unauthorized" page, as a call to the institution's Alma domain
 *     instead of the API gateway answers (named in dcb-service alma-hosting.md; the page itself is ours).
 */
import { errorJson, errorXml, ALMA_ERRORS } from "./alma.ts";

export const KEY_REFUSALS = [
  "401",
  "400-xml",
  "400-json",
  "400-text",
  "403-invalid-request",
  "403-forbidden",
  "403-ip",
  "401-html",
] as const;
export type KeyRefusal = (typeof KEY_REFUSALS)[number];

export interface RefusalAnswer {
  status: number;
  body: string;
  contentType: string;
  errorCode?: string;
}

const XML = "application/xml;charset=UTF-8";
const JSON_TYPE = "application/json;charset=UTF-8";

/**
 * The answer for a refused key. `json`: the caller asked for JSON (only the gateway's web_service_result
 * answers follow it; the plain-text and HTML answers do not). `legacyStatus`: the status of kind "401"
 * (the simulator's older unauthorizedStatus option).
 */
export function refusalAnswer(
  kind: KeyRefusal,
  json: boolean,
  clientIp: string,
  legacyStatus = 401,
): RefusalAnswer {
  const wsr = (status: number, code: string, message: string, asJson = json): RefusalAnswer => ({
    status,
    body: asJson ? errorJson({ code, message }) : errorXml({ code, message }),
    contentType: asJson ? JSON_TYPE : XML,
    errorCode: code,
  });
  switch (kind) {
    case "401":
      return wsr(legacyStatus, "UNAUTHORIZED", ALMA_ERRORS.UNAUTHORIZED);
    case "400-xml":
      return wsr(400, "UNAUTHORIZED", ALMA_ERRORS.UNAUTHORIZED, false);
    case "400-json":
      return wsr(400, "UNAUTHORIZED", ALMA_ERRORS.UNAUTHORIZED, true);
    case "400-text":
      return { status: 400, body: "Invalid API Key", contentType: "text/plain;charset=UTF-8" };
    case "403-invalid-request":
      return wsr(403, "INVALID_REQUEST", "The API key is not valid.");
    case "403-forbidden":
      return wsr(403, "FORBIDDEN", "The API key is not allowed to make this call.");
    case "403-ip":
      return {
        status: 403,
        body: `HTTP requests from IP address ${clientIp} are not allowed`,
        contentType: "text/plain;charset=UTF-8",
      };
    case "401-html":
      return {
        status: 401,
        contentType: "text/html;charset=utf-8",
        body: '<!doctype html><html lang="en"><head><title>HTTP Status 401 – Unauthorized</title></head><body><h1>HTTP Status 401 – Unauthorized</h1><hr class="line" /><p><b>Type</b> Status Report</p><p><b>Description</b> The request has not been applied to the target resource because it lacks valid authentication credentials for that resource.</p></body></html>',
      };
  }
}
