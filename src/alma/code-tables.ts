/**
 * The codes of an updates CSV (user_group, job_category, preferred_language) checked against Alma's code
 * tables at plan time, through the Configuration API: GET /almaws/v1/conf/code-tables/{name} (Developer
 * Network, "Configuration and Administration" API; the answer's `row` list of `code`, `description`,
 * `enabled`, as the Duke University Libraries wiki page "How to query settings in Alma via the API
 * Console" shows it). The table names are the ones rest_user.xsd gives each field (`xs:codeTable`):
 * UserGroups, JobTitles, UserPreferredLanguage (src/alma/update-fields.ts). campus_code has no code table
 * (the xsd: "the Campus List of the general configuration menu"): its codes are never checked.
 *
 * A key that may not read the configuration (Alma refuses it as it refuses any API it is not set up for)
 * leaves the codes unchecked: the plan says so once, and goes on.
 */
import { InputError, type InputProblem } from "../core/errors.ts";
import type { AlmaClient } from "./client.ts";
import { AlmaApiError, explainAlmaError } from "./errors.ts";
import { AlmaKeyRefusedError } from "./key-refusal.ts";
import { FIELD_SPECS, type UpdateField } from "./update-fields.ts";
import type { UpdateList } from "./updates.ts";
import { QuotaExhaustedError } from "./transport-errors.ts";

export interface CodeTable {
  name: string;
  /** Enabled codes and their descriptions. */
  rows: Map<string, string>;
}

export interface CodeCheck {
  /** The code table's description of a code, when its table was read. */
  describe: (field: UpdateField, code: string) => string | undefined;
  /** For plan.md, once: which codes were not checked and why. */
  note?: string;
}

/** Parses a code table answer (JSON). */
export function parseCodeTable(body: string, name: string): CodeTable {
  const json = JSON.parse(body) as { row?: { code?: string; description?: string; enabled?: boolean }[] };
  const rows = new Map<string, string>();
  for (const r of json.row ?? [])
    if (typeof r.code === "string" && r.enabled !== false) rows.set(r.code, r.description ?? r.code);
  return { name, rows };
}

/**
 * Reads the code tables the CSV's code columns need and checks every code (InputError at the cell,
 * exit 2, before any user is read). `client` is one used for nothing else: a refused key stops only it.
 */
export async function checkCodes(
  client: AlmaClient,
  updates: UpdateList,
  signal?: AbortSignal,
): Promise<CodeCheck> {
  const tables = new Map<UpdateField, CodeTable>();
  const unchecked: string[] = [];
  let why = "";
  for (const field of updates.columns) {
    const name = FIELD_SPECS[field].codeTable;
    if (FIELD_SPECS[field].kind !== "code") continue;
    if (!name) {
      unchecked.push(`${field} (Alma has no code table for it)`);
      continue;
    }
    if (why) {
      unchecked.push(`${field} (${why})`);
      continue;
    }
    try {
      tables.set(field, parseCodeTable(await client.getCodeTable(name, signal), name));
    } catch (e) {
      if (e instanceof QuotaExhaustedError) throw e;
      if (signal?.aborted) throw e;
      why =
        e instanceof AlmaKeyRefusedError
          ? "the API key may not read Alma's configuration: give it the Configuration API, read-only"
          : e instanceof AlmaApiError
            ? explainAlmaError(e)
            : (e as Error).message;
      unchecked.push(`${field} (${why})`);
    }
  }
  const problems: InputProblem[] = [];
  for (const row of updates.byId.values()) {
    for (const [field, table] of tables) {
      const code = row.values[field];
      if (code === undefined || table.rows.has(code)) continue;
      const near = [...table.rows.keys()].find((k) => k.toLowerCase() === code.toLowerCase());
      problems.push({
        file: updates.file,
        line: row.line,
        ...(row.at?.[field] !== undefined && { column: row.at[field] }),
        message: `${field} '${code}' is not a code in Alma's ${table.name} code table${near ? `: did you mean '${near}'?` : ""}`,
      });
    }
  }
  if (problems.length) throw new InputError(problems);
  const note = unchecked.length
    ? `Codes not checked against Alma: ${unchecked.join("; ")}. An unknown code is refused by Alma when the change is applied.`
    : undefined;
  return {
    describe: (field, code) => tables.get(field)?.rows.get(code),
    ...(note && { note }),
  };
}
