/**
 * The two Alma input files, read and checked before any API call:
 *
 * - the patron list: an Alma Analytics export of Primary Identifiers, one per line, maybe with a header;
 * - the barcode list: `employee_id|barcode` lines (also comma- or tab-separated, maybe with a header).
 *
 * Parsing is pure (text in, result or InputError out). Every problem in a file is reported at once, with the
 * file, line and column (columns count characters, 1-based, in the line as written).
 */
import { InputError } from "../core/errors.ts";
import { spreadsheetDamage } from "../core/spreadsheet.ts";
import { barcodePattern, patternMismatch } from "./barcode-pattern.ts";
import {
  decodeInputBytes,
  Problems,
  readCappedBytes,
  refuseBinary,
  splitLines,
  type Line,
} from "../core/textfile.ts";
import { badCharacter, cleanField, splitFields, titleWords, type Field } from "./list-fields.ts";
import { pathHazard } from "./ids.ts";
import { ALMA_CAP_WORDS, ALMA_LIST_CAPS, type ListCaps } from "./list-caps.ts";

export interface PatronEntry {
  id: string;
  line: number;
}

export interface PatronList {
  file: string;
  /** Each primary ID once, at its first occurrence, in file order. */
  entries: PatronEntry[];
  header?: { line: number; text: string };
  /** IDs listed more than once (compared case-insensitively), each once, with every line it is on. */
  duplicates: { id: string; lines: number[] }[];
}

export interface BarcodeEntry {
  employeeId: string;
  barcode: string;
  line: number;
}

export interface BarcodeConflict {
  employeeId: string;
  barcodes: string[];
  lines: number[];
  reason: string;
}

export interface BarcodeList {
  file: string;
  delimiter: "|" | "," | "\t";
  header?: { line: number; text: string };
  /** Usable entries, keyed by the lower-cased employee ID. */
  byEmployee: Map<string, BarcodeEntry>;
  /** Employee IDs involved in a conflict (not applied), keyed by the lower-cased employee ID. */
  conflicts: Map<string, BarcodeConflict>;
  /** Data lines in the file (not counting the header and blank lines). */
  count: number;
}

const key = (s: string): string => s.toLowerCase();

// ---------------------------------------------------------------------------------------------------------
// Patron list

const PATRON_HEADERS = new Set([
  "primary identifier",
  "user primary identifier",
  "primary id",
  "user primary id",
  "primary identifiers",
]);
/** Words that only make up a column title, never a primary ID (when there are two or more of them). */
const PATRON_HEADER_WORDS = new Set([
  "primary",
  "identifier",
  "identifiers",
  "id",
  "ids",
  "user",
  "users",
  "patron",
  "patrons",
  "details",
  "unique",
]);

/** Whether the first non-blank line of a patron list is a column title rather than an ID. */
export function isPatronHeader(text: string): boolean {
  const words = titleWords(text.trim());
  if (!words) return false;
  if (PATRON_HEADERS.has(words.join(" "))) return true;
  return words.length >= 2 && words.every((w) => PATRON_HEADER_WORDS.has(w));
}

export function parsePatronList(text: string, file: string): PatronList {
  refuseBinary(text, file, "UTF-8 (plain text)");
  const problems = new Problems(file);
  const entries: PatronEntry[] = [];
  const seen = new Map<string, { id: string; lines: number[] }>();
  let header: PatronList["header"];
  let first = true;
  for (const line of splitLines(text)) {
    if (!line.raw.trim()) continue;
    if (first) {
      first = false;
      if (isPatronHeader(line.raw)) {
        header = { line: line.n, text: line.raw.trim() };
        continue;
      }
    }
    const f = cleanField(line.raw, 0);
    if (!f.text) {
      problems.add("empty primary ID", line, f.start);
      continue;
    }
    const bad = badCharacter(f.text);
    if (bad) {
      problems.add(
        `a primary ID cannot contain ${bad.why}: the patron list has one primary ID per line and no other columns`,
        line,
        f.start + bad.index,
      );
      continue;
    }
    const hazard = pathHazard(f.text);
    if (hazard) {
      problems.add(`a primary ID cannot be or contain ${hazard.why}`, line, f.start + hazard.index);
      continue;
    }
    const damage = spreadsheetDamage("primary ID", f.text);
    if (damage) {
      problems.add(damage, line, f.start);
      continue;
    }
    const k = key(f.text);
    const s = seen.get(k);
    if (s) s.lines.push(line.n);
    else {
      seen.set(k, { id: f.text, lines: [line.n] });
      entries.push({ id: f.text, line: line.n });
    }
  }
  problems.throwIfAny();
  if (!entries.length) {
    throw new InputError({
      file,
      message: `the file has no patron IDs${header ? ` (only the header "${header.text}")` : ""}`,
    });
  }
  const duplicates = [...seen.values()].filter((d) => d.lines.length > 1);
  return header ? { file, entries, header, duplicates } : { file, entries, duplicates };
}

// ---------------------------------------------------------------------------------------------------------
// Barcode list

const DELIMITERS = ["|", "\t", ","] as const;
type Delimiter = (typeof DELIMITERS)[number];

const DELIMITER_NAME: Record<string, string> = { "|": "'|'", ",": "','", "\t": "a tab" };

/** Words that make up the column titles of a barcode list. */
const BARCODE_HEADER_WORDS = new Set([
  "employee",
  "employees",
  "emp",
  "empl",
  "emplid",
  "staff",
  "student",
  "user",
  "patron",
  "primary",
  "id",
  "ids",
  "identifier",
  "number",
  "no",
  "nr",
  "num",
  "barcode",
  "barcodes",
  "bar",
  "code",
  "library",
  "card",
  "value",
  "new",
]);

function isBarcodeHeader(fields: Field[]): boolean {
  return fields.every((f) => {
    const words = titleWords(f.text);
    return words !== undefined && words.every((w) => BARCODE_HEADER_WORDS.has(w));
  });
}

/** The delimiter that splits most of the first lines into exactly two fields ('|' wins ties, then tab). */
function detectDelimiter(lines: Line[]): Delimiter {
  const sample = lines.slice(0, 20);
  let best: Delimiter = "|";
  let bestScore = -1;
  for (const d of DELIMITERS) {
    const two = sample.filter((l) => l.raw.split(d).length === 2).length;
    const any = sample.filter((l) => l.raw.includes(d)).length;
    const score = two * 1000 + any;
    if (score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

/** What the barcode list is checked against besides its shape: `alma.barcode_pattern`. */
export interface BarcodeListRules {
  barcodePattern?: string | undefined;
}

export function parseBarcodeList(text: string, file: string, rules: BarcodeListRules = {}): BarcodeList {
  const pattern = rules.barcodePattern ? barcodePattern(rules.barcodePattern) : undefined;
  refuseBinary(text, file, "UTF-8 (plain text)");
  const problems = new Problems(file);
  const lines = splitLines(text).filter((l) => l.raw.trim() !== "");
  const delimiter = detectDelimiter(lines);
  const dname = DELIMITER_NAME[delimiter] ?? delimiter;
  const shape = `employee_id${delimiter === "\t" ? "<tab>" : delimiter}barcode`;
  let header: BarcodeList["header"];
  const entries: BarcodeEntry[] = [];

  lines.forEach((line, i) => {
    const fields = splitFields(line.raw, delimiter);
    if (i === 0 && isBarcodeHeader(fields)) {
      header = { line: line.n, text: line.raw.trim() };
      return;
    }
    if (fields.length < 2) {
      const other = DELIMITERS.find((d) => d !== delimiter && line.raw.includes(d));
      const hint = other ? `; this line seems to use ${DELIMITER_NAME[other]} instead` : "";
      problems.add(
        `expected ${shape} but there is no ${dname}${hint}`,
        line,
        line.raw.trimEnd().length, // where the delimiter is missing: just after the text
      );
      return;
    }
    if (fields.length > 2) {
      let second = line.raw.indexOf(delimiter);
      second = line.raw.indexOf(delimiter, second + 1);
      problems.add(`${fields.length} fields where 2 are expected (${shape})`, line, second);
      return;
    }
    const [emp, bc] = fields as [Field, Field];
    let ok = true;
    for (const [f, what] of [
      [emp, "employee ID"],
      [bc, "barcode"],
    ] as const) {
      if (!f.text) {
        problems.add(`empty ${what} (${shape})`, line, f.start);
        ok = false;
        continue;
      }
      const bad = badCharacter(f.text);
      const hazard = what === "barcode" && !bad ? pathHazard(f.text) : undefined;
      if (bad) {
        problems.add(`the ${what} "${f.text}" contains ${bad.why}`, line, f.start + bad.index);
        ok = false;
      } else if (hazard) {
        problems.add(`a barcode cannot be or contain ${hazard.why}`, line, f.start + hazard.index);
        ok = false;
      } else {
        const damage =
          spreadsheetDamage(what, f.text) ??
          (what === "barcode" && pattern
            ? patternMismatch(f.text, pattern, rules.barcodePattern!)
            : undefined);
        if (damage) {
          problems.add(damage, line, f.start);
          ok = false;
        }
      }
    }
    if (ok) entries.push({ employeeId: emp.text, barcode: bc.text, line: line.n });
  });

  problems.throwIfAny();
  if (!entries.length) {
    throw new InputError({
      file,
      message: `the file has no barcodes${header ? ` (only the header "${header.text}")` : ""}`,
    });
  }

  const { byEmployee, conflicts } = findConflicts(entries);
  const list: BarcodeList = { file, delimiter, byEmployee, conflicts, count: entries.length };
  if (header) list.header = header;
  return list;
}

/**
 * An employee ID with two different barcodes, or a barcode (compared case-insensitively) given to two
 * employees, is a conflict: every employee involved goes to `conflicts` and none of their lines is applied.
 * The same pair listed twice is only a repeat.
 */
function findConflicts(entries: BarcodeEntry[]): Pick<BarcodeList, "byEmployee" | "conflicts"> {
  const byEmp = new Map<string, BarcodeEntry[]>();
  const byBarcode = new Map<string, BarcodeEntry[]>();
  for (const e of entries) {
    const a = byEmp.get(key(e.employeeId)) ?? [];
    a.push(e);
    byEmp.set(key(e.employeeId), a);
    const b = byBarcode.get(key(e.barcode)) ?? [];
    b.push(e);
    byBarcode.set(key(e.barcode), b);
  }

  const conflicts = new Map<string, BarcodeConflict>();
  const note = (emp: string, group: BarcodeEntry[], reason: string): void => {
    const first = byEmp.get(emp)?.[0];
    const c = conflicts.get(emp) ?? {
      employeeId: first?.employeeId ?? emp,
      barcodes: [],
      lines: [],
      reason: "",
    };
    for (const e of group) {
      if (key(e.employeeId) === emp && !c.barcodes.includes(e.barcode)) c.barcodes.push(e.barcode);
      if (!c.lines.includes(e.line)) c.lines.push(e.line);
    }
    c.lines.sort((x, y) => x - y);
    c.reason = c.reason ? `${c.reason}; ${reason}` : reason;
    conflicts.set(emp, c);
  };

  for (const [emp, group] of byEmp) {
    const barcodes = unique(group.map((e) => e.barcode));
    if (barcodes.length > 1) {
      const id = group[0]?.employeeId ?? emp;
      note(emp, group, `employee ID ${id} is listed with different barcodes: ${barcodes.join(", ")}`);
    }
  }
  for (const group of byBarcode.values()) {
    const emps = unique(group.map((e) => key(e.employeeId)));
    if (emps.length < 2) continue;
    const names = unique(
      group.map((e) => e.employeeId),
      key,
    );
    const barcode = group[0]?.barcode ?? "";
    for (const emp of emps) {
      note(emp, group, `barcode ${barcode} is given to more than one employee ID: ${names.join(", ")}`);
    }
  }

  const byEmployee = new Map<string, BarcodeEntry>();
  for (const [emp, group] of byEmp) {
    if (!conflicts.has(emp) && group[0]) byEmployee.set(emp, group[0]);
  }
  return { byEmployee, conflicts };
}

function unique(values: string[], by: (s: string) => string = (s) => s): string[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const k = by(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function lookupBarcode(
  list: BarcodeList,
  employeeId: string,
):
  | { kind: "found"; entry: BarcodeEntry }
  | { kind: "conflict"; conflict: BarcodeConflict }
  | { kind: "missing" } {
  const k = key(employeeId.trim());
  const conflict = list.conflicts.get(k);
  if (conflict) return { kind: "conflict", conflict };
  const entry = list.byEmployee.get(k);
  return entry ? { kind: "found", entry } : { kind: "missing" };
}

// ---------------------------------------------------------------------------------------------------------
// Reading files

/**
 * Reads an input file as text. UTF-8 (with or without a BOM) is the norm; a file with a UTF-16 BOM (Excel's
 * "Unicode Text") is decoded too. Invalid UTF-8 becomes U+FFFD, which the parsers then point at.
 */
export async function readInputText(
  path: string,
  displayName: string,
  caps: ListCaps = ALMA_LIST_CAPS,
): Promise<string> {
  return decodeInputBytes(await readCappedBytes(path, displayName, caps, ALMA_CAP_WORDS));
}

export async function readPatronList(
  path: string,
  displayName: string,
  caps?: ListCaps,
): Promise<PatronList> {
  return parsePatronList(await readInputText(path, displayName, caps), displayName);
}

export async function readBarcodeList(
  path: string,
  displayName: string,
  caps?: ListCaps,
  rules?: BarcodeListRules,
): Promise<BarcodeList> {
  return parseBarcodeList(await readInputText(path, displayName, caps), displayName, rules);
}
