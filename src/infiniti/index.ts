/**
 * Concord Infiniti patron import: validate the roster offline, plan what to send (compared with the
 * last applied state), post exactly the planned CSV, report every row, and record what was applied.
 */
export { applyInfiniti, RESULTS_CSV, RESULTS_JSON, type InfinitiResultsFile } from "./apply.ts";
export {
  basicAuthorization,
  importUrl,
  infinitiEndpoint,
  InfinitiUnreachableError,
  postImport,
  IMPORT_PATH,
  INFINITI_TIMEOUT_MS,
  type InfinitiEndpoint,
} from "./client.ts";
export {
  canonicalName,
  editDistance,
  KNOWN_COLUMNS,
  OPTIONAL_COLUMNS,
  REQUIRED_COLUMNS,
  runInColumn,
  suggestColumn,
  type InfinitiColumn,
} from "./columns.ts";
export {
  countActions,
  diffRoster,
  type DiffOptions,
  type DiffResult,
  type FieldChange,
  type InfinitiAction,
  type PlannedUser,
} from "./diff.ts";
export { planInfiniti } from "./plan.ts";
export {
  buildImportCsv,
  IMPORT_FILE,
  INFINITI_DIR,
  PLAN_FILE,
  readPlanFile,
  ROW_NUMBERING,
  type InfinitiPlanFile,
  type PlanUserEntry,
} from "./planfile.ts";
export {
  interpretAnswer,
  summaryCounts,
  USER_CREATED,
  USER_UPDATED,
  type HttpAnswer,
  type InfinitiResult,
  type InfinitiStatus,
  type InterpretedAnswer,
  type SentRow,
  type SummaryCounts,
} from "./result.ts";
export { authorizationSecrets, echoMask, type EchoMask } from "./mask.ts";
export { parseState, readState, stateCsv, writeState, type AppliedState } from "./state.ts";
export { validateInfiniti, validateRoster, type InfinitiRoster, type InfinitiRow } from "./validate.ts";
export { isEmail, MASK, parseBoolean, passwordFingerprint } from "./values.ts";
