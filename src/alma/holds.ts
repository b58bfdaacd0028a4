/**
 * Alma's part of "a revert stays reverted" (core/holds.ts): a revert holds every user it restores,
 * keyed by primary ID, against the barcode the reverted plan wrote (change `barcode`). The plan skips
 * the change while the barcode list still gives that user the same barcode (`held`), and plans it as
 * usual once the list gives another.
 */
import { heldChange, heldMessage, type Holds } from "../core/holds.ts";
import type { Decision } from "./decide.ts";

/** The change a barcode hold is on. */
export const BARCODE_HOLD = "barcode";

/** The change a field hold is on (alma.updates): `field:user_group`, held against the value set. */
export const fieldHold = (field: string): string => `field:${field}`;

/** The hold that keeps a field of `primaryId` from being set to `value` again, or undefined. */
export function fieldHeld(holds: Holds | undefined, primaryId: string, field: string, value: string) {
  return heldChange(holds, holdKey(primaryId), fieldHold(field), value);
}

/** A user's hold key: primary IDs compare without case, as Alma does. */
export const holdKey = (primaryId: string): string => primaryId.toLowerCase();

/** The hold that keeps decision `d` for `primaryId` from being planned, or undefined. */
export function barcodeHold(holds: Holds | undefined, primaryId: string, d: Pick<Decision, "change">) {
  return d.change ? heldChange(holds, holdKey(primaryId), BARCODE_HOLD, d.change.barcode) : undefined;
}

export { heldMessage };
