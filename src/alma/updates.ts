/**
 * The updates CSV (alma.updates): one row per user, the user's ID first, then the fields to set.
 *
 *     primary_id,expiry_date,user_group
 *     2001234,2027-06-30,
 *     2001235,2027-06-30,GRAD
 *
 * The ID column is `primary_id`, or the identifier type named by alma.match_on. An empty cell leaves
 * that field as it is. Parsing is pure and offline: every problem is reported at once with the file,
 * line and column (InputError, exit 2), before any call.
 */
import { InputError } from "../core/errors.ts";
import { columnOf, Problems, refuseBinary, splitLines, type Line } from "../core/textfile.ts";
import { badCharacter, splitFields, type Field } from "./list-fields.ts";
import { pathHazard } from "./ids.ts";
import { FIELD_SPECS, isUpdateField, UPDATE_FIELDS, type UpdateField } from "./update-fields.ts";
import { readInputText } from "./inputs.ts";
import type { ListCaps } from "./list-caps.ts";
import { spreadsheetDamage } from "../core/spreadsheet.ts";
import { nearestName } from "../core/did-you-mean.ts";

export interface UpdateRow {
  /** The user's ID as written (primary ID, or the match_on identifier). */
  id: string;
  line: number;
  /** The fields to set, only those with a value. */
  values: Partial<Record<UpdateField, string>>;
  /** The 1-based column of each value, for problems found later (a code not in Alma's code table). */
  at?: Partial<Record<UpdateField, number>>;
}

export interface UpdateList {
  file: string;
  /** `primary_id` or the match_on identifier type. */
  idColumn: string;
  /** The field columns, in header order. */
  columns: UpdateField[];
  /** Rows that set at least one field, keyed by the lower-cased ID. */
  byId: Map<string, UpdateRow>;
  /** Rows with an ID and no value (they set nothing). */
  empty: number;
}

const DELIMITERS = [",", ";", "\t"] as const;

function delimiterOf(header: string): string {
  return DELIMITERS.find((d) => header.includes(d)) ?? ",";
}

const MONTHS = "January February March April May June July August September October November December".split(
  " ",
);

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Why a date cell is not a real YYYY-MM-DD date, or undefined. */
export function badDate(text: string): string | undefined {
  const m = DATE.exec(text);
  if (!m) {
    if (/^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$/.test(text))
      return `'${text}' is not a date in the form YYYY-MM-DD: it looks reformatted by a spreadsheet; format the column as text and write the date as e.g. 2027-06-30`;
    if (/^\d{5}(\.\d+)?$/.test(text))
      return `'${text}' is not a date in the form YYYY-MM-DD: it looks like a spreadsheet's date serial number; format the column as text and write the date as e.g. 2027-06-30`;
    if (/^\d{4}-\d{2}-\d{2}[ T]/.test(text))
      return `'${text}' has a time after the date; write only the date, YYYY-MM-DD`;
    return `'${text}' is not a date in the form YYYY-MM-DD (e.g. 2027-06-30)`;
  }
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12) return `${text} is not a date in the calendar: there is no month ${mo}`;
  const real = new Date(Date.UTC(y, mo - 1, d));
  if (d < 1 || real.getUTCMonth() !== mo - 1)
    return `${text} is not a date in the calendar: ${MONTHS[mo - 1]} ${y} has no day ${d}`;
  return undefined;
}

/** Why a cell is not a usable value of `field`, or undefined; `value` is the value to set when usable. */
function checkCell(field: UpdateField, text: string): { why?: string; value?: string } {
  const spec = FIELD_SPECS[field];
  if (spec.kind === "date") {
    const why = badDate(text);
    return why ? { why } : { value: text };
  }
  if (spec.kind === "status") {
    const up = text.toUpperCase();
    return up === "ACTIVE" || up === "INACTIVE"
      ? { value: up }
      : { why: `status '${text}' is not ACTIVE or INACTIVE` };
  }
  if (spec.kind === "email") {
    if (text.length > 255) return { why: `the e-mail address is longer than 255 characters` };
    const bad = badCharacter(text);
    if (bad) return { why: `the e-mail address '${text}' contains ${bad.why}` };
    if (!/^[^@]+@[^@]+\.[^@.]+$/.test(text))
      return { why: `'${text}' is not an e-mail address (name@domain.example)` };
    return { value: text };
  }
  if (spec.maxLength && text.length > spec.maxLength)
    return { why: `the ${field} code is longer than the ${spec.maxLength} characters Alma allows` };
  const bad = badCharacter(text);
  if (bad) return { why: `the ${field} code '${text}' contains ${bad.why}` };
  return { value: text };
}

/** Parses an updates CSV. `idColumn` is alma.match_on (`primary_id` or an identifier type). */
export function parseUpdates(text: string, file: string, idColumn: string): UpdateList {
  refuseBinary(text, file, "CSV UTF-8");
  const problems = new Problems(file);
  const lines = splitLines(text).filter((l) => l.raw.trim() !== "");
  const header = lines[0];
  if (!header) throw new InputError({ file, message: "the file is empty: it needs a header line" });
  const delimiter = delimiterOf(header.raw);
  const cells = splitFields(header.raw, delimiter);
  const columns: (UpdateField | undefined)[] = [];
  const seen = new Map<string, number>();
  const idWanted = idColumn.toLowerCase();
  const first = cells[0]!;
  if (first.text.toLowerCase() !== idWanted) {
    problems.add(
      `the first column must be the user's ID, '${idColumn}' (alma.match_on)${first.text ? `, not '${first.text}'` : ""}`,
      header,
      first.start,
    );
  }
  cells.slice(1).forEach((c, i) => {
    const name = c.text.toLowerCase();
    if (!name) {
      problems.add(`column ${i + 2} of the header has no name`, header, c.start);
      columns.push(undefined);
      return;
    }
    if (!isUpdateField(name)) {
      const hint = suggestName(name, UPDATE_FIELDS);
      problems.add(
        `unknown column '${c.text}'${hint ? `: did you mean '${hint}'?` : "."} The columns that can be set are: ${UPDATE_FIELDS.join(", ")}`,
        header,
        c.start,
      );
      columns.push(undefined);
      return;
    }
    const earlier = seen.get(name);
    if (earlier !== undefined)
      problems.add(
        `column '${name}' appears twice (columns ${earlier} and ${i + 2}); keep one`,
        header,
        c.start,
      );
    else seen.set(name, i + 2);
    columns.push(name);
  });
  if (cells.length < 2)
    problems.add(
      `the header names no field to set after '${first.text}': add one or more of ${UPDATE_FIELDS.join(", ")}`,
      header,
      header.raw.length,
    );

  const byId = new Map<string, UpdateRow>();
  let empty = 0;
  for (const line of lines.slice(1)) {
    const row = parseRow(line, delimiter, cells.length, columns, problems, idColumn);
    if (!row) continue;
    const key = row.id.toLowerCase();
    const before = byId.get(key);
    if (before) {
      problems.add(
        `user ${row.id} is listed twice (lines ${before.line} and ${line.n}); keep one row per user`,
        line,
        0,
      );
      continue;
    }
    if (!Object.keys(row.values).length) {
      empty++;
      continue;
    }
    byId.set(key, row);
  }
  problems.throwIfAny();
  if (!byId.size && !empty)
    throw new InputError({ file, message: `the file has no users (only the header)` });
  return {
    file,
    idColumn,
    columns: columns.filter((c): c is UpdateField => c !== undefined),
    byId,
    empty,
  };
}

function parseRow(
  line: Line,
  delimiter: string,
  width: number,
  columns: (UpdateField | undefined)[],
  problems: Problems,
  idColumn: string,
): UpdateRow | undefined {
  const fields: Field[] = splitFields(line.raw, delimiter);
  if (fields.length !== width) {
    problems.add(
      `${fields.length} fields where the header has ${width}${fields.length > width ? ` (is there a '${delimiter}' inside a value?)` : ""}`,
      line,
      0,
    );
    return undefined;
  }
  const [idCell, ...rest] = fields as [Field, ...Field[]];
  let ok = true;
  const id = idCell.text;
  if (!id) {
    problems.add(`empty ${idColumn}`, line, idCell.start);
    ok = false;
  } else {
    const damage = spreadsheetDamage(idColumn, id);
    const bad = badCharacter(id);
    const hazard = pathHazard(id);
    if (damage) {
      problems.add(damage, line, idCell.start);
      ok = false;
    } else if (bad) {
      problems.add(`${idColumn} '${id}' contains ${bad.why}`, line, idCell.start + bad.index);
      ok = false;
    } else if (hazard) {
      problems.add(`${idColumn} cannot be or contain ${hazard.why}`, line, idCell.start + hazard.index);
      ok = false;
    }
  }
  const values: UpdateRow["values"] = {};
  const at: NonNullable<UpdateRow["at"]> = {};
  rest.forEach((cell, i) => {
    const field = columns[i];
    if (!field || !cell.text) return;
    const { why, value } = checkCell(field, cell.text);
    if (why) {
      problems.add(`${field}: ${why}`, line, cell.start);
      ok = false;
    } else {
      values[field] = value!;
      at[field] = columnOf(line.raw, cell.start);
    }
  });
  return ok ? { id, line: line.n, values, at } : undefined;
}

export async function readUpdates(
  path: string,
  displayName: string,
  idColumn: string,
  caps?: ListCaps,
): Promise<UpdateList> {
  return parseUpdates(await readInputText(path, displayName, caps), displayName, idColumn);
}

/** "data/alma/user_updates.csv: 1,204 users (expiry_date 1,204 · user_group 37)", for validate. */
export function updatesSummary(list: UpdateList): string {
  const by = list.columns
    .map((c) => [c, [...list.byId.values()].filter((r) => r.values[c] !== undefined).length] as const)
    .map(([c, n]) => `${c} ${n.toLocaleString("en-US")}`);
  const empty = list.empty ? `; ${list.empty} rows set nothing` : "";
  return `${list.file}: ${list.byId.size.toLocaleString("en-US")} users to update (${by.join(" · ")})${empty}`;
}

/** The row of an updates list for a user ID, if any. */
export function lookupUpdate(list: UpdateList | undefined, id: string): UpdateRow | undefined {
  return list?.byId.get(id.trim().toLowerCase());
}

/**
 * The known column a misspelt one means: the only one it starts (`expiry` → `expiry_date`), else the one
 * nearest by edit distance (core/did-you-mean.ts).
 */
export function suggestName(name: string, known: readonly string[]): string | undefined {
  const squashed = name.toLowerCase().replace(/[\s\-.]+/g, "_");
  const prefixed = squashed.length >= 3 ? known.filter((k) => k.startsWith(squashed)) : [];
  if (prefixed.length === 1) return prefixed[0];
  return nearestName(squashed, known);
}
