/**
 * The Alma simulator's injected faults. ASSUMPTION (no vendor source): latency and faults from a seeded
 * PRNG: 5xx answers (500 with an HTML or a truncated body, 503) and connection resets; for a PUT a reset
 * happens either before the update (nothing stored) or, with `resetAfterWriteRate`, after it (stored, but
 * the client never hears so). GETs only ever fail before doing anything. Real networks do this; these
 * rates and shapes are ours. See alma.ts for the full list.
 */
import type { Rng } from "./alma-random.ts";
import { WSR_NAMESPACE, type Outcome } from "./alma-errors.ts";
import type { FaultKind, QueuedFault } from "./alma-sim-types.ts";

export class Faults {
  errorRate: number;
  resetRate: number;
  resetAfterWriteRate: number;
  private readonly queued: QueuedFault[] = [];

  constructor(
    private readonly faultRng: Rng,
    rates: { errorRate?: number; resetRate?: number; resetAfterWriteRate?: number },
  ) {
    this.errorRate = rates.errorRate ?? 0;
    this.resetRate = rates.resetRate ?? 0;
    this.resetAfterWriteRate = rates.resetAfterWriteRate ?? 0;
  }

  decide(method: string): FaultKind | undefined {
    const queued = this.queued;
    const { errorRate, resetRate, resetAfterWriteRate, faultRng } = this;
    const qi = queued.findIndex((q) => q.method === undefined || q.method === method);
    if (qi >= 0) {
      const [q] = queued.splice(qi, 1);
      if (q) return q.kind === "reset-after-write" && method !== "PUT" ? "reset" : q.kind;
    }
    if (errorRate <= 0 && resetRate <= 0 && resetAfterWriteRate <= 0) return undefined;
    const r = faultRng();
    if (r < errorRate) {
      const k = faultRng();
      return k < 1 / 3 ? "error-500-html" : k < 2 / 3 ? "error-500-xml" : "error-503";
    }
    if (r < errorRate + resetRate) return "reset";
    if (method === "PUT" && r < errorRate + resetRate + resetAfterWriteRate) return "reset-after-write";
    return undefined;
  }

  set(f: { errorRate?: number; resetRate?: number; resetAfterWriteRate?: number }): void {
    if (f.errorRate !== undefined) this.errorRate = f.errorRate;
    if (f.resetRate !== undefined) this.resetRate = f.resetRate;
    if (f.resetAfterWriteRate !== undefined) this.resetAfterWriteRate = f.resetAfterWriteRate;
  }

  /** Forces faults on the next accepted calls, in order, before any random one. */
  queue(...faults: (FaultKind | QueuedFault)[]): void {
    for (const f of faults) this.queued.push(typeof f === "string" ? { kind: f } : f);
  }
}

export function faultOutcome(kind: FaultKind): Outcome {
  switch (kind) {
    case "error-500-html":
      return {
        status: 500,
        contentType: "text/html;charset=UTF-8",
        body: "<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1><p>The server encountered an internal error &amp; could not complete your request.</p></body></html>",
      };
    case "error-500-xml":
      // A body cut short mid-element, as a failing backend sometimes sends.
      return {
        status: 500,
        contentType: "application/xml;charset=UTF-8",
        body: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><web_service_result xmlns="${WSR_NAMESPACE}"><errorsExist>true</errorsExist><errorList><error><errorCode>GENERAL_ERR`,
      };
    default:
      return {
        status: 503,
        contentType: "text/html;charset=UTF-8",
        body: "<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>",
      };
  }
}
