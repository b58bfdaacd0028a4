/**
 * Offline validation of the Infiniti roster CSV: `patron-sync validate` and the start of every plan.
 * Every problem is collected and thrown at once as an InputError (exit 2, nothing sent); each names
 * the file (as written in the config), the line, the column number and name, and the value
 * (passwords shown as •••).
 */
import { resolve } from "node:path";
import type { LoadedConfig } from "../core/config.ts";
import { InputError, type InputProblem } from "../core/errors.ts";
import { spreadsheetDamage } from "../core/spreadsheet.ts";
import {
  capProblems,
  checkCaps,
  checkFileSize,
  decodeInputBytes,
  normalizeLineEnds,
  readInputBytes,
  refuseBinary,
  stripBom,
} from "../core/textfile.ts";
import { badCharacterProblems, DEFAULT_CAPS, ROSTER_CAP_WORDS, type RosterCaps } from "./caps.ts";
import { isKnownColumn } from "./columns.ts";
import { checkHeader } from "./header.ts";
import { parseRecords, type RawRecord } from "./records.ts";
import { isEmail, normalizeValue, parseBoolean, sha256, shown } from "./values.ts";
import { infinitiConfigOf } from "./config.ts";

export interface InfinitiRow {
  /** Line of the roster where the record starts (1-based; a quoted line break makes a record longer). */
  line: number;
  username: string;
  /** Normalised values (trimmed; booleans y/n; gender upper-case), keyed by canonical column name. */
  values: Record<string, string>;
}

export interface InfinitiRoster {
  /** The roster's path as written in the config (relative to the config's folder). */
  file: string;
  /** Absolute path. */
  path: string;
  /** Canonical (trimmed, lower-case) column names, in the roster's order. */
  header: string[];
  rows: InfinitiRow[];
  /** SHA-256 of the file's bytes. */
  sha256: string;
}

/** Reads and validates the roster named by `infiniti.users`. Throws InputError listing every problem. */
export async function validateInfiniti(loaded: LoadedConfig): Promise<InfinitiRoster> {
  const cfg = infinitiConfigOf(loaded);
  if (!cfg)
    throw new InputError({ file: loaded.path, message: "there is no 'infiniti' section in the config" });
  const path = resolve(loaded.root, cfg.users);
  const caps: RosterCaps = { maxLines: cfg.max_lines, maxBytes: cfg.max_bytes };
  await checkFileSize(path, cfg.users, caps, ROSTER_CAP_WORDS);
  const bytes = await readInputBytes(path, cfg.users);
  // `validate` and then `plan` read the same roster in one run: keep the last valid one (by content).
  const digest = sha256(bytes);
  if (lastValid && lastValid.path === path && lastValid.sha256 === digest && lastValid.file === cfg.users)
    return lastValid;
  const roster = { ...validateRoster(bytes, cfg.users, caps), path };
  lastValid = roster;
  return roster;
}

let lastValid: InfinitiRoster | undefined;

/**
 * Validates roster bytes (or text). `file` is the name used in messages. Read through the text-file layer
 * (core/textfile.ts), as the Alma lists are: the size and line caps first, before the roster is decoded or
 * parsed; UTF-8 or UTF-16 with a BOM; any line ends; a binary file refused once; at most MAX_PROBLEMS
 * problems listed.
 */
export function validateRoster(
  input: Buffer | string,
  file: string,
  caps: RosterCaps = DEFAULT_CAPS,
): InfinitiRoster {
  checkCaps(typeof input === "string" ? Buffer.from(input) : input, file, caps, ROSTER_CAP_WORDS);
  const text = normalizeLineEnds(stripBom(typeof input === "string" ? input : decodeInputBytes(input)));
  refuseBinary(text, file, "'CSV UTF-8'");
  const problems: InputProblem[] = [];
  const records = parseRecords(text, file, problems);
  const names = records[0]?.fields.map((f) => f.trim().toLowerCase()) ?? [];
  const withBad = badCharacterProblems(records, names, file, problems);
  const header = records[0];
  if (header && withBad.has(header)) throw new InputError(capProblems(problems, file));
  const roster = checkRecords(
    records.filter((r) => !withBad.has(r)),
    file,
    problems,
  );
  if (problems.length) {
    // Stable sort: file-level problems first, then by line and column.
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    throw new InputError(capProblems(problems, file));
  }
  return { ...roster, path: file, sha256: sha256(input) };
}

const isBlank = (fields: string[]) => fields.every((f) => f.trim() === "");

const YEAR = /^\d{4}$/;

function checkRecords(
  records: RawRecord[],
  file: string,
  problems: InputProblem[],
): Omit<InfinitiRoster, "path" | "sha256"> {
  const [header, ...rest] = records;
  if (!header) {
    if (!problems.length)
      problems.push({ file, message: "the roster is empty: it needs a header line and one line per user" });
    return { file, header: [], rows: [] };
  }
  const data = rest.filter((r) => !isBlank(r.fields));
  const { names } = checkHeader(header, data, file, problems);
  if (!data.length && !problems.length) {
    problems.push({
      file,
      line: header.line,
      message: "the roster has a header but no users: refusing an empty roster",
    });
  }
  const index = new Map<string, number>();
  names.forEach((n, i) => {
    if (isKnownColumn(n) && !index.has(n)) index.set(n, i);
  });
  const known = [...index.entries()];
  const col = (name: string) => index.get(name);
  const iUser = col("username");
  const iEnabled = col("enabled");
  const iStaff = col("staffmember");
  const iYear = col("graduationyear");
  const iEmail = col("emailaddress");
  const iGender = col("gender");
  const iBarcode = col("librarybarcode");
  const identifiers: [number, string][] = [];
  for (const [i, what] of [
    [iUser, "username"],
    [iBarcode, "library barcode"],
    [col("adminsystemid"), "admin system ID"],
  ] as const) {
    if (i !== undefined) identifiers.push([i, what]);
  }
  const usernames = new Map<string, number>();
  const barcodes = new Map<string, number>();
  const rows: InfinitiRow[] = [];
  let studentsWithoutYearColumn = 0;
  let firstStudentLine = 0;

  for (const r of data) {
    const { line, fields } = r;
    if (fields.length !== names.length) {
      problems.push({
        file,
        line,
        message: `line ${line} has ${fields.length} fields but the header has ${names.length}${fields.length > names.length ? " (an unquoted comma in a value? quote the value)" : ""}`,
      });
      continue;
    }
    const bad = (i: number, message: string) => {
      problems.push({ file, line, column: i + 1, message: `${names[i]} (column ${i + 1}): ${message}` });
    };
    const at = (i: number | undefined) => (i === undefined ? "" : fields[i]!.trim());

    const username = at(iUser);
    if (iUser !== undefined) {
      if (!username) bad(iUser, "the username is blank; every user needs one");
      else {
        const key = username.toLowerCase();
        const earlier = usernames.get(key);
        if (earlier !== undefined) bad(iUser, `username '${username}' is already used on line ${earlier}`);
        else usernames.set(key, line);
      }
    }
    for (const [i, what] of identifiers) {
      const damage = spreadsheetDamage(what, at(i));
      if (damage) bad(i, damage);
    }
    for (const i of [iEnabled, iStaff]) {
      if (i === undefined) continue;
      const v = at(i);
      if (parseBoolean(v) === undefined) {
        bad(
          i,
          `${shown(names[i]!, v)} is not a yes/no value: use y or n (also accepted: yes/no, true/false, 1/0)`,
        );
      }
    }
    const staff = iStaff === undefined ? undefined : parseBoolean(at(iStaff));
    if (iYear !== undefined) {
      const y = at(iYear);
      if (y && !YEAR.test(y))
        bad(iYear, `${shown("graduationyear", y)} is not a four-digit year such as 2031`);
      else if (!y && staff === false)
        bad(iYear, "the graduation year is blank; it is required for students (staffmember n)");
    } else if (staff === false) {
      studentsWithoutYearColumn++;
      firstStudentLine ||= line;
    }
    if (iEmail !== undefined) {
      const e = at(iEmail);
      if (e && !isEmail(e)) bad(iEmail, `${shown("emailaddress", e)} is not a well-formed email address`);
    }
    if (iGender !== undefined) {
      const g = at(iGender);
      if (g && !/^[mf]$/i.test(g)) bad(iGender, `${shown("gender", g)} is not M, F or blank`);
    }
    if (iBarcode !== undefined) {
      const b = at(iBarcode);
      if (b) {
        const key = b.toLowerCase();
        const earlier = barcodes.get(key);
        if (earlier !== undefined) bad(iBarcode, `library barcode '${b}' is already used on line ${earlier}`);
        else barcodes.set(key, line);
      }
    }
    if (problems.length) continue; // the roster is refused anyway: no need to build rows
    const values: Record<string, string> = {};
    for (const [name, i] of known) values[name] = normalizeValue(name, fields[i]!);
    rows.push({ line, username, values });
  }
  if (studentsWithoutYearColumn) {
    problems.push({
      file,
      line: header.line,
      message: `there is no 'graduationyear' column but ${studentsWithoutYearColumn} users are students (staffmember n), who need one (the first on line ${firstStudentLine})`,
    });
  }
  return { file, header: names, rows };
}
