/**
 * The Alma user record as the simulator stores it, and its two wire forms (XML and JSON).
 *
 * One table (USER_SPEC, in the element order of Alma's rest_user.xsd) drives parsing and rendering
 * of both forms, so they cannot drift apart:
 *   - XML: `<user>` with list wrappers (`<user_identifiers><user_identifier>…`), code fields as
 *     `<user_group desc="Staff">STAFF</user_group>`, segment_type/preferred as attributes.
 *   - JSON (Alma's shape): list wrappers become arrays named after the item (`user_identifier: [...]`),
 *     code fields become `{ value, desc }`, attributes become plain keys, booleans are JSON booleans.
 *
 * The model is camelCase; a code field is flattened into two keys (`userGroup`, `userGroupDesc`).
 * Secrets are not stored: only whether a PIN and a password are set (`pinSet`, `passwordSet`).
 *
 * DOCUMENTED: the elements and their order (shared/fixtures/alma/xsd/rest_user.xsd); the JSON shape
 * (real records in shared/fixtures/alma/users, see its SOURCE.txt); swap-all, roles kept when absent,
 * EXTERNAL users' protected fields and `override` (seed alma-put-user-api.txt).
 * ASSUMPTIONS: the PIN round trip (GET shows it empty; an empty `<pin_number/>` in a PUT wipes an
 * INTERNAL user's PIN), an empty password keeping the stored one, and identifiers compared
 * case-insensitively (true in Alma only for institutions whose first test load was after June 2018).
 * The element order of the *.DERIVED.xml records is a guess. See alma.ts for the full list.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";

// ---------------------------------------------------------------------------------------------------------
// Model

export interface CodeItem {
  value: string;
  desc?: string;
}

export interface AlmaIdentifier {
  /** id_type code, e.g. BARCODE, UNIV_ID. */
  idType: string;
  idTypeDesc?: string;
  value: string;
  note?: string;
  /** ACTIVE or INACTIVE (Alma treats a missing status as ACTIVE). */
  status?: string;
  /** "Internal" or "External" (External segments are overwritten by the next SIS load). */
  segmentType?: string;
}

export interface AlmaRoleParameter {
  /** e.g. ServiceUnit, CirculationDesk. */
  type: string;
  typeDesc?: string;
  scope?: string;
  scopeDesc?: string;
  value: string;
  valueDesc?: string;
}

export interface AlmaRole {
  status?: string;
  statusDesc?: string;
  scope?: string;
  scopeDesc?: string;
  /** role_type code, e.g. 200 (Patron), 37 (Receiving Operator). */
  roleType: string;
  roleTypeDesc?: string;
  expiryDate?: string;
  parameters: AlmaRoleParameter[];
}

export interface AlmaAddress {
  preferred?: boolean;
  segmentType?: string;
  line1?: string;
  line2?: string;
  line3?: string;
  line4?: string;
  line5?: string;
  city?: string;
  stateProvince?: string;
  postalCode?: string;
  country?: string;
  countryDesc?: string;
  addressNote?: string;
  startDate?: string;
  endDate?: string;
  addressTypes: CodeItem[];
}

export interface AlmaEmail {
  preferred?: boolean;
  segmentType?: string;
  emailAddress: string;
  description?: string;
  emailTypes: CodeItem[];
}

export interface AlmaPhone {
  preferred?: boolean;
  preferredSms?: boolean;
  segmentType?: string;
  phoneNumber: string;
  phoneTypes: CodeItem[];
}

export interface AlmaContactInfo {
  addresses: AlmaAddress[];
  emails: AlmaEmail[];
  phones: AlmaPhone[];
}

export interface AlmaBlock {
  segmentType?: string;
  blockType?: string;
  blockTypeDesc?: string;
  blockDescription?: string;
  blockDescriptionDesc?: string;
  blockStatus?: string;
  blockNote?: string;
  createdBy?: string;
  createdDate?: string;
  expiryDate?: string;
  itemLoanId?: string;
}

export interface AlmaNote {
  segmentType?: string;
  noteType: string;
  noteTypeDesc?: string;
  noteText?: string;
  userViewable?: boolean;
  popupNote?: boolean;
  createdBy?: string;
  createdDate?: string;
}

export interface AlmaStatistic {
  segmentType?: string;
  statisticCategory: string;
  statisticCategoryDesc?: string;
  categoryType?: string;
  categoryTypeDesc?: string;
  statisticNote?: string;
}

export interface AlmaProxyForUser {
  link?: string;
  primaryId?: string;
  fullName?: string;
}

export interface AlmaRsLibrary {
  code?: string;
  codeDesc?: string;
}

export interface AlmaLibraryNotice {
  code?: string;
  codeDesc?: string;
  value?: boolean;
}

/** A stored Alma user. Strings that Alma always returns are "" when empty; dates are optional. */
export interface AlmaUser {
  /** PUBLIC, STAFF or CONTACT. */
  recordType: string;
  recordTypeDesc?: string;
  primaryId: string;
  firstName: string;
  middleName: string;
  lastName: string;
  /** Whether the user has a PIN (the PIN itself is never stored or returned). */
  pinSet: boolean;
  userTitle: string;
  userTitleDesc?: string;
  jobCategory: string;
  jobCategoryDesc?: string;
  jobDescription: string;
  gender: string;
  genderDesc?: string;
  userGroup: string;
  userGroupDesc?: string;
  campusCode: string;
  campusCodeDesc?: string;
  webSiteUrl: string;
  catalogerLevel: string;
  catalogerLevelDesc?: string;
  preferredLanguage: string;
  preferredLanguageDesc?: string;
  birthDate?: string;
  expiryDate?: string;
  purgeDate?: string;
  /** INTERNAL or EXTERNAL. */
  accountType: string;
  accountTypeDesc?: string;
  /** The SIS profile of an EXTERNAL user ("" for internal users). */
  externalId: string;
  /** Whether the user has a password (returned empty by GET, as Alma does). */
  passwordSet: boolean;
  forcePasswordChange: string;
  status: string;
  statusDesc?: string;
  statusDate?: string;
  lastPatronActivityDate?: string;
  /** Output-only counts, returned in the full view with a link. */
  requests: number;
  loans: number;
  fees: number;
  contactInfo: AlmaContactInfo;
  identifiers: AlmaIdentifier[];
  roles: AlmaRole[];
  blocks: AlmaBlock[];
  notes: AlmaNote[];
  statistics: AlmaStatistic[];
  proxyForUsers: AlmaProxyForUser[];
  rsLibraries: AlmaRsLibrary[];
  libraryNotices: AlmaLibraryNotice[];
  sourceLinkId?: string;
  sourceInstitutionCode?: string;
  linkingId?: string;
  prefFirstName: string;
  prefMiddleName: string;
  prefLastName: string;
  prefNameSuffix: string;
  isResearcher: boolean;
}

/** What a seed or a test gives: a primary ID and any other fields (the rest get Alma's defaults). */
export type AlmaUserInit = Partial<Omit<AlmaUser, "contactInfo" | "roles">> & {
  primaryId: string;
  contactInfo?: Partial<AlmaContactInfo>;
  roles?: (Omit<AlmaRole, "parameters"> & { parameters?: AlmaRoleParameter[] })[];
};

// ---------------------------------------------------------------------------------------------------------
// The schema table

type ListOf = { readonly item: string; readonly of: "code" | ObjSpec };
type Kind = "str" | "code" | "bool" | "special" | ObjSpec | ListOf;
interface ObjSpec {
  readonly fields: readonly FieldSpec[];
}
interface FieldSpec {
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
const EMAIL = obj(
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
const CONTACT_INFO = obj(
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
const USER_SPEC: ObjSpec = obj(
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

const isList = (k: Kind): k is ListOf => typeof k === "object" && "item" in k;
const isObj = (k: Kind): k is ObjSpec => typeof k === "object" && "fields" in k;

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
const LIST_ITEMS = collectItems(USER_SPEC, new Set());

/** The top-level XML element names of a user, in rest_user.xsd order. */
export const USER_ELEMENTS: readonly string[] = USER_SPEC.fields.map((f) => f.x);

/** Descriptions Alma fills in from the User Identifier Types code table when a PUT sent none. */
const ID_TYPE_DESC: Record<string, string> = {
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

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const asRecord = (v: object): Record<string, unknown> => v as Record<string, unknown>;

/** A deep copy. */
export function cloneUser(u: AlmaUser): AlmaUser {
  return normalizeUser(u);
}

export function fullName(u: Pick<AlmaUser, "firstName" | "middleName" | "lastName">): string {
  return [u.firstName, u.middleName, u.lastName].filter((s) => s && s.trim()).join(" ");
}

// ---------------------------------------------------------------------------------------------------------
// Rendering

export interface RenderOptions {
  /** "full" (default) or "brief" (core fields, emails, identifiers and statistics only). */
  view?: "full" | "brief";
  /** Base of the links of the output-only counts, e.g. http://127.0.0.1:1234 */
  baseUrl?: string;
}

const BRIEF_SKIP = new Set([
  "pin_number",
  "password",
  "requests",
  "loans",
  "fees",
  "user_roles",
  "user_blocks",
  "user_notes",
  "proxy_for_users",
  "rs_libraries",
  "library_notices",
]);

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';

const escText = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const escAttr = (s: string): string =>
  escText(s).replace(/"/g, "&quot;").replace(/\n/g, "&#10;").replace(/\r/g, "&#13;").replace(/\t/g, "&#9;");

function xmlEl(name: string, attrs: string, inner: string): string {
  return inner === "" ? `<${name}${attrs}/>` : `<${name}${attrs}>${inner}</${name}>`;
}

/** The user as Alma's GET returns it in XML (declaration included). */
export function renderUserXml(u: AlmaUser, opts: RenderOptions = {}): string {
  return XML_DECLARATION + userXmlElement(u, opts);
}

/** The `<user>` element alone (for embedding). */
export function userXmlElement(u: AlmaUser, opts: RenderOptions = {}): string {
  const brief = opts.view === "brief";
  const rec = u as unknown as Record<string, unknown>;
  let inner = "";
  for (const f of USER_SPEC.fields) {
    if (brief && BRIEF_SKIP.has(f.x)) continue;
    if (f.kind === "special") {
      inner += specialXml(f.x, u, opts);
      continue;
    }
    if (brief && f.x === "contact_info") {
      inner += xmlEl("contact_info", "", fieldXml(EMAILS_FIELD, asRecord(u.contactInfo)));
      continue;
    }
    inner += fieldXml(f, rec);
  }
  return xmlEl("user", "", inner);
}

const EMAILS_FIELD = CONTACT_INFO.fields[1]!;

function countLink(u: AlmaUser, what: string, opts: RenderOptions): string {
  const base = (opts.baseUrl ?? "").replace(/\/+$/, "");
  return `${base}/almaws/v1/users/${encodeURIComponent(u.primaryId)}/${what}`;
}

/** Floats as Java prints them: 0.0, 12.5. */
const javaFloat = (n: number): string => (Number.isInteger(n) ? n.toFixed(1) : String(n));

function specialXml(x: string, u: AlmaUser, opts: RenderOptions): string {
  switch (x) {
    case "full_name":
      return xmlEl(x, "", escText(fullName(u)));
    case "pin_number": // never returned: Alma's GET shows the element empty
    case "password": // "returned empty in the GET action" (rest_user.xsd)
      return `<${x}/>`;
    case "requests":
    case "loans":
    case "fees": {
      const n = x === "fees" ? javaFloat(u.fees) : String(u[x]);
      return `<${x} link="${escAttr(countLink(u, x, opts))}">${n}</${x}>`;
    }
  }
  return "";
}

function attrsXml(spec: ObjSpec, rec: Record<string, unknown>): string {
  let out = "";
  for (const f of spec.fields) {
    if (!f.attr) continue;
    const v = rec[f.k];
    if (typeof v === "string" || typeof v === "boolean") out += ` ${f.x}="${escAttr(String(v))}"`;
  }
  return out;
}

function fieldXml(f: FieldSpec, rec: Record<string, unknown>): string {
  const v = rec[f.k];
  if (f.attr) return "";
  if (isList(f.kind)) {
    const items = Array.isArray(v) ? v : [];
    if (!f.always && items.length === 0) return "";
    return xmlEl(f.x, "", listXml(f, items));
  }
  if (isObj(f.kind)) {
    if (!isRecord(v)) return f.always ? `<${f.x}/>` : "";
    return objXml(f.x, f.kind, v);
  }
  if (f.kind === "code") {
    const desc = rec[f.k + "Desc"];
    if (v === undefined && desc === undefined && !f.always) return "";
    const a = typeof desc === "string" ? ` desc="${escAttr(desc)}"` : "";
    return xmlEl(f.x, a, escText(typeof v === "string" ? v : ""));
  }
  if (f.kind === "bool") {
    if (typeof v !== "boolean") return f.always ? xmlEl(f.x, "", "false") : "";
    return xmlEl(f.x, "", String(v));
  }
  if (typeof v !== "string") return f.always ? `<${f.x}/>` : "";
  return xmlEl(f.x, "", escText(v));
}

function listXml(f: FieldSpec, items: unknown[]): string {
  const l = f.kind as ListOf;
  let out = "";
  for (const item of items) {
    if (l.of === "code") {
      const c = isRecord(item) ? item : { value: item };
      const a = typeof c.desc === "string" ? ` desc="${escAttr(c.desc)}"` : "";
      out += xmlEl(l.item, a, escText(typeof c.value === "string" ? c.value : ""));
    } else if (isRecord(item)) {
      out += objXml(l.item, l.of, item);
    }
  }
  return out;
}

function objXml(name: string, spec: ObjSpec, rec: Record<string, unknown>): string {
  let inner = "";
  for (const f of spec.fields) {
    if (f.attr) continue;
    if (name === "user_identifier" && f.x === "id_type") {
      inner += fieldXml(f, withIdTypeDesc(rec));
      continue;
    }
    inner += fieldXml(f, rec);
  }
  return xmlEl(name, attrsXml(spec, rec), inner);
}

function withIdTypeDesc(rec: Record<string, unknown>): Record<string, unknown> {
  if (typeof rec.idTypeDesc === "string" || typeof rec.idType !== "string") return rec;
  const desc = ID_TYPE_DESC[rec.idType.toUpperCase()];
  return desc ? { ...rec, idTypeDesc: desc } : rec;
}

/** The user as Alma's GET returns it in JSON. */
export function renderUserJson(u: AlmaUser, opts: RenderOptions = {}): Record<string, unknown> {
  const brief = opts.view === "brief";
  const rec = u as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of USER_SPEC.fields) {
    if (brief && BRIEF_SKIP.has(f.x)) continue;
    switch (f.x) {
      case "full_name":
        out.full_name = fullName(u);
        continue;
      case "pin_number": // absent from Alma's JSON GET
        continue;
      case "password":
        out.password = "";
        continue;
      case "requests":
      case "loans":
      case "fees":
        out[f.x] = { value: u[f.x], link: countLink(u, f.x, opts) };
        continue;
    }
    if (brief && f.x === "contact_info") {
      out.contact_info = { email: u.contactInfo.emails.map((e) => objJson(EMAIL, asRecord(e))) };
      continue;
    }
    fieldJson(f, rec, out);
  }
  return out;
}

function fieldJson(f: FieldSpec, rec: Record<string, unknown>, out: Record<string, unknown>): void {
  const v = rec[f.k];
  if (isList(f.kind)) {
    const items = Array.isArray(v) ? v : [];
    if (!f.always && items.length === 0) return;
    const l = f.kind;
    out[l.item] = items.map((item: unknown) => {
      if (l.of === "code") {
        const c = isRecord(item) ? item : { value: item };
        return { value: c.value ?? "", desc: c.desc ?? null };
      }
      return objJson(l.of, isRecord(item) ? item : {}, l.item);
    });
    return;
  }
  if (isObj(f.kind)) {
    if (isRecord(v)) out[f.x] = objJson(f.kind, v, f.x);
    else if (f.always) out[f.x] = null;
    return;
  }
  if (f.kind === "code") {
    const desc = rec[f.k + "Desc"];
    if (v === undefined && desc === undefined && !f.always) return;
    out[f.x] = { value: typeof v === "string" ? v : "", desc: typeof desc === "string" ? desc : null };
    return;
  }
  if (f.kind === "bool") {
    if (typeof v === "boolean") out[f.x] = v;
    else if (f.always) out[f.x] = false;
    return;
  }
  if (typeof v === "string") out[f.x] = v;
  else if (f.always) out[f.x] = "";
}

function objJson(spec: ObjSpec, rec: Record<string, unknown>, name = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const src = name === "user_identifier" ? withIdTypeDesc(rec) : rec;
  for (const f of spec.fields) {
    if (f.attr) {
      const v = src[f.k];
      if (v !== undefined) out[f.x] = v;
    } else fieldJson(f, src, out);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Parsing (PUT bodies and seeds)

/** A parsed PUT body: only the fields present in the body, plus the write-only secrets as sent. */
export interface UserBody {
  /** Model keys of the fields that were present (a present empty list is `[]`). */
  fields: Partial<Record<string, unknown>>;
  /** pin_number as sent (undefined: absent; "": present and empty). */
  pinNumber?: string;
  /** password as sent (undefined: absent). */
  password?: string;
  /** The output-only loans/requests/fees as given (read for seeds; a PUT ignores them). */
  counts: { requests?: number; loans?: number; fees?: number };
}

export class BodyError extends Error {
  override name = "BodyError";
}

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  textNodeName: "#text",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: true,
  isArray: (name: string, _jpath: unknown, _leaf: unknown, isAttribute: boolean) =>
    !isAttribute && LIST_ITEMS.has(name),
});

/** Parses a `<user>` document. Throws BodyError when it is not well-formed or not a user. */
export function parseUserXml(text: string): UserBody {
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  if (!trimmed.startsWith("<") || XMLValidator.validate(trimmed) !== true) {
    throw new BodyError("not well-formed XML");
  }
  let tree: unknown;
  try {
    tree = xmlParser.parse(trimmed);
  } catch (e) {
    throw new BodyError(`not well-formed XML: ${(e as Error).message}`);
  }
  if (!isRecord(tree) || !("user" in tree)) throw new BodyError("the root element is not <user>");
  const root = Array.isArray(tree.user) ? (tree.user[0] as unknown) : tree.user;
  const node = isRecord(root) ? root : {};
  const body: UserBody = { fields: {}, counts: {} };
  for (const f of USER_SPEC.fields) {
    if (!(f.x in node)) continue;
    const raw = first(node[f.x]);
    if (f.kind === "special") {
      if (f.x === "pin_number") body.pinNumber = xmlText(raw);
      else if (f.x === "password") body.password = xmlText(raw);
      else readCount(f.x, xmlText(raw), body);
      continue;
    }
    readXmlField(f, raw, body.fields);
  }
  return body;
}

const first = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);

function readCount(x: string, text: string, body: UserBody): void {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n)) return;
  if (x === "requests" || x === "loans" || x === "fees") body.counts[x] = n;
}

function xmlText(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (isRecord(v)) return xmlText(v["#text"] ?? "");
  return "";
}

function xmlAttr(v: unknown, name: string): string | undefined {
  if (!isRecord(v)) return undefined;
  const a = v[`@_${name}`];
  return typeof a === "string" ? a : undefined;
}

const parseBool = (s: string): boolean | undefined =>
  /^\s*true\s*$/i.test(s) ? true : /^\s*false\s*$/i.test(s) ? false : undefined;

function readXmlField(f: FieldSpec, raw: unknown, out: Record<string, unknown>): void {
  if (isList(f.kind)) {
    const l = f.kind;
    const items = isRecord(raw) ? raw[l.item] : undefined;
    const arr = Array.isArray(items) ? items : items === undefined ? [] : [items];
    out[f.k] = arr.map((i: unknown) => {
      if (l.of === "code") {
        const c: CodeItem = { value: xmlText(i) };
        const d = xmlAttr(i, "desc");
        if (d !== undefined) c.desc = d;
        return c;
      }
      return readXmlObj(l.of, i);
    });
    return;
  }
  if (isObj(f.kind)) {
    out[f.k] = readXmlObj(f.kind, raw);
    return;
  }
  if (f.kind === "code") {
    out[f.k] = xmlText(raw);
    const d = xmlAttr(raw, "desc");
    if (d !== undefined) out[f.k + "Desc"] = d;
    return;
  }
  if (f.kind === "bool") {
    const b = parseBool(xmlText(raw));
    if (b !== undefined) out[f.k] = b;
    return;
  }
  out[f.k] = xmlText(raw);
}

function readXmlObj(spec: ObjSpec, node: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = isRecord(node) ? node : {};
  for (const f of spec.fields) {
    if (f.attr) {
      const a = xmlAttr(n, f.x);
      const v = a !== undefined && f.kind === "bool" ? parseBool(a) : a;
      if (v !== undefined) out[f.k] = v;
      continue;
    }
    if (f.x in n) readXmlField(f, first(n[f.x]), out);
    else if (isList(f.kind)) out[f.k] = [];
  }
  return out;
}

/** Parses a user in Alma's JSON shape (a string or an already-parsed object). */
export function parseUserJson(input: string | Record<string, unknown>): UserBody {
  let tree: unknown = input;
  if (typeof input === "string") {
    try {
      tree = JSON.parse(input.replace(/^\uFEFF/, "")) as unknown;
    } catch {
      throw new BodyError("not valid JSON");
    }
  }
  if (!isRecord(tree)) throw new BodyError("the JSON body is not an object");
  if (Object.keys(tree).length === 1 && isRecord(tree.user)) tree = tree.user;
  const node = tree as Record<string, unknown>;
  const body: UserBody = { fields: {}, counts: {} };
  for (const f of USER_SPEC.fields) {
    if (f.kind === "special") {
      const v = node[f.x];
      if (v === undefined || v === null) continue;
      if (f.x === "pin_number") body.pinNumber = jsonText(v);
      else if (f.x === "password") body.password = jsonText(v);
      else readCount(f.x, isRecord(v) ? jsonText(v.value) : jsonText(v), body);
      continue;
    }
    const key = isList(f.kind) ? f.kind.item : f.x;
    if (key in node) readJsonField(f, node[key], body.fields);
    else if (isList(f.kind) && f.x in node) readJsonField(f, unwrap(node[f.x], f.kind.item), body.fields);
  }
  return body;
}

function unwrap(v: unknown, item: string): unknown {
  return isRecord(v) && item in v ? v[item] : v;
}

function jsonText(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return "";
}

function readJsonField(f: FieldSpec, v: unknown, out: Record<string, unknown>): void {
  if (isList(f.kind)) {
    const l = f.kind;
    const arr = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
    out[f.k] = arr.map((i: unknown) => {
      if (l.of === "code") {
        const c: CodeItem = { value: isRecord(i) ? jsonText(i.value) : jsonText(i) };
        if (isRecord(i) && typeof i.desc === "string") c.desc = i.desc;
        return c;
      }
      return readJsonObj(l.of, i);
    });
    return;
  }
  if (isObj(f.kind)) {
    out[f.k] = readJsonObj(f.kind, v);
    return;
  }
  if (f.kind === "code") {
    out[f.k] = isRecord(v) ? jsonText(v.value) : jsonText(v);
    if (isRecord(v) && typeof v.desc === "string") out[f.k + "Desc"] = v.desc;
    return;
  }
  if (f.kind === "bool") {
    const b = typeof v === "boolean" ? v : parseBool(jsonText(v));
    if (b !== undefined) out[f.k] = b;
    return;
  }
  if (v === null || v === undefined) return;
  out[f.k] = jsonText(v);
}

function readJsonObj(spec: ObjSpec, v: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = isRecord(v) ? v : {};
  for (const f of spec.fields) {
    if (f.attr) {
      const a = n[f.x];
      const v = f.kind === "bool" && typeof a === "string" ? parseBool(a) : a;
      if (typeof v === "boolean" || typeof v === "string") out[f.k] = v;
      continue;
    }
    const key = isList(f.kind) ? f.kind.item : f.x;
    if (key in n) readJsonField(f, n[key], out);
    else if (isList(f.kind) && f.x in n) readJsonField(f, unwrap(n[f.x], f.kind.item), out);
    else if (isList(f.kind)) out[f.k] = [];
  }
  return out;
}

/** A seed or stored user from an Alma XML `<user>` document (a non-empty PIN/password marks it set). */
export function userFromXml(text: string): AlmaUser {
  return userFromBody(parseUserXml(text));
}

/** A seed or stored user from Alma's JSON shape. */
export function userFromJson(input: string | Record<string, unknown>): AlmaUser {
  return userFromBody(parseUserJson(input));
}

function userFromBody(body: UserBody): AlmaUser {
  const init = { ...body.fields } as AlmaUserInit;
  if (typeof init.primaryId !== "string" || !init.primaryId.trim()) {
    throw new BodyError("the user has no primary_id");
  }
  init.pinSet = !!body.pinNumber;
  init.passwordSet = !!body.password;
  Object.assign(init, body.counts);
  return normalizeUser(init);
}

// ---------------------------------------------------------------------------------------------------------
// PUT semantics ("swap all")

/** Role types that Alma refuses without a parameter of the given type. Codes from real records and reports. */
export const DEFAULT_ROLE_PARAMETER_RULES: Readonly<Record<string, string>> = {
  // Work Order Operator: reported by a systems librarian ("role with code 214 … requires … ServiceUnit");
  // real records carry ServiceUnit parameters.
  "214": "ServiceUnit",
  // Receiving Operator: real records carry ServiceUnit parameters.
  "37": "ServiceUnit",
  // Requests Operator and Circulation Desk Manager: real records carry CirculationDesk parameters.
  "51": "CirculationDesk",
  "221": "CirculationDesk",
};

/** The first role in the list lacking its required parameter, if any. */
export function roleMissingParameter(
  roles: readonly AlmaRole[],
  rules: Readonly<Record<string, string>> = DEFAULT_ROLE_PARAMETER_RULES,
): { role: AlmaRole; parameter: string } | undefined {
  for (const role of roles) {
    const need = rules[role.roleType.trim()];
    if (!need) continue;
    const ok = (role.parameters ?? []).some(
      (p) => p.type.trim().toLowerCase() === need.toLowerCase() && p.value.trim() !== "",
    );
    if (!ok) return { role, parameter: need };
  }
  return undefined;
}

/** Fields Alma keeps for an EXTERNAL user when the incoming value is empty, unless named in `override`. */
export const EXTERNAL_KEPT_WHEN_EMPTY: readonly string[] = [
  "user_group",
  "job_category",
  "pin_number",
  "preferred_language",
  "campus_code",
  "rs_libraries",
  "user_title",
  "library_notices",
  "pref_first_name",
  "pref_middle_name",
  "pref_last_name",
  "cataloger_level",
];

/** Output-only elements: a PUT never changes them. */
const OUTPUT_ONLY = new Set([
  "status_date",
  "last_patron_activity_date",
  "proxy_for_users",
  "source_link_id",
  "source_institution_code",
  "linking_id",
]);

export interface SwapAllOptions {
  /** Field names from the `override` query parameter. */
  override?: readonly string[];
  /** Today, as Alma writes dates ("2025-01-31Z"), for status_date. */
  today?: string;
}

const isEmptyValue = (v: unknown): boolean =>
  v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);

/**
 * The stored user after a PUT of `body`: every field and list in the body replaces the stored one and
 * a missing one is cleared, except that absent roles are kept, an empty or absent password is kept,
 * an absent PIN is kept (an empty one wipes an INTERNAL user's PIN), output-only fields are ignored,
 * and an EXTERNAL user keeps the fields Alma protects when the incoming value is empty.
 * Validation (mandatory fields, roles, uniqueness, external id) is the caller's job.
 */
export function swapAll(stored: AlmaUser, body: UserBody, opts: SwapAllOptions = {}): AlmaUser {
  const override = new Set((opts.override ?? []).map((s) => s.trim().toLowerCase()));
  const external = stored.accountType.trim().toUpperCase() === "EXTERNAL";
  const src = stored as unknown as Record<string, unknown>;
  const fresh = normalizeUser({ primaryId: stored.primaryId }) as unknown as Record<string, unknown>;
  const next: Record<string, unknown> = {};
  for (const f of USER_SPEC.fields) {
    if (f.kind === "special") continue;
    const keys = f.kind === "code" ? [f.k, f.k + "Desc"] : [f.k];
    const present = f.k in body.fields;
    const incoming = body.fields[f.k];
    let from: Record<string, unknown>;
    if (OUTPUT_ONLY.has(f.x)) from = src;
    else if (f.x === "user_roles") from = present ? body.fields : src;
    else if (
      external &&
      EXTERNAL_KEPT_WHEN_EMPTY.includes(f.x) &&
      isEmptyValue(incoming) &&
      !override.has(f.x)
    )
      from = src;
    else from = present ? body.fields : fresh;
    for (const k of keys) if (from[k] !== undefined) next[k] = from[k];
  }
  next.requests = stored.requests;
  next.loans = stored.loans;
  next.fees = stored.fees;
  next.passwordSet = body.password ? true : stored.passwordSet;
  if (body.pinNumber === undefined) next.pinSet = stored.pinSet;
  else if (body.pinNumber.trim() !== "") next.pinSet = true;
  else if (external && !override.has("pin_number")) next.pinSet = stored.pinSet;
  else next.pinSet = false;
  const user = normalizeUser(next as AlmaUserInit);
  if (!user.status.trim()) {
    // "Default is Active" (rest_user.xsd)
    user.status = "ACTIVE";
    user.statusDesc = "Active";
  }
  if (opts.today && user.status !== stored.status) user.statusDate = opts.today;
  return user;
}

/** Every identifying value of a user (primary ID and identifier values), lower-cased, without blanks. */
export function identifyingValues(u: AlmaUser): string[] {
  const out = [u.primaryId.trim().toLowerCase()];
  for (const i of u.identifiers) {
    const v = i.value.trim().toLowerCase();
    if (v && !out.includes(v)) out.push(v);
  }
  return out.filter(Boolean);
}
