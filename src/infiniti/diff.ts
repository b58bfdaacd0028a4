/**
 * What to send: the roster compared with the applied state, keyed by username (case-insensitive),
 * on normalised values. `incremental` sends new (`create`) and changed (`update`) users; `full`
 * sends every roster user (unchanged ones too, marked `sent`); `disable_missing` adds users that are
 * in the state but gone from the roster, with their last-applied values and enabled=n (`disable`).
 */
import type { Holds } from "../core/holds.ts";
import { rosterHold } from "./holds.ts";
import type { AppliedState } from "./state.ts";
import type { InfinitiRoster } from "./validate.ts";
import { MASK, passwordFingerprint } from "./values.ts";

/** `held`: a revert undid this user's change and the roster row is as it was (core/holds.ts): not sent. */
export type InfinitiAction = "create" | "update" | "unchanged" | "disable" | "held";

export interface FieldChange {
  field: string;
  /** The last-applied value ("" when none); a password is always shown as •••. */
  old: string;
  new: string;
}

export interface PlannedUser {
  username: string;
  action: InfinitiAction;
  /** Whether apply posts this user. */
  sent: boolean;
  /** Line in the roster (absent for `disable`). */
  line?: number;
  changes: FieldChange[];
  /** The values to post (only for sent users; holds the plain password: never written to plan.json). */
  values?: Record<string, string>;
  /** `held`: the revert plan directory that holds it. */
  held_by?: string;
}

export interface DiffOptions {
  mode: "incremental" | "full";
  disableMissing: boolean;
  /** The revert holds in force: a held user whose roster row is the recorded one is `held`, not sent. */
  holds?: Holds;
}

export interface DiffResult {
  users: PlannedUser[];
  /** Users in the state but not in the roster, left alone (disable_missing off, or already disabled). */
  missing: number;
}

function changesOf(
  header: string[],
  values: Record<string, string>,
  old: Record<string, string> | undefined,
): FieldChange[] {
  const out: FieldChange[] = [];
  for (const field of header) {
    const now = values[field] ?? "";
    const before = old?.[field] ?? "";
    if (field === "password") {
      const fp = passwordFingerprint(values.username ?? "", now);
      if (fp !== before) out.push({ field, old: before ? MASK : "", new: now ? MASK : "" });
    } else if (now !== before) {
      if (!old && (now === "" || field === "username")) continue;
      out.push({ field, old: before, new: now });
    }
  }
  return out;
}

export function diffRoster(roster: InfinitiRoster, state: AppliedState, opts: DiffOptions): DiffResult {
  const users: PlannedUser[] = [];
  const inRoster = new Set<string>();
  for (const row of roster.rows) {
    const key = row.username.toLowerCase();
    inRoster.add(key);
    const old = state.users.get(key);
    const changes = changesOf(roster.header, row.values, old);
    const action: InfinitiAction = !old ? "create" : changes.length ? "update" : "unchanged";
    const held = action !== "unchanged" ? rosterHold(opts.holds, key, roster.header, row.values) : undefined;
    if (held) {
      users.push({
        username: row.username,
        action: "held",
        sent: false,
        line: row.line,
        changes,
        held_by: held.revert,
      });
      continue;
    }
    const sent = opts.mode === "full" || action !== "unchanged";
    users.push({
      username: row.username,
      action,
      sent,
      line: row.line,
      changes,
      ...(sent ? { values: row.values } : {}),
    });
  }
  let missing = 0;
  const gone = [...state.users.entries()]
    .filter(([key]) => !inRoster.has(key))
    .sort(([a], [b]) => a.localeCompare(b));
  for (const [key, old] of gone) {
    if (!opts.disableMissing || old.enabled === "n") {
      missing++;
      continue;
    }
    const held = rosterHold(opts.holds, key, roster.header, undefined);
    if (held) {
      users.push({
        username: old.username ?? "",
        action: "held",
        sent: false,
        changes: [{ field: "enabled", old: old.enabled ?? "", new: "n" }],
        held_by: held.revert,
      });
      continue;
    }
    const values: Record<string, string> = {};
    for (const field of roster.header) values[field] = old[field] ?? "";
    values.enabled = "n";
    // The state keeps only a fingerprint: a disabled user is sent without a password.
    if ("password" in values) values.password = "";
    users.push({
      username: old.username ?? "",
      action: "disable",
      sent: true,
      changes: [{ field: "enabled", old: old.enabled ?? "", new: "n" }],
      values,
    });
  }
  return { users, missing };
}

export function countActions(users: PlannedUser[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const u of users) counts[u.action] = (counts[u.action] ?? 0) + 1;
  return counts;
}
