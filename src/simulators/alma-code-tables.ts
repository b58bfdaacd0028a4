/**
 * The Configuration API's code tables in the Alma simulator: GET /almaws/v1/conf/code-tables/{name}, and
 * the check a PUT makes of the user's codes against them.
 *
 * DOCUMENTED: the answer's shape, JSON `{ name, description, row: [{ code, description, default, enabled }] }`
 * (Duke University Libraries wiki, "How to query settings in Alma via the API Console", a real answer from
 * the Developer Network console); the tables each field's codes come from (rest_user.xsd `xs:codeTable`:
 * UserGroups, JobTitles, UserPreferredLanguage); a key without permission for an API is answered HTTP 400
 * UNAUTHORIZED "API-key not defined or not configured to allow this API." (fixtures errors/
 * auth_400_unauthorized*.xml); a PUT with a code that is not in its table fails with 401864 "Given X type
 * (Y) is invalid." (seed alma-put-user-api.txt, the error codes of "Update User Details").
 * ASSUMPTIONS: the wording of X in 401864 (the field's name), its HTTP status (400), and the answer to an
 * unknown table (400, 402203-like "code table not found" wording is not sourced: we answer 400 with code
 * 401867, marked here as invented); the default tables' rows (made up for the demo and tests).
 */
import { ALMA_ERRORS, type Outcome } from "./alma-errors.ts";

export interface CodeRow {
  code: string;
  description: string;
  enabled?: boolean;
}

/** The tables served by default: codes the demo and seed users carry (made up). */
export const DEFAULT_CODE_TABLES: Readonly<Record<string, readonly CodeRow[]>> = {
  UserGroups: [
    { code: "UG", description: "Undergraduate" },
    { code: "GRAD", description: "Graduate" },
    { code: "STAFF", description: "Staff & Faculty" },
    { code: "GUEST", description: "Guest" },
    { code: "P", description: "P Faculty & Professional" },
    { code: "FAC", description: "Faculty" },
    { code: "ALUMNI", description: "Alumni", enabled: false },
  ],
  JobTitles: [
    { code: "Cataloger", description: "Cataloger" },
    { code: "Circulation Desk Operator", description: "Circulation Desk Operator" },
    { code: "STUDENT_ASSISTANT", description: "Student assistant" },
  ],
  UserPreferredLanguage: [
    { code: "en", description: "English" },
    { code: "fr", description: "French" },
    { code: "de", description: "German" },
    { code: "es", description: "Spanish" },
  ],
};

/** Which user field's codes a table holds (rest_user.xsd `xs:codeTable`). */
export const FIELD_TABLES: Readonly<Record<string, string>> = {
  userGroup: "UserGroups",
  jobCategory: "JobTitles",
  preferredLanguage: "UserPreferredLanguage",
};
const FIELD_NAMES: Readonly<Record<string, string>> = {
  userGroup: "user_group",
  jobCategory: "job_category",
  preferredLanguage: "preferred_language",
};

export interface CodeTablesOptions {
  /** The tables (default DEFAULT_CODE_TABLES). */
  tables?: Record<string, readonly CodeRow[]>;
  /** The key may read the configuration (default true); false answers UNAUTHORIZED as Alma's gateway does. */
  allowed?: boolean;
}

export const CODE_TABLE_PATH = /^\/almaws\/v1\/conf\/code-tables\/([^/]+)\/?$/;

export function createCodeTables(options: CodeTablesOptions = {}) {
  let opts = { tables: { ...DEFAULT_CODE_TABLES, ...options.tables }, allowed: options.allowed ?? true };
  const enabled = (name: string, code: string) =>
    (opts.tables[name] ?? []).some((r) => r.code === code && r.enabled !== false);
  return {
    configure(o: CodeTablesOptions): void {
      opts = { tables: { ...opts.tables, ...o.tables }, allowed: o.allowed ?? opts.allowed };
    },
    /** The answer to GET …/conf/code-tables/{name} (JSON, as the console shows it). */
    answer(name: string): Outcome {
      const json = (status: number, body: unknown, errorCode?: string): Outcome => ({
        status,
        contentType: "application/json;charset=UTF-8",
        body: JSON.stringify(body),
        ...(errorCode && { errorCode }),
      });
      const error = (status: number, code: string, message: string) =>
        json(
          status,
          { errorsExist: true, errorList: { error: [{ errorCode: code, errorMessage: message }] } },
          code,
        );
      if (!opts.allowed) return error(400, "UNAUTHORIZED", ALMA_ERRORS.UNAUTHORIZED);
      const rows = opts.tables[name];
      if (!rows) return error(400, "401867", `Code table ${name} was not found.`);
      return json(200, {
        name,
        description: name,
        row: rows.map((r) => ({
          code: r.code,
          description: r.description,
          default: false,
          enabled: r.enabled !== false,
        })),
      });
    },
    /**
     * The first code a PUT changes to one not in its table, as Alma's 401864 message, or undefined.
     * ASSUMPTION: only a changed code is checked (a record keeps codes its table no longer has).
     */
    invalidCode(stored: Record<string, unknown>, next: Record<string, unknown>): string | undefined {
      for (const [k, table] of Object.entries(FIELD_TABLES)) {
        const v = next[k];
        if (typeof v !== "string" || !v.trim() || v === stored[k] || !opts.tables[table]) continue;
        if (!enabled(table, v)) return `Given ${FIELD_NAMES[k]} type (${v}) is invalid.`;
      }
      return undefined;
    },
    /** Fills the `desc` of each changed code sent without one from its table, as Alma does. */
    fillDescriptions(stored: Record<string, unknown>, next: Record<string, unknown>): void {
      for (const [k, table] of Object.entries(FIELD_TABLES)) {
        const v = next[k];
        if (typeof v !== "string" || v === stored[k] || next[k + "Desc"]) continue;
        const d = opts.tables[table]?.find((r) => r.code === v)?.description;
        if (d) next[k + "Desc"] = d;
      }
    },
  };
}

export type CodeTables = ReturnType<typeof createCodeTables>;
