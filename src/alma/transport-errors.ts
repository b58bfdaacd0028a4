/**
 * The errors of the Alma transport (transport.ts): the daily quota stop and a call that failed for good.
 */
import { redactUrl } from "./retry.ts";

/** The day's API quota is (nearly) used: a clean stop. The caller marks what is left `pending`. */
export class QuotaExhaustedError extends Error {
  /** Calls left today as Alma last reported them (0 if Alma said DAILY_THRESHOLD without a count). */
  readonly remaining: number;
  readonly minRemaining: number;
  readonly reason: "below-minimum" | "daily-threshold";
  constructor(reason: "below-minimum" | "daily-threshold", remaining: number, minRemaining: number) {
    super(
      reason === "daily-threshold"
        ? "Alma refused the call because the institution's daily API quota is used up (DAILY_THRESHOLD); nothing more was sent."
        : `The institution's daily Alma API quota is running low: ${remaining} calls left today, below alma.min_remaining (${minRemaining}); nothing more was sent.`,
    );
    this.name = "QuotaExhaustedError";
    this.reason = reason;
    this.remaining = remaining;
    this.minRemaining = minRemaining;
  }
}

export type TransportFailure =
  /** 5xx on every attempt. */
  | "http"
  /** No answer within timeoutMs on the last attempt. */
  | "timeout"
  /** Connection reset, refused, closed... on the last attempt. */
  | "network"
  /** PER_SECOND_THRESHOLD more often than the throttle allows. */
  | "throttled"
  /** The request could not even be built (a bad URL or header value): not retried. */
  | "unsendable"
  /** The answer was larger than maxBodyBytes: reading stopped at the cap; not retried. */
  | "too-large";

/** A call that failed for good. The message is one plain sentence; no header is ever in it. */
export class TransportError extends Error {
  readonly kind: TransportFailure;
  /** The last HTTP status, if there was an answer. */
  readonly status: number | undefined;
  /** The last answer's body, if there was one. */
  readonly body: string | undefined;
  /** The network failure's code (ECONNRESET...), for kind "network". */
  readonly code: string | undefined;
  /** HTTP requests made for this call. */
  readonly attempts: number;
  readonly method: string;
  /** The URL, without any apikey parameter. */
  readonly url: string;
  constructor(
    message: string,
    details: {
      kind: TransportFailure;
      attempts: number;
      method: string;
      url: string;
      status?: number;
      body?: string;
      code?: string;
      cause?: unknown;
    },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "TransportError";
    this.kind = details.kind;
    this.attempts = details.attempts;
    this.method = details.method;
    this.url = redactUrl(details.url);
    this.status = details.status;
    this.body = details.body;
    this.code = details.code;
  }
}
