/**
 * Undoing an Infiniti apply (issue #13).
 *
 * Apply saves `infiniti/applied.json` in the plan directory: for every user Infiniti accepted, the
 * state row before the apply (null for a user it created) and after it. This snapshot, not the git
 * history of the state file, is what a revert reads: it is exact for the one apply (other applies
 * may have merged into the state in between, and a squash merge or a shallow clone loses history),
 * it works the same for the CLI (where the state may not be in git at all) and for GitHub, and it
 * holds no password (the column is left out: passwords are never restored).
 *
 * The revert rows: a user the apply created is sent with enabled=n (Infiniti's import cannot
 * delete); a user it updated gets the values from before. At apply, a row whose user's current
 * state differs from what the reverted apply left is skipped as `changed-since-apply`.
 */
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "../core/errors.ts";
import { systemPath } from "../core/plandir.ts";
import { columnOrder } from "./columns.ts";
import type { FieldChange, InfinitiAction, PlannedUser } from "./diff.ts";
import type { InfinitiResult, SentRow } from "./result.ts";
import { INFINITI_DIR } from "./planfile.ts";
import type { AppliedState } from "./state.ts";

export const APPLIED_FILE = "applied.json";

export interface AppliedUser {
  username: string;
  /** What the applied plan did: create, update, unchanged (full mode) or disable. */
  action: InfinitiAction;
  /** The state row before the apply, no password; null: the user was not in the state (created). */
  before: Record<string, string> | null;
  /** The state row after the apply, no password. */
  after: Record<string, string>;
}

export interface AppliedFile {
  system: "infiniti";
  /** The state file the rows come from (as the config names it). */
  state: string;
  users: AppliedUser[];
}

const withoutPassword = (v: Record<string, string>): Record<string, string> => {
  const { password: _p, ...rest } = v;
  return rest;
};

/** Collects what an apply merges into the state, and writes it as infiniti/applied.json. */
export class AppliedLog {
  private users: AppliedUser[] = [];
  constructor(private readonly stateFile: string) {}
  add(
    username: string,
    action: InfinitiAction,
    before: Record<string, string> | undefined,
    after: Record<string, string>,
  ): void {
    this.users.push({
      username,
      action,
      before: before ? withoutPassword(before) : null,
      after: withoutPassword(after),
    });
  }
  async write(infinitiDir: string): Promise<void> {
    const file: AppliedFile = { system: "infiniti", state: this.stateFile, users: this.users };
    await writeFile(join(infinitiDir, APPLIED_FILE), JSON.stringify(file) + "\n");
  }
}

/** Reads DIR/infiniti/applied.json; undefined when that apply wrote nothing to Infiniti. */
export function readApplied(planDir: string): AppliedFile | undefined {
  const path = systemPath(planDir, INFINITI_DIR, APPLIED_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const f = JSON.parse(readFileSync(path, "utf8")) as AppliedFile;
    if (f.system !== "infiniti" || !Array.isArray(f.users)) throw new Error("not ours");
    return f;
  } catch {
    throw new InputError({ file: path, message: "is not an infiniti/applied.json written by patron-sync" });
  }
}

export interface RevertUser extends PlannedUser {
  /** The user's state after the reverted apply: the row is sent only while the state still says this. */
  after: Record<string, string>;
}

/** The rows that undo an apply, in its order. Users whose only change was the password are left out. */
export function revertUsers(applied: AppliedFile): {
  users: RevertUser[];
  columns: string[];
  passwordOnly: number;
} {
  const users: RevertUser[] = [];
  let passwordOnly = 0;
  for (const a of applied.users) {
    let values: Record<string, string>;
    let action: InfinitiAction;
    if (!a.before) {
      values = { ...a.after, enabled: "n" };
      action = "disable";
    } else {
      const keys = new Set([...Object.keys(a.before), ...Object.keys(a.after)]);
      values = Object.fromEntries([...keys].map((k) => [k, a.before![k] ?? ""]));
      action = "update";
    }
    const changes: FieldChange[] = Object.keys(values)
      .filter((k) => (a.after[k] ?? "") !== values[k])
      .map((k) => ({ field: k, old: a.after[k] ?? "", new: values[k]! }));
    if (!changes.length) {
      passwordOnly++;
      continue;
    }
    users.push({ username: a.username, action, sent: true, changes, values, after: a.after });
  }
  const columns = columnOrder(["username", ...users.flatMap((u) => Object.keys(u.values!))]).filter(
    (c) => c !== "password",
  );
  return { users, columns, passwordOnly };
}

/**
 * At apply of a revert: the rows to send, and the rows skipped because the user's state is no
 * longer what the reverted apply left (someone changed it since: never overwritten).
 */
export function revertRows<R extends SentRow>(
  rows: R[],
  applied: AppliedFile,
  state: AppliedState,
  reverts: string,
): { send: R[]; skipped: InfinitiResult[] } {
  const after = new Map(applied.users.map((u) => [u.username.toLowerCase(), u.after]));
  const send: R[] = [];
  const skipped: InfinitiResult[] = [];
  for (const r of rows) {
    const want = after.get(r.username.toLowerCase());
    const now = state.users.get(r.username.toLowerCase());
    const same =
      want &&
      now &&
      [...new Set([...Object.keys(want), ...Object.keys(now)])]
        .filter((k) => k !== "password")
        .every((k) => (want[k] ?? "") === (now[k] ?? ""));
    if (same) send.push(r);
    else
      skipped.push({
        username: r.username,
        status: "skipped",
        row: r.row,
        message: `changed-since-apply: the applied state of this user is no longer what ${reverts} left; not overwritten. Fix this user by hand in Infiniti.`,
      });
  }
  return { send, skipped };
}
