/**
 * The applied state: the roster as last applied successfully (`infiniti.state`, default
 * `state/infiniti/applied.csv`, relative to the config's folder). Incremental plans compare with it;
 * apply merges into it only the rows Infiniti accepted, so a failed row is sent again next time.
 *
 * The file is a CSV (LF line endings, header first, canonical column names). It never holds a
 * password: the `password` column keeps a salted SHA-256 fingerprint, enough to notice a change.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import type { LoadedConfig } from "../core/config.ts";
import { InputError } from "../core/errors.ts";
import { canonicalName, columnOrder } from "./columns.ts";
import { passwordFingerprint, sha256 } from "./values.ts";
import { infinitiConfigOf } from "./config.ts";

export interface AppliedState {
  /** The state path as written in the config. */
  file: string;
  /** Absolute path. */
  path: string;
  exists: boolean;
  /** SHA-256 of the file's bytes (undefined when there is no file yet). */
  sha256?: string;
  columns: string[];
  /** Last applied values by lower-cased username (password as a fingerprint). */
  users: Map<string, Record<string, string>>;
}

export function statePaths(loaded: LoadedConfig): { file: string; path: string; fromRoot: string } {
  const file = infinitiConfigOf(loaded)?.state ?? "state/infiniti/applied.csv";
  const path = resolve(loaded.root, file);
  return { file, path, fromRoot: relative(loaded.root, path) || file };
}

export async function readState(loaded: LoadedConfig): Promise<AppliedState> {
  const { file, path } = statePaths(loaded);
  if (!existsSync(path)) return { file, path, exists: false, columns: [], users: new Map() };
  const bytes = await readFile(path);
  return { ...parseState(bytes.toString("utf8"), file), path, sha256: sha256(bytes) };
}

export function parseState(text: string, file: string): AppliedState {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true });
  } catch (e) {
    throw new InputError({
      file,
      message: `the applied state is not valid CSV (${(e as Error).message}); restore it from git history, or delete it to send every user again`,
    });
  }
  const [head, ...rows] = records;
  const columns = (head ?? []).map(canonicalName);
  const iUser = columns.indexOf("username");
  if (head && iUser < 0)
    throw new InputError({ file, line: 1, message: "the applied state has no 'username' column" });
  const users = new Map<string, Record<string, string>>();
  for (const r of rows) {
    const values: Record<string, string> = {};
    columns.forEach((c, i) => (values[c] = r[i] ?? ""));
    const u = values.username ?? "";
    if (u) users.set(u.toLowerCase(), values);
  }
  return { file, path: file, exists: true, columns, users };
}

/** The values a state row keeps for what was sent: the password replaced by its fingerprint. */
export function stateValues(values: Record<string, string>): Record<string, string> {
  const out = { ...values };
  if (out.password !== undefined) out.password = passwordFingerprint(out.username ?? "", out.password);
  return out;
}

export function stateCsv(state: Pick<AppliedState, "columns" | "users">): string {
  const columns = columnOrder(["username", ...state.columns]);
  const rows = [...state.users.values()]
    .sort((a, b) => (a.username ?? "").localeCompare(b.username ?? ""))
    .map((u) => columns.map((c) => u[c] ?? ""));
  return stringify([columns, ...rows], { record_delimiter: "\n" });
}

/** Writes the state atomically: a temporary file beside it, then a rename. */
export async function writeState(
  path: string,
  state: Pick<AppliedState, "columns" | "users">,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, stateCsv(state));
  await rename(tmp, path);
}
