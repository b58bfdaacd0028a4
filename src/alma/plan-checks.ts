/**
 * Two checks of the Alma plan that keep a barcode from going to the wrong user.
 *
 * identity-mismatch (issue #9 §4): with user_id_type=all_unique Alma answers an ID with whichever user holds
 * that value as *any* identifier, so the record read may be another user's. The record's primary_id must
 * equal the listed ID (ignoring case); plan and apply both check it, and such a patron is never written.
 *
 * held-by-other (issue #9 §5): before planning a new barcode, ask Alma who holds it
 * (GET /users/{barcode}?user_id_type=<barcode_type>): one call per planned change, through the same paced
 * transport. A holder other than the patron makes the change `held-by-other`, naming the holder; "not found"
 * (401861) means the barcode is free. Turned off with alma.check_holders: false.
 */
import type { AlmaClient } from "./client.ts";
import { AlmaApiError, NOT_FOUND_CODES } from "./errors.ts";
import { parseUser, childText, type XNode } from "./xml.ts";

const fold = (s: string) => s.trim().toLowerCase();

/** Why the record read is not the listed patron, or undefined when it is. */
export function identityMismatch(listedId: string, user: XNode): string | undefined {
  const read = childText(user, "primary_id")?.trim() ?? "";
  if (fold(read) === fold(listedId)) return undefined;
  return `Alma answered ${listedId} with the record of ${read ? `another user (primary ID ${read})` : "a user without a primary ID"}, who holds ${listedId} as some other identifier; this patron is not written. Check the ID in the patron list`;
}

export class IdentityMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IdentityMismatchError";
  }
}

/** Apply's re-read: the record as read, or IdentityMismatchError when it is another user's. */
export function identityChecked(listedId: string, xml: string): string {
  const why = identityMismatch(listedId, parseUser(xml));
  if (why) throw new IdentityMismatchError(`identity-mismatch: ${why}`);
  return xml;
}

/** The primary ID of the user other than `self` holding `barcode` as `idType`, or undefined if none does. */
export async function otherHolder(
  client: AlmaClient,
  barcode: string,
  idType: string,
  self: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  let xml: string;
  try {
    xml = await client.findByIdentifier(barcode, idType, signal);
  } catch (e) {
    if (e instanceof AlmaApiError && NOT_FOUND_CODES.has(e.code)) return undefined;
    throw e;
  }
  const holder = childText(parseUser(xml), "primary_id")?.trim() ?? "";
  return fold(holder) === fold(self) ? undefined : holder || "(a user without a primary ID)";
}

export function heldByOtherMessage(barcode: string, idType: string, holder: string): string {
  // What the plan avoids, not Alma's documented answer: 401851 ("identifier already exists") is documented
  // for creating a user (POST); what a PUT does with an identifier another user holds is not documented.
  return `${idType} ${barcode} is already held by another Alma user (primary ID ${holder}); not planned, so that no two users hold the same identifier. Find out which user should have it`;
}
