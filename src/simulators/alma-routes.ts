/**
 * The Alma simulator's routes: GET and PUT /almaws/v1/users/{id}.
 *
 * DOCUMENTED: PUT is "swap all" (alma-model-rules.ts); `user_id_type` defaults to all_unique; the error
 * codes 401890, 401676, 401858, 401652 [seed alma-put-user-api.txt, the Developer Network page "Update
 * User Details"]. ASSUMPTIONS: the HTTP statuses and wording of 401851 (identifier held by another user),
 * 401861 (GET of an unknown user), 401890 to a GET by `user_id_type` that finds no one (the PUT page's wording,
 * "User with identifier X of type Y was not found."), and of the role-parameter refusal (401652, worded after
 * field reports);
 * `user_id_type` values other than all_unique match identifiers of that id_type only. See alma.ts.
 */
import type { IncomingMessage } from "node:http";
import {
  BodyError,
  parseUserJson,
  parseUserXml,
  roleMissingParameter,
  swapAll,
  type AlmaUser,
  type RenderOptions,
  type UserBody,
} from "./alma-model.ts";
import { ALMA_ERRORS, type Outcome } from "./alma-errors.ts";
import type { UserStore } from "./alma-store.ts";
import type { CodeTables } from "./alma-code-tables.ts";
import type { AlmaSimulatorStats } from "./alma-sim-types.ts";

/** What the routes need from the server. */
export interface RouteContext {
  store: UserStore;
  roleRules: Readonly<Record<string, string>>;
  /** The current stats (resetStats replaces the object). */
  stats: () => AlmaSimulatorStats;
  today: () => string;
  errorOutcome: (status: number, json: boolean, code: string, message: string, tracked?: boolean) => Outcome;
  userOutcome: (u: AlmaUser, json: boolean, view: RenderOptions["view"]) => Outcome;
  /** The code tables a PUT's changed codes are checked against (alma-code-tables.ts). */
  codes?: CodeTables;
}

export function handleGet(ctx: RouteContext, id: string, url: URL, json: boolean): Outcome {
  const { store, errorOutcome, userOutcome } = ctx;
  const type = url.searchParams.get("user_id_type") || "all_unique";
  const u = store.find(id, type);
  // A lookup by type that finds no one: 401890 "User with identifier X of type Y was not found." (the
  // wording is the seed alma-put-user-api.txt's; answering it to a typed GET is an ASSUMPTION). Untyped: 401861.
  if (!u && type.toLowerCase() !== "all_unique")
    return errorOutcome(400, json, "401890", `User with identifier ${id} of type ${type} was not found.`);
  if (!u) return errorOutcome(400, json, "401861", `User with identifier ${id} was not found.`);
  const view = (url.searchParams.get("view") ?? "full").toLowerCase() === "brief" ? "brief" : "full";
  return userOutcome(u, json, view);
}

export function handlePut(
  ctx: RouteContext,
  id: string,
  url: URL,
  req: IncomingMessage,
  text: string,
  json: boolean,
): Outcome {
  const { store, errorOutcome, userOutcome, roleRules, today } = ctx;
  const stats = ctx.stats();
  const type = url.searchParams.get("user_id_type") || "all_unique";
  const ctype = (req.headers["content-type"] ?? "").toLowerCase();
  const jsonBody = ctype.includes("json") || (!ctype.includes("xml") && text.trimStart().startsWith("{"));
  let body: UserBody;
  try {
    body = jsonBody ? parseUserJson(text) : parseUserXml(text);
  } catch (e) {
    if (e instanceof BodyError) return errorOutcome(400, json, "401676", ALMA_ERRORS.NO_VALID_XML);
    throw e;
  }
  const stored = store.find(id, type);
  if (!stored) {
    return errorOutcome(400, json, "401890", `User with identifier ${id} of type ${type} was not found.`);
  }
  for (const [k, x] of [
    ["recordType", "record_type"],
    ["primaryId", "primary_id"],
    ["accountType", "account_type"],
  ] as const) {
    const v = body.fields[k];
    if (typeof v !== "string" || !v.trim()) {
      return errorOutcome(400, json, "401664", `Mandatory field is missing: ${x}`);
    }
  }
  const sentExternal = typeof body.fields.externalId === "string" ? body.fields.externalId.trim() : "";
  if (stored.externalId.trim() !== "" && sentExternal !== stored.externalId.trim()) {
    return errorOutcome(
      400,
      json,
      "401858",
      "The external id in DB does not fit the given value in xml - external id cannot be updated.",
    );
  }
  if ("roles" in body.fields) {
    const roles = (body.fields.roles ?? []) as AlmaUser["roles"];
    const missing = roleMissingParameter(roles, roleRules);
    if (missing) {
      const r = missing.role;
      const name = r.roleTypeDesc ? ` (${r.roleTypeDesc})` : "";
      return errorOutcome(
        400,
        json,
        "401652",
        `General Error: The user has a role with code ${r.roleType}${name} which requires parameter ${missing.parameter}, missing from the user_role.`,
      );
    }
  }
  const override = (url.searchParams.get("override") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const next = swapAll(stored, body, { override, today: today() });
  const bad = ctx.codes?.invalidCode(
    stored as unknown as Record<string, unknown>,
    next as unknown as Record<string, unknown>,
  );
  if (bad) return errorOutcome(400, json, "401864", bad);
  ctx.codes?.fillDescriptions(
    stored as unknown as Record<string, unknown>,
    next as unknown as Record<string, unknown>,
  );
  const oldKey = store.keyOf(stored);
  const clash = store.conflict(next, oldKey);
  if (clash) {
    return errorOutcome(
      400,
      json,
      "401851",
      `User with identifier ${clash.value} of type ${clash.type} already exists.`,
    );
  }
  store.put(next, oldKey);
  stats.updates++;
  if (
    (url.searchParams.get("send_pin_number_letter") ?? "").toLowerCase() === "true" &&
    body.pinNumber !== undefined &&
    body.pinNumber.trim() !== ""
  ) {
    stats.pinLettersSent++;
  }
  return userOutcome(next, json, "full");
}
