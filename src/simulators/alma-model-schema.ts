/**
 * The schema table (USER_SPEC, in the element order of Alma's rest_user.xsd) that drives parsing and
 * rendering of both wire forms, and the defaults and copies it gives. Sources: see alma-model.ts.
 */
import type {
  AlmaBlock,
  AlmaContactInfo,
  AlmaIdentifier,
  AlmaLibraryNotice,
  AlmaNote,
  AlmaProxyForUser,
  AlmaRole,
  AlmaRsLibrary,
  AlmaStatistic,
  AlmaUser,
  AlmaUserInit,
  CodeItem,
} from "./alma-model-types.ts";

// ---------------------------------------------------------------------------------------------------------
// The schema table

export type ListOf = { readonly item: string; readonly of: "code" | ObjSpec };
type Kind = "str" | "code" | "bool" | "special" | ObjSpec | ListOf;
export interface ObjSpec {
  readonly fields: readonly FieldSpec[];
}
export interface FieldSpec {
  /** Element (or attribute) name. */
  readonly x: string;
  /** Model key. */
  readonly k: string;
  readonly kind: Kind;
  readonly attr?: boolean;
  /** Rendered even when empty (as Alma does for these). */
  readonly always?: boolean;
}

const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

function fld(x: string, kind: Kind, opts: { k?: string; always?: boolean } = {}): FieldSpec {
  return { x, k: opts.k ?? camel(x), kind, always: opts.always };
}
const always = (x: string, kind: Kind, k?: string): FieldSpec => fld(x, kind, { k, always: true });
const attr = (x: string, kind: "str" | "bool"): FieldSpec => ({ x, k: camel(x), kind, attr: true });
const list = (x: string, item: string, of: "code" | ObjSpec, k?: string): FieldSpec =>
  fld(x, { item, of }, { k, always: true });
const obj = (...fields: FieldSpec[]): ObjSpec => ({ fields });

const SEGMENT = attr("segment_type", "str");

const PARAMETER = obj(fld("type", "code"), fld("scope", "code"), fld("value", "code"));
const ROLE = obj(
  fld("status", "code"),
  fld("scope", "code"),
  fld("role_type", "code"),
  fld("expiry_date", "str"),
  list("parameters", "parameter", PARAMETER),
);
const IDENTIFIER = obj(
  SEGMENT,
  fld("id_type", "code"),
  fld("value", "str"),
  fld("note", "str"),
  fld("status", "str"),
);
const ADDRESS = obj(
  attr("preferred", "bool"),
  SEGMENT,
  ...["line1", "line2", "line3", "line4", "line5", "city", "state_province", "postal_code"].map((x) =>
    fld(x, "str"),
  ),
  fld("country", "code"),
  fld("address_note", "str"),
  fld("start_date", "str"),
  fld("end_date", "str"),
  list("address_types", "address_type", "code"),
);
export const EMAIL = obj(
  attr("preferred", "bool"),
  SEGMENT,
  fld("email_address", "str"),
  fld("description", "str"),
  list("email_types", "email_type", "code"),
);
const PHONE = obj(
  attr("preferred", "bool"),
  attr("preferred_sms", "bool"),
  SEGMENT,
  fld("phone_number", "str"),
  list("phone_types", "phone_type", "code"),
);
export const CONTACT_INFO = obj(
  list("addresses", "address", ADDRESS),
  list("emails", "email", EMAIL),
  list("phones", "phone", PHONE),
);
const BLOCK = obj(
  SEGMENT,
  fld("block_type", "code"),
  fld("block_description", "code"),
  fld("block_status", "str"),
  fld("block_note", "str"),
  fld("created_by", "str"),
  fld("created_date", "str"),
  fld("expiry_date", "str"),
  fld("item_loan_id", "str"),
);
const NOTE = obj(
  SEGMENT,
  fld("note_type", "code"),
  fld("note_text", "str"),
  fld("user_viewable", "bool"),
  fld("popup_note", "bool"),
  fld("created_by", "str"),
  fld("created_date", "str"),
);
const STATISTIC = obj(
  SEGMENT,
  fld("statistic_category", "code"),
  fld("category_type", "code"),
  fld("statistic_note", "str"),
);
const PROXY = obj(attr("link", "str"), fld("primary_id", "str"), fld("full_name", "str"));
const RS_LIBRARY = obj(fld("code", "code"));
const LIBRARY_NOTICE = obj(fld("code", "code"), fld("value", "bool"));

/** The `<user>` element, in rest_user.xsd order. `researcher` (Esploro) is not modelled and is ignored. */
export const USER_SPEC: ObjSpec = obj(
  always("record_type", "code"),
  always("primary_id", "str"),
  always("first_name", "str"),
  always("middle_name", "str"),
  always("last_name", "str"),
  always("full_name", "special"),
  always("pin_number", "special"),
  always("user_title", "code"),
  always("job_category", "code"),
  always("job_description", "str"),
  always("gender", "code"),
  always("user_group", "code"),
  always("campus_code", "code"),
  always("web_site_url", "str"),
  always("cataloger_level", "code"),
  always("preferred_language", "code"),
  fld("birth_date", "str"),
  fld("expiry_date", "str"),
  fld("purge_date", "str"),
  always("account_type", "code"),
  always("external_id", "str"),
  always("password", "special"),
  always("force_password_change", "str"),
  always("status", "code"),
  fld("status_date", "str"),
  fld("last_patron_activity_date", "str"),
  always("requests", "special"),
  always("loans", "special"),
  always("fees", "special"),
  always("contact_info", CONTACT_INFO),
  list("user_identifiers", "user_identifier", IDENTIFIER, "identifiers"),
  list("user_roles", "user_role", ROLE, "roles"),
  list("user_blocks", "user_block", BLOCK, "blocks"),
  list("user_notes", "user_note", NOTE, "notes"),
  list("user_statistics", "user_statistic", STATISTIC, "statistics"),
  list("proxy_for_users", "proxy_for_user", PROXY),
  fld("rs_libraries", { item: "rs_library", of: RS_LIBRARY }),
  fld("library_notices", { item: "library_notice", of: LIBRARY_NOTICE }),
  fld("source_link_id", "str"),
  fld("source_institution_code", "str"),
  fld("linking_id", "str"),
  always("pref_first_name", "str"),
  always("pref_middle_name", "str"),
  always("pref_last_name", "str"),
  always("pref_name_suffix", "str"),
  always("is_researcher", "bool"),
);

export const isList = (k: Kind): k is ListOf => typeof k === "object" && "item" in k;
export const isObj = (k: Kind): k is ObjSpec => typeof k === "object" && "fields" in k;

function collectItems(spec: ObjSpec, into: Set<string>): Set<string> {
  for (const f of spec.fields) {
    if (isList(f.kind)) {
      into.add(f.kind.item);
      if (f.kind.of !== "code") collectItems(f.kind.of, into);
    } else if (isObj(f.kind)) collectItems(f.kind, into);
  }
  return into;
}
/** Every list item element name (parsed as arrays even when there is one). */
export const LIST_ITEMS = collectItems(USER_SPEC, new Set());

/** The top-level XML element names of a user, in rest_user.xsd order. */
export const USER_ELEMENTS: readonly string[] = USER_SPEC.fields.map((f) => f.x);

/** Descriptions Alma fills in from the User Identifier Types code table when a PUT sent none. */
export const ID_TYPE_DESC: Record<string, string> = {
  BARCODE: "Barcode",
  UNIV_ID: "University ID",
  INST_ID: "Institution ID",
  NET_ID: "Network ID",
  ADDL_ID_1: "Additional ID 1",
  OTHER_ID_1: "Other ID 1",
};

// ---------------------------------------------------------------------------------------------------------
// Defaults and copies

/**
 * A full user from a partial one: missing fields get the values Alma shows for an empty record.
 * Always a deep copy (only the fields of the model are kept). The top level is one object literal
 * with every key (undefined when absent) so that 100,000 stored users share one compact shape.
 */
export function normalizeUser(init: AlmaUserInit): AlmaUser {
  const u = init as unknown as Record<string, unknown>;
  const opt = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
  const str = (v: unknown): string => (typeof v === "string" ? v : "");
  const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  const lists = copyFields(LISTS_SPEC, u);
  return {
    recordType: str(u.recordType),
    recordTypeDesc: opt(u.recordTypeDesc),
    primaryId: str(u.primaryId),
    firstName: str(u.firstName),
    middleName: str(u.middleName),
    lastName: str(u.lastName),
    pinSet: u.pinSet === true,
    userTitle: str(u.userTitle),
    userTitleDesc: opt(u.userTitleDesc),
    jobCategory: str(u.jobCategory),
    jobCategoryDesc: opt(u.jobCategoryDesc),
    jobDescription: str(u.jobDescription),
    gender: str(u.gender),
    genderDesc: opt(u.genderDesc),
    userGroup: str(u.userGroup),
    userGroupDesc: opt(u.userGroupDesc),
    campusCode: str(u.campusCode),
    campusCodeDesc: opt(u.campusCodeDesc),
    webSiteUrl: str(u.webSiteUrl),
    catalogerLevel: str(u.catalogerLevel),
    catalogerLevelDesc: opt(u.catalogerLevelDesc),
    preferredLanguage: str(u.preferredLanguage),
    preferredLanguageDesc: opt(u.preferredLanguageDesc),
    birthDate: opt(u.birthDate),
    expiryDate: opt(u.expiryDate),
    purgeDate: opt(u.purgeDate),
    accountType: str(u.accountType),
    accountTypeDesc: opt(u.accountTypeDesc),
    externalId: str(u.externalId),
    passwordSet: u.passwordSet === true,
    forcePasswordChange: str(u.forcePasswordChange),
    status: str(u.status),
    statusDesc: opt(u.statusDesc),
    statusDate: opt(u.statusDate),
    lastPatronActivityDate: opt(u.lastPatronActivityDate),
    requests: num(u.requests),
    loans: num(u.loans),
    fees: num(u.fees),
    contactInfo: lists.contactInfo as AlmaContactInfo,
    identifiers: lists.identifiers as AlmaIdentifier[],
    roles: lists.roles as AlmaRole[],
    blocks: lists.blocks as AlmaBlock[],
    notes: lists.notes as AlmaNote[],
    statistics: lists.statistics as AlmaStatistic[],
    proxyForUsers: lists.proxyForUsers as AlmaProxyForUser[],
    rsLibraries: lists.rsLibraries as AlmaRsLibrary[],
    libraryNotices: lists.libraryNotices as AlmaLibraryNotice[],
    sourceLinkId: opt(u.sourceLinkId),
    sourceInstitutionCode: opt(u.sourceInstitutionCode),
    linkingId: opt(u.linkingId),
    prefFirstName: str(u.prefFirstName),
    prefMiddleName: str(u.prefMiddleName),
    prefLastName: str(u.prefLastName),
    prefNameSuffix: str(u.prefNameSuffix),
    isResearcher: u.isResearcher === true,
  };
}

/** The structured (list and object) fields of a user, copied generically. */
const LISTS_SPEC: ObjSpec = obj(...USER_SPEC.fields.filter((f) => isList(f.kind) || isObj(f.kind)));

/** Copies the schema's fields of `src` (lists default to empty). */
function copyFields(spec: ObjSpec, src: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of spec.fields) {
    const v = src[f.k];
    const kind = f.kind;
    if (kind === "special") continue;
    if (isList(kind)) {
      out[f.k] = Array.isArray(v) ? v.map((i: unknown) => copyItem(kind, i)) : [];
    } else if (isObj(kind)) {
      out[f.k] = copyFields(kind, isRecord(v) ? v : {});
    } else if (kind === "bool") {
      if (typeof v === "boolean") out[f.k] = v;
    } else {
      if (typeof v === "string") out[f.k] = v;
      if (kind === "code") {
        const d = src[f.k + "Desc"];
        if (typeof d === "string") out[f.k + "Desc"] = d;
      }
    }
  }
  return out;
}

function copyItem(l: ListOf, v: unknown): unknown {
  if (l.of !== "code") return copyFields(l.of, isRecord(v) ? v : {});
  if (!isRecord(v)) return { value: typeof v === "string" ? v : "" };
  const c: CodeItem = { value: typeof v.value === "string" ? v.value : "" };
  if (typeof v.desc === "string") c.desc = v.desc;
  return c;
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export const asRecord = (v: object): Record<string, unknown> => v as Record<string, unknown>;

/** A deep copy. */
export function cloneUser(u: AlmaUser): AlmaUser {
  return normalizeUser(u);
}

export function fullName(u: Pick<AlmaUser, "firstName" | "middleName" | "lastName">): string {
  return [u.firstName, u.middleName, u.lastName].filter((s) => s && s.trim()).join(" ");
}
