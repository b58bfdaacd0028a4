/**
 * Apply for a planned entry that sets fields (alma.updates), alone or with a barcode change in the same
 * PUT. The user was re-read; each field is compared with the plan's `before`: at the asked value already
 * (done), still as planned (written), or changed since the plan (skipped as `changed-since-plan`, never
 * overwritten). Every field written is re-derived from the updates CSV at the plan's commit, the barcode
 * change from the barcode list (rederive.ts), and the body guard allows only those to differ.
 */
import { guardBody, putBody } from "./body.ts";
import { decide } from "./decide.ts";
import { describeFields, overrideFor, writes, type FieldChange } from "./field-plan.ts";
import { barcodeFingerprint, hasEndState, identifierFingerprint, type BarcodeChange } from "./identifiers.ts";
import type { AlmaPlanEntry } from "./planfile.ts";
import { fieldsMismatch, mismatch, type AlmaDerivation } from "./rederive.ts";
import { snapshotIdentifiers, type SavedIdentifier } from "./restore.ts";
import { normalizeValue, readField, sameValue, type UpdateField } from "./update-fields.ts";
import { parseUser, userXml, type XNode } from "./xml.ts";

/** A field as it was just before the PUT: what a revert puts back. */
export interface FieldBefore {
  field: UpdateField;
  before: string;
  after: string;
}

export interface FieldSendDeps {
  barcodeType: string;
  derivation: AlmaDerivation | undefined;
  /** Journals `sending` (with what a revert needs) just before the PUT. */
  sending: (before: SavedIdentifier[], fields: FieldBefore[]) => void;
  putUser: (xml: string, override: readonly string[]) => Promise<string>;
  /** The journal line of a PUT an interrupted run sent and did not hear back. */
  sent?: { before?: SavedIdentifier[]; fields?: FieldBefore[] };
}

export interface FieldSendResult {
  status: "updated" | "unchanged" | "skipped" | "failed";
  message: string;
  applied?: { before: SavedIdentifier[]; after: string; fields?: FieldBefore[] };
}

const BARCODE_ACTIONS = new Set(["add", "deactivate", "replace"]);

export async function sendWithFields(
  e: AlmaPlanEntry,
  fresh: XNode,
  deps: FieldSendDeps,
): Promise<FieldSendResult> {
  const type = deps.barcodeType;
  const failed = (message: string): FieldSendResult => ({ status: "failed", message });
  if (!deps.derivation) return failed("not sent: a revert plan holds only restores");
  const derivation = deps.derivation;
  const notFollow = (why: string) =>
    failed(`not sent: the planned change does not follow from ${derivation.label}: ${why}. Plan again.`);

  // The barcode half, as for a barcode-only entry.
  let change: BarcodeChange | undefined;
  let barcodeDone = false;
  if (BARCODE_ACTIONS.has(e.action)) {
    const planned: BarcodeChange = {
      kind: e.action as BarcodeChange["kind"],
      barcode: e.new_barcode ?? "",
      affected: e.affected ?? [],
      reactivate: e.reactivate ?? false,
    };
    if (hasEndState(fresh, planned, type)) barcodeDone = true;
    else if (barcodeFingerprint(fresh, type) !== e.fingerprint)
      return {
        status: "skipped",
        message: `changed-since-plan: the user's ${type} identifiers changed after the plan; not overwritten (no field was written either). Plan again to include this user.`,
      };
    else {
      const d = decide(fresh, derivation.lookup, derivation.config);
      const why = mismatch(e, d);
      if (why || !d.change) return notFollow(why ?? "no change");
      change = d.change;
    }
  }

  // The field half.
  const why = fieldsMismatch(e, derivation.updates);
  if (why) return notFollow(why);
  const toWrite: FieldChange[] = [];
  const done: FieldChange[] = [];
  const drift: string[] = [];
  for (const f of (e.fields ?? []).filter(writes)) {
    const now = normalizeValue(f.field, readField(fresh, f.field));
    if (sameValue(f.field, now, f.after)) done.push(f);
    else if (sameValue(f.field, now, f.before)) toWrite.push(f);
    else drift.push(`${f.field} is now '${now || "(empty)"}', not '${f.before || "(empty)"}' as planned`);
  }
  const driftNote = drift.length
    ? `changed-since-plan: ${drift.join("; ")}; not overwritten. Plan again to include ${drift.length === 1 ? "it" : "them"}`
    : "";

  if (!change && !toWrite.length) {
    if (deps.sent && (barcodeDone || done.length))
      return {
        status: "updated",
        message: `stored by the interrupted run (confirmed on re-read)${driftNote ? `; ${driftNote}` : ""}`,
        ...(deps.sent.before && {
          applied: {
            before: deps.sent.before,
            after: identifierFingerprint(fresh, type),
            ...(deps.sent.fields && { fields: deps.sent.fields }),
          },
        }),
      };
    if (drift.length) return { status: "skipped", message: driftNote };
    return { status: "unchanged", message: "already as planned; nothing sent" };
  }

  const body = putBody(fresh, change, type, toWrite);
  const problems = guardBody(fresh, body, change, type, toWrite);
  if (problems.length) return failed(`not sent: the PUT-body guard refused it: ${problems.join("; ")}`);
  const saved = snapshotIdentifiers(fresh, type);
  const fieldsBefore: FieldBefore[] = toWrite.map((f) => ({
    field: f.field,
    before: normalizeValue(f.field, readField(fresh, f.field)),
    after: f.after,
  }));
  deps.sending(saved, fieldsBefore);
  const returned = parseUser(await deps.putUser(userXml(body), overrideFor(fresh, toWrite)));
  const lost = toWrite.filter((f) => !sameValue(f.field, readField(returned, f.field), f.after));
  if (lost.length || (change && !hasEndState(returned, change, type)))
    return failed(
      `Alma accepted the update but the returned record does not carry ${[
        ...lost.map((f) => `${f.field} '${f.after}' (it has '${readField(returned, f.field)}')`),
        ...(change && !hasEndState(returned, change, type) ? [`${type} ${change.barcode} as ACTIVE`] : []),
      ].join(", ")}; check the user in Alma`,
    );
  const what = [
    change
      ? `${type} ${change.barcode} ${change.kind === "add" ? "added" : `added; ${change.affected.join(", ")} ${change.kind === "deactivate" ? "set INACTIVE" : "removed"}`}`
      : "",
    describeFields(toWrite),
    driftNote,
  ].filter(Boolean);
  return {
    status: "updated",
    message: what.join("; "),
    applied: { before: saved, after: identifierFingerprint(returned, type), fields: fieldsBefore },
  };
}
