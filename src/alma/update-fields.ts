/**
 * The user fields an updates CSV (alma.updates) may set, and how each sits in an Alma user record.
 * Pure: read a field's value from a record, write it into a PUT body.
 *
 * Shapes from Alma's rest_user.xsd (shared fixtures xsd/rest_user.xsd) and real records (fixtures
 * users/public_external_sis.DERIVED.xml):
 *   - user_group, job_category, campus_code, preferred_language, status: `<tag desc="…">CODE</tag>`; the
 *     code tables are named in the xsd's `xs:codeTable`: UserGroups, JobTitles (job_category),
 *     UserPreferredLanguage, ContentStructureStatus (status); campus_code names no code table ("Possible
 *     codes are listed in the Campus List of the general configuration menu"), so its codes are not checked.
 *   - expiry_date, purge_date: xs:date, which Alma writes with a trailing Z (`2027-06-30Z`).
 *   - email: the preferred address, contact_info/emails/email[@preferred="true"]/email_address.
 *   - For EXTERNAL users a PUT does not replace user_group, job_category, preferred_language and
 *     campus_code "if updated manually (or if empty in the incoming user record), unless 'override'
 *     parameter is sent with the field's name" (the xsd's documentation of each, and the Developer
 *     Network page "Update User Details", PUT /almaws/v1/users/{user_id}, parameter `override`).
 */
import {
  child,
  childrenOf,
  el,
  insertInOrder,
  tagOf,
  textOf,
  USER_ELEMENT_ORDER,
  type XNode,
} from "./xml.ts";

export const UPDATE_FIELDS = [
  "user_group",
  "expiry_date",
  "purge_date",
  "status",
  "job_category",
  "campus_code",
  "preferred_language",
  "email",
] as const;
export type UpdateField = (typeof UPDATE_FIELDS)[number];

export interface FieldSpec {
  kind: "code" | "date" | "status" | "email";
  /** The Configuration API code table of its codes (GET /almaws/v1/conf/code-tables/{name}). */
  codeTable?: string;
  /** Longest value rest_user.xsd allows (string50Length, string255Length). */
  maxLength?: number;
  /** Named in `override` for an EXTERNAL user, or Alma keeps its value (see the file comment). */
  override?: boolean;
}

export const FIELD_SPECS: Record<UpdateField, FieldSpec> = {
  user_group: { kind: "code", codeTable: "UserGroups", maxLength: 255, override: true },
  expiry_date: { kind: "date" },
  purge_date: { kind: "date" },
  status: { kind: "status" },
  job_category: { kind: "code", codeTable: "JobTitles", maxLength: 255, override: true },
  campus_code: { kind: "code", maxLength: 50, override: true },
  preferred_language: { kind: "code", codeTable: "UserPreferredLanguage", maxLength: 255, override: true },
  email: { kind: "email", maxLength: 255 },
};

export function isUpdateField(name: string): name is UpdateField {
  return (UPDATE_FIELDS as readonly string[]).includes(name);
}

/** The descriptions Alma gives the two statuses (rest_user.xsd example; real records: `desc="Active"`). */
const STATUS_DESC: Record<string, string> = { ACTIVE: "Active", INACTIVE: "Inactive" };

/** A value as compared: dates without Alma's trailing Z (or time), codes and statuses as written. */
export function normalizeValue(field: UpdateField, value: string): string {
  const v = value.trim();
  if (FIELD_SPECS[field].kind === "date") return v.slice(0, 10);
  if (field === "email") return v.toLowerCase();
  return v;
}

/** Whether two values of a field are the same (e-mail addresses compared case-insensitively). */
export function sameValue(field: UpdateField, a: string, b: string): boolean {
  return normalizeValue(field, a) === normalizeValue(field, b);
}

function preferredEmail(user: XNode): XNode | undefined {
  const emails = child(child(user, "contact_info") ?? { x: [] }, "emails");
  if (!emails) return undefined;
  return childrenOf(emails).find(
    (n) => tagOf(n) === "email" && (n[":@"]?.["@_preferred"] ?? "").toLowerCase() === "true",
  );
}

/** The field's value in a record ("" when absent), as Alma wrote it. */
export function readField(user: XNode, field: UpdateField): string {
  if (field === "email") {
    const e = preferredEmail(user);
    const a = e && child(e, "email_address");
    return a ? textOf(a).trim() : "";
  }
  const n = child(user, field);
  return n ? textOf(n).trim() : "";
}

/** Whether the record has a place for the value (every field but an e-mail without a preferred address). */
export function canWrite(user: XNode, field: UpdateField): boolean {
  return field !== "email" || preferredEmail(user) !== undefined;
}

/** The value as written to Alma: dates in Alma's own form with the trailing Z (`2027-06-30Z`). */
export function almaForm(field: UpdateField, value: string): string {
  if (!value.trim()) return "";
  return FIELD_SPECS[field].kind === "date" ? `${normalizeValue(field, value)}Z` : value.trim();
}

/**
 * Writes `value` into the record (a PUT body being built) in place. A code's `desc` becomes `desc` when
 * the plan knows it (the code table's description) and is left out otherwise (Alma fills it in from the
 * code table); a status gets Alma's own description.
 */
export function writeField(user: XNode, field: UpdateField, value: string, desc?: string): void {
  const text = almaForm(field, value);
  if (field === "email") {
    const e = preferredEmail(user);
    if (!e) throw new Error("the user has no preferred e-mail address to replace");
    const a = child(e, "email_address");
    if (a) a.email_address = [{ "#text": text }];
    else childrenOf(e).unshift(el("email_address", text));
    return;
  }
  const list = childrenOf(user);
  const at = list.findIndex((n) => tagOf(n) === field);
  if (!text) {
    // An empty value (a revert putting back a field that was absent): the element is left out.
    if (at >= 0) list.splice(at, 1);
    return;
  }
  const spec = FIELD_SPECS[field];
  const d = spec.kind === "status" ? STATUS_DESC[text] : spec.kind === "code" ? desc : undefined;
  const node = el(field, text, d ? { desc: d } : undefined);
  if (at >= 0) list[at] = node;
  else insertInOrder(user, node, USER_ELEMENT_ORDER);
}

/** The elements of a record a field's change touches (the guard compares everything else unchanged). */
export function fieldElement(field: UpdateField): string {
  return field === "email" ? "contact_info" : field;
}
