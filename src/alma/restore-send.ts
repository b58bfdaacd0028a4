/**
 * Applying one `restore` entry of a revert plan (issue #13): re-read the user, check that its barcode
 * identifiers are still as the reverted apply left them (the fingerprint Alma returned then: values exactly,
 * statuses, segment_types and notes, issue #17 G), put the
 * snapshot back, guard the body, PUT it, and check what Alma returns. A user whose barcodes changed
 * since is skipped as `changed-since-apply` and never overwritten.
 */
import {
  fingerprintLike,
  identifierFingerprint,
  identifiersOfType,
  isActive,
  WHOLE_FINGERPRINT,
} from "./identifiers.ts";
import type { AlmaPlanEntry } from "./planfile.ts";
import { guardRestore, restoreBody, snapshotFingerprint, type SavedIdentifier } from "./restore.ts";
import { parseUser, userXml, type XNode } from "./xml.ts";

export interface RestoreResult {
  primary_id: string;
  status: "updated" | "unchanged" | "skipped" | "failed";
  message: string;
}

export interface RestoreDeps {
  getUser: (id: string) => Promise<string>;
  putUser: (id: string, xml: string) => Promise<string>;
  /** Called just before the PUT (the journal's `sending` line). */
  sending: () => void;
  barcodeType: string;
}

function actives(user: XNode, type: string): string {
  const v = identifiersOfType(user, type)
    .filter(isActive)
    .map((i) => i.value);
  return v.join(", ") || "none";
}

/** `wasSending`: an interrupted run sent this PUT and did not hear back. */
export async function sendRestore(
  e: AlmaPlanEntry,
  d: RestoreDeps,
  wasSending: boolean,
): Promise<RestoreResult> {
  const id = e.primary_id;
  const type = d.barcodeType;
  const saved: SavedIdentifier[] = e.restore?.identifiers ?? [];
  // The whole identifiers (value exactly, status, segment_type, note), as the snapshot holds them.
  const target = snapshotFingerprint(saved, type, identifierFingerprint);
  const fresh = parseUser(await d.getUser(id));
  if (identifierFingerprint(fresh, type) === target) {
    return wasSending
      ? {
          primary_id: id,
          status: "updated",
          message: `${type} identifiers restored by the interrupted run (confirmed on re-read)`,
        }
      : {
          primary_id: id,
          status: "unchanged",
          message: `the ${type} identifiers are already as before the apply; nothing sent`,
        };
  }
  // A journal of an older patron-sync recorded only values (case-folded) and statuses: compared as such.
  if (fingerprintLike(e.fingerprint, fresh, type) !== e.fingerprint) {
    const what = e.fingerprint?.startsWith(WHOLE_FINGERPRINT)
      ? "a value, its case, a status, a segment_type or a note"
      : "a value or a status";
    return {
      primary_id: id,
      status: "skipped",
      message: `changed-since-apply: the user's ${type} identifiers changed after the apply being reverted (${what}; ACTIVE now: ${actives(fresh, type)}); not overwritten. Fix this user by hand in Alma.`,
    };
  }
  const body = restoreBody(fresh, saved, type);
  const problems = guardRestore(fresh, body, saved, type);
  if (problems.length)
    return {
      primary_id: id,
      status: "failed",
      message: `not sent: the PUT-body guard refused it: ${problems.join("; ")}`,
    };
  d.sending();
  const returned = parseUser(await d.putUser(id, userXml(body)));
  if (identifierFingerprint(returned, type) !== target) {
    return {
      primary_id: id,
      status: "failed",
      message: `Alma accepted the update but the returned record's ${type} identifiers are not those before the apply (ACTIVE now: ${actives(returned, type)}); check the user in Alma`,
    };
  }
  return {
    primary_id: id,
    status: "updated",
    message: `${type} identifiers restored (ACTIVE now: ${actives(returned, type)})`,
  };
}
