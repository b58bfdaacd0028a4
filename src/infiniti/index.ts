/**
 * Concord Infiniti patron import as a patron-sync system (src/core/system.ts): validate the roster
 * offline, plan what to send (compared with the last applied state), post exactly the planned CSV,
 * report every row, and record what was applied. Below the system, what its parts export.
 */
import { md } from "../core/markdown.ts";
import type { System } from "../core/system.ts";
import { applyInfiniti, prepareInfinitiApply, type InfinitiPrepared } from "./apply.ts";
import { importUrl } from "./client.ts";
import { INFINITI_CHANGING, infinitiConfigOf, infinitiSection } from "./config.ts";
import { planInfiniti } from "./plan.ts";
import { planRecordIds } from "./planfile.ts";
import {
  checkInfinitiRevert,
  infinitiRevertHolds,
  infinitiWritten,
  planInfinitiRevert,
} from "./revert-plan.ts";
import { validateInfiniti } from "./validate.ts";
import { NO_INFINITI_SETTINGS, type InfinitiSettings } from "./settings.ts";

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
export { infinitiSettingsFromEnv, NO_INFINITI_SETTINGS, type InfinitiSettings } from "./settings.ts";

/** The Infiniti system, with its settings (credentials, address, proxies) resolved at the edge. */
export function infinitiSystem(settings: InfinitiSettings = NO_INFINITI_SETTINGS): System<InfinitiPrepared> {
  return {
    name: "infiniti",
    label: "Infiniti",
    longLabel: "Concord Infiniti",
    config: infinitiSection,
    changing: INFINITI_CHANGING,
    // The import with its initial passwords.
    recordFiles: ["import.csv"],
    idLabel: "Username",
    inputFiles(loaded) {
      const infiniti = infinitiConfigOf(loaded);
      if (!infiniti) return [];
      return [
        { role: "infiniti.users", path: infiniti.users },
        { role: "infiniti.state", path: infiniti.state },
      ];
    },
    async validate(loaded) {
      const v = await validateInfiniti(loaded);
      return `${infinitiConfigOf(loaded)!.users}: ${v.rows.length} users, valid`;
    },
    endpoint(ctx, configFile) {
      const url = importUrl(infinitiConfigOf(ctx.loaded)!, settings, configFile);
      return { url, sentence: `The Infiniti import goes to ${md(url)}.` };
    },
    plan: (ctx) => planInfiniti(ctx),
    preflight: (ctx, { data, plannedEndpoint, holds }) =>
      prepareInfinitiApply(ctx, data, plannedEndpoint, settings, holds),
    apply: (ctx, prepared) => applyInfiniti(ctx, prepared),
    planRecordIds,
    revert: {
      plan: planInfinitiRevert,
      check: checkInfinitiRevert,
      holds: infinitiRevertHolds,
      written: infinitiWritten,
    },
  };
}
