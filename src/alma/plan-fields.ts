/**
 * The field-update half of an Alma plan entry (alma.updates): the fields, the action and message they
 * give together with the barcode decision, and the EXTERNAL user's warning.
 */
import { describeFields, overrideFor, writes, type FieldChange } from "./field-plan.ts";
import { employeeIdOf, same } from "./identifiers.ts";
import type { AlmaPlanEntry } from "./planfile.ts";
import type { UpdateRow } from "./updates.ts";
import { childText, type XNode } from "./xml.ts";

/** Why the record read for an updates row named by its match_on identifier is not that user. */
export function matchOnMismatch(id: string, user: XNode, matchOn: string): string | undefined {
  const has = employeeIdOf(user, matchOn);
  if (has && same(has, id)) return undefined;
  const pid = childText(user, "primary_id")?.trim() ?? "";
  return `Alma answered ${id} with the record of primary ID ${pid || "(none)"}, whose ACTIVE ${matchOn} is ${has ?? "(none)"}, not ${id}; not written. Check the ID in the updates file`;
}

/**
 * For an EXTERNAL user: the SIS may put its own values back. Alma documents that a SIS synch does not
 * replace user_group, job_category, preferred_language and campus_code when they were updated manually
 * (rest_user.xsd); for the other fields that a later SIS load restores the SIS value is an assumption:
 * the plan says "may".
 */
export function externalFieldWarning(fields: readonly FieldChange[], override: readonly string[]): string {
  const names = fields.filter(writes).map((f) => f.field);
  return (
    `EXTERNAL user (loaded from the student information system): a later SIS load may restore ${names.join(", ")}; correct it in the SIS as well` +
    (override.length
      ? `. The PUT names ${override.join(", ")} in override, as Alma requires to replace them`
      : "")
  );
}

/**
 * Adds the fields to a plan entry and settles its action: the barcode's change when there is one
 * (the fields ride along in the same PUT), else `update` when a field changes, else the barcode's
 * outcome (or `unchanged`).
 */
export function addFields(
  entry: AlmaPlanEntry,
  user: XNode,
  row: UpdateRow,
  fields: FieldChange[],
  listedId: string,
  barcodeChanges: boolean,
): void {
  entry.fields = fields;
  entry.update_line = row.line;
  if (!same(listedId, entry.primary_id)) entry.update_id = listedId;
  const written = fields.filter(writes);
  const what = written.length ? describeFields(fields) : "";
  const refused = fields.filter((f) => f.refused).map((f) => `${f.field}: ${f.refused}`);
  const held = fields.filter((f) => f.held);
  if (held.length) refused.push(`${held.map((f) => f.field).join(", ")} ${held[0]!.held}`);
  const override = overrideFor(user, fields);
  if (override.length) entry.override = override;
  const external = (childText(user, "account_type") ?? "").trim().toUpperCase() === "EXTERNAL";
  if (external && written.length) {
    const w = externalFieldWarning(fields, override);
    entry.warning = entry.warning ? `${entry.warning}. ${w}` : w;
  }
  const unchangedNote = written.length || held.length ? "" : "every field is already as asked";
  const parts = [what || unchangedNote, ...refused].filter(Boolean);
  if (barcodeChanges) entry.message = `${entry.message}; ${parts.join("; ")}`;
  else if (written.length) {
    entry.message = entry.message
      ? `${parts.join("; ")}; barcode: ${entry.action}: ${entry.message}`
      : parts.join("; ");
    entry.action = "update";
  } else if (held.length && entry.action === "unchanged" && !entry.message) {
    entry.action = "held";
    entry.message = parts.filter(Boolean).join("; ");
  } else entry.message = entry.message ? `${entry.message}; ${parts.join("; ")}` : parts.join("; ");
}
