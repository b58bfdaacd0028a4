/**
 * PUT semantics ("swap all"). DOCUMENTED: swap-all, roles kept when absent, EXTERNAL users' protected
 * fields and `override` (seed alma-put-user-api.txt); roles kept when the incoming list is empty, unlike
 * every other list (rest_user.xsd, user_roles: "Only roles are kept in such case"). ASSUMPTIONS (PIN, password, case-insensitive
 * identifiers): see alma-model.ts and alma.ts.
 */
import type { AlmaRole, AlmaUser, AlmaUserInit } from "./alma-model-types.ts";
import { USER_SPEC, normalizeUser } from "./alma-model-schema.ts";
import type { UserBody } from "./alma-model-parse.ts";

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
 * a missing one is cleared, except that absent or empty roles are kept, an empty or absent password is kept,
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
    // An absent or empty <user_roles> keeps the roles: "all user segments are deleted if the incoming list
    // is empty. Only roles are kept in such case" (rest_user.xsd, element and type user_roles, PUT action).
    else if (f.x === "user_roles") from = present && !isEmptyValue(incoming) ? body.fields : src;
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
