/**
 * Builders of simulated Alma users: identifiers, roles with their parameters, emails, addresses and the
 * record-type, account-type and status blocks. Shared by the hand-written seed (alma-seed.ts) and the
 * benchmark generator (alma-generate.ts); they hold no user of their own.
 */
import type { AlmaIdentifier, AlmaRole, AlmaRoleParameter, CodeItem } from "./alma-model.ts";

export const ACTIVE = "ACTIVE";
export const INACTIVE = "INACTIVE";

export function identifier(
  idType: string,
  value: string,
  opts: { status?: string; segmentType?: string; note?: string } = {},
): AlmaIdentifier {
  const i: AlmaIdentifier = {
    idType,
    value,
    status: opts.status ?? ACTIVE,
    segmentType: opts.segmentType ?? "Internal",
  };
  if (opts.note !== undefined) i.note = opts.note;
  return i;
}

export const barcode = (value: string, opts: { status?: string; segmentType?: string; note?: string } = {}) =>
  identifier("BARCODE", value, opts);

export function param(type: string, value: string, valueDesc: string, scope = "MAIN"): AlmaRoleParameter {
  return { type, scope, scopeDesc: LIBRARIES[scope] ?? scope, value, valueDesc };
}

export function role(
  roleType: string,
  roleTypeDesc: string,
  parameters: AlmaRoleParameter[] = [],
  scope = "MAIN",
): AlmaRole {
  return {
    status: ACTIVE,
    statusDesc: "Active",
    scope,
    scopeDesc: LIBRARIES[scope] ?? scope,
    roleType,
    roleTypeDesc,
    parameters,
  };
}

const LIBRARIES: Record<string, string> = {
  MAIN: "Main Library",
  LAW: "Law Library",
  MED: "Medical Library",
  "01DEMO_INST": "Demo University",
};

export const patron = (scope = "01DEMO_INST") => role("200", "Patron", [], scope);
export const type = (value: string, desc: string): CodeItem => ({ value, desc });

export function email(address: string, segmentType = "Internal", kind = type("personal", "Personal")) {
  return { emailAddress: address, preferred: true, segmentType, emailTypes: [kind] };
}

export function address(line1: string, city: string, postalCode: string, segmentType = "Internal") {
  return {
    preferred: true,
    segmentType,
    line1,
    city,
    postalCode,
    country: "USA",
    countryDesc: "United States",
    addressTypes: [type("home", "Home")],
  };
}

export const PUBLIC = { recordType: "PUBLIC", recordTypeDesc: "Public" };
export const STAFF = { recordType: "STAFF", recordTypeDesc: "Staff" };
export const INTERNAL = { accountType: "INTERNAL", accountTypeDesc: "Internal", externalId: "" };
export const EXTERNAL = { accountType: "EXTERNAL", accountTypeDesc: "External", externalId: "SIS" };
export const ACTIVE_USER = { status: ACTIVE, statusDesc: "Active" };
export const COMMON = {
  preferredLanguage: "en",
  preferredLanguageDesc: "English",
  catalogerLevel: "00",
  catalogerLevelDesc: "[00] Default Level",
};
