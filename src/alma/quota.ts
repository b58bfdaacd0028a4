/**
 * Quota awareness for scheduled runs: a scheduled plan reads X-Exl-Api-Remaining from its first call and does
 * not start a plan it could not finish above alma.min_remaining. Ending that way is not a failure: nothing was
 * sent, and the next scheduled run tries again.
 */

export { NotStartedError } from "../core/errors.ts";

/** Calls a plan still needs: one GET per patron not read yet, and one more each with the holder check. */
export function callsNeeded(patronsLeft: number, checkHolders: boolean): number {
  return patronsLeft * (checkHolders ? 2 : 1);
}

/** Undefined when the plan can finish above the floor; else why not, in one sentence. */
export function quotaShortfall(remaining: number, needed: number, minRemaining: number): string | undefined {
  if (remaining - needed >= minRemaining) return undefined;
  return `The scheduled Alma plan was not started: Alma reports ${remaining} API calls left today, the plan needs about ${needed}, and alma.min_remaining keeps ${minRemaining} in reserve. Nothing was sent; the next scheduled run tries again (or run the plan by hand).`;
}
