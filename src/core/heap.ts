/**
 * How much V8 lets the heap grow while Alma records stream through plan and apply.
 *
 * Planning or applying allocates many short-lived objects per patron (the XML tree, the body, the
 * HTTP exchange) while keeping only a few tens of MB of real data (the patron and barcode lists).
 * V8's default heuristics let such a heap grow to several times what is in use: 100,000 patrons
 * planned at 423 MB peak RSS. `--heap-growing-percent=20` lets the old generation grow only 1.2×
 * past what a full collection leaves alive (206–210 MB for the same plan). It is a growth rate, not a
 * limit: a bigger list still fits.
 *
 * It is set only around the Alma streaming work. Where live data does grow, as when the Infiniti
 * roster is validated (100,000 rows held for the diff), a 1.2× step means a full collection every
 * few MB: validate took 2.0–2.3 s under it instead of 1.2–1.8 s.
 */
import { setFlagsFromString } from "node:v8";

export async function withStreamingHeap<T>(work: () => T | Promise<T>): Promise<T> {
  setFlagsFromString("--heap-growing-percent=20");
  try {
    return await work();
  } finally {
    setFlagsFromString("--heap-growing-percent=0"); // 0: V8's own heuristics again
  }
}
