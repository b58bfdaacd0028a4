/**
 * Applying a `restore` entry of a revert plan that puts fields back (alma.updates, issue #20 §5), with the
 * barcode identifiers when the reverted apply changed them too: one re-read, one PUT. Each field is
 * compared with what the reverted apply set: still so (put back), already as before (done), or changed
 * since (skipped as `changed-since-apply`, never overwritten). The barcode identifiers follow the barcode
 * restore's rules (restore-send.ts): changed since the apply, the whole user is skipped.
 */
import { guardBody, isRemovable } from "./body.ts";
import { overrideFor, type FieldChange } from "./field-plan.ts";
import { fingerprintLike, identifierFingerprint, WHOLE_FINGERPRINT } from "./identifiers.ts";
import type { AlmaPlanEntry } from "./planfile.ts";
import { guardRestore, restoreBody, snapshotFingerprint, type SavedIdentifier } from "./restore.ts";
import type { RestoreResult } from "./restore-send.ts";
import { normalizeValue, readField, sameValue, writeField, type UpdateField } from "./update-fields.ts";
import { child, childrenOf, deepClone, parseUser, tagOf, userXml, type XNode } from "./xml.ts";

export interface RestoredField {
  field: string;
  before: string;
  after: string;
}

export interface FieldRestoreDeps {
  getUser: (id: string) => Promise<string>;
  putUser: (id: string, xml: string, override: readonly string[]) => Promise<string>;
  sending: () => void;
  barcodeType: string;
}

/** The record as fetched, with what a PUT leaves out left out (the base of a body without a barcode change). */
function plainBody(fetched: XNode): XNode {
  const body: XNode = {
    [tagOf(fetched)!]: childrenOf(fetched)
      .filter((n) => !isRemovable(n))
      .map(deepClone),
  };
  if (fetched[":@"]) body[":@"] = deepClone(fetched[":@"]);
  return body;
}

export async function sendFieldRestore(
  e: AlmaPlanEntry,
  d: FieldRestoreDeps,
  wasSending: boolean,
): Promise<RestoreResult> {
  const id = e.primary_id;
  const type = d.barcodeType;
  const saved: SavedIdentifier[] = e.restore?.identifiers ?? [];
  const fields = (e.restore?.fields ?? []) as RestoredField[];
  const fresh = parseUser(await d.getUser(id));
  const target = snapshotFingerprint(saved, type, identifierFingerprint);
  const barcodes = identifierFingerprint(fresh, type) !== target;
  if (barcodes && fingerprintLike(e.fingerprint, fresh, type) !== e.fingerprint) {
    const what = e.fingerprint?.startsWith(WHOLE_FINGERPRINT)
      ? "a value, its case, a status, a segment_type or a note"
      : "a value or a status";
    return {
      primary_id: id,
      status: "skipped",
      message: `changed-since-apply: the user's ${type} identifiers changed after the apply being reverted (${what}); not overwritten (no field was put back either). Fix this user by hand in Alma.`,
    };
  }
  const back: FieldChange[] = [];
  const drift: string[] = [];
  for (const f of fields) {
    const field = f.field as UpdateField;
    const now = normalizeValue(field, readField(fresh, field));
    if (sameValue(field, now, f.before)) continue; // already as before the apply
    if (sameValue(field, now, f.after)) back.push({ field, before: f.after, after: f.before });
    else
      drift.push(`${field} is now '${now || "(empty)"}', not '${f.after || "(empty)"}' as the apply set it`);
  }
  const driftNote = drift.length ? `changed-since-apply: ${drift.join("; ")}; not overwritten` : "";
  if (!barcodes && !back.length) {
    if (drift.length) return { primary_id: id, status: "skipped", message: driftNote };
    return wasSending
      ? {
          primary_id: id,
          status: "updated",
          message: "restored by the interrupted run (confirmed on re-read)",
        }
      : { primary_id: id, status: "unchanged", message: "already as before the apply; nothing sent" };
  }
  const body = barcodes ? restoreBody(fresh, saved, type) : plainBody(fresh);
  for (const f of back) writeField(body, f.field, f.after);
  // Two guards: the fields alone differ from the fresh record (identifiers compared apart), and the
  // identifiers are exactly the snapshot with everything else as the fresh record with those fields.
  const sameIds = deepClone(body);
  const ids = child(fresh, "user_identifiers");
  const list = childrenOf(sameIds);
  const at = list.findIndex((n) => tagOf(n) === "user_identifiers");
  if (at >= 0 && ids) list[at] = deepClone(ids);
  const expected = deepClone(fresh);
  for (const f of back) writeField(expected, f.field, f.after);
  const problems = [
    ...guardBody(fresh, sameIds, undefined, type, back),
    ...(barcodes ? guardRestore(expected, body, saved, type) : []),
  ];
  if (problems.length)
    return {
      primary_id: id,
      status: "failed",
      message: `not sent: the PUT-body guard refused it: ${problems.join("; ")}`,
    };
  d.sending();
  const returned = parseUser(await d.putUser(id, userXml(body), overrideFor(fresh, back)));
  const lost = back.filter((f) => !sameValue(f.field, readField(returned, f.field), f.after));
  if (lost.length || (barcodes && identifierFingerprint(returned, type) !== target))
    return {
      primary_id: id,
      status: "failed",
      message: `Alma accepted the update but the returned record is not as before the apply (${[
        ...lost.map((f) => `${f.field} '${readField(returned, f.field)}'`),
        ...(barcodes && identifierFingerprint(returned, type) !== target ? [`${type} identifiers`] : []),
      ].join(", ")}); check the user in Alma`,
    };
  const what = [
    barcodes ? `${type} identifiers restored` : "",
    back.length
      ? `put back ${back.map((f) => `${f.field} ${f.before} → ${f.after || "(empty)"}`).join("; ")}`
      : "",
    driftNote,
  ].filter(Boolean);
  return { primary_id: id, status: "updated", message: what.join("; ") };
}
