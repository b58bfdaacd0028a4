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
 *
 * The parts: alma-model-types.ts (the model), alma-model-schema.ts (the table, defaults and copies),
 * alma-model-render.ts and alma-model-parse.ts (the two wire forms), alma-model-rules.ts (swap-all).
 */

export type {
  AlmaAddress,
  AlmaBlock,
  AlmaContactInfo,
  AlmaEmail,
  AlmaIdentifier,
  AlmaLibraryNotice,
  AlmaNote,
  AlmaPhone,
  AlmaProxyForUser,
  AlmaRole,
  AlmaRoleParameter,
  AlmaRsLibrary,
  AlmaStatistic,
  AlmaUser,
  AlmaUserInit,
  CodeItem,
} from "./alma-model-types.ts";
export { USER_ELEMENTS, cloneUser, fullName, normalizeUser } from "./alma-model-schema.ts";
export { renderUserJson, renderUserXml, userXmlElement, type RenderOptions } from "./alma-model-render.ts";
export {
  BodyError,
  parseUserJson,
  parseUserXml,
  userFromJson,
  userFromXml,
  type UserBody,
} from "./alma-model-parse.ts";
export {
  DEFAULT_ROLE_PARAMETER_RULES,
  EXTERNAL_KEPT_WHEN_EMPTY,
  identifyingValues,
  roleMissingParameter,
  swapAll,
  type SwapAllOptions,
} from "./alma-model-rules.ts";
