/**
 * The Alma simulator's error bodies: namespaced XML `web_service_result` and JSON `errorsExist/errorList`
 * [fixtures errors/error_401664.*, error_402203.*]; the PER_SECOND_THRESHOLD, DAILY_THRESHOLD and
 * UNAUTHORIZED messages [fixtures errors/per_second_threshold.*, daily_threshold.xml,
 * auth_400_unauthorized*.xml]. Sources and assumptions in full: alma.ts.
 */
/** The error envelope's namespace, as in real bodies. */
export const WSR_NAMESPACE = "http://com/exlibris/urm/general/xmlbeans";

export const ALMA_ERRORS = {
  UNAUTHORIZED: "API-key not defined or not configured to allow this API.",
  PER_SECOND_THRESHOLD: "HTTP requests are more than allowed per second. See https://goo.gl/2x1c1M ",
  DAILY_THRESHOLD: "Daily API Request Threshold has been reached.",
  NO_VALID_XML: "No valid XML was given.",
} as const;

export interface AlmaErrorOut {
  code: string;
  message: string;
  trackingId?: string;
}

const escText = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function errorXml(e: AlmaErrorOut): string {
  const tracking = e.trackingId ? `<trackingId>${escText(e.trackingId)}</trackingId>` : "";
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
    `<web_service_result xmlns="${WSR_NAMESPACE}"><errorsExist>true</errorsExist><errorList><error>` +
    `<errorCode>${escText(e.code)}</errorCode><errorMessage>${escText(e.message)}</errorMessage>${tracking}` +
    `</error></errorList></web_service_result>`
  );
}

export function errorJson(e: AlmaErrorOut): string {
  const error: Record<string, string> = { errorCode: e.code, errorMessage: e.message };
  if (e.trackingId) error.trackingId = e.trackingId;
  return JSON.stringify({ errorsExist: true, errorList: { error: [error] }, result: null });
}

/** One answer of the simulator. */
export interface Outcome {
  status: number;
  body: string;
  contentType: string;
  errorCode?: string;
}
