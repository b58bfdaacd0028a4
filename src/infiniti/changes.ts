/**
 * infiniti/changes.csv: one row per user the import changes (create, update, disable), each changed
 * field as "old → new" in its own column; passwords as •••. The review view for big rosters.
 */
import { csvForPeople } from "../core/csv.ts";
import type { PlannedUser } from "./diff.ts";
import { nameOf } from "./render.ts";
import { MASK } from "./values.ts";

export function infinitiChangesCsv(columns: string[], users: PlannedUser[]): { csv: string; rows: number } {
  const fields = columns.filter((c) => c !== "username");
  const rows: string[][] = [];
  for (const u of users) {
    if (!u.sent || u.action === "unchanged") continue;
    const by = new Map(u.changes.map((c) => [c.field, c]));
    rows.push([
      u.username,
      nameOf(u),
      u.action,
      ...fields.map((f) => {
        const c = by.get(f);
        if (!c) return "";
        const show = (v: string) => (f === "password" && v ? MASK : v);
        return u.action === "create" ? show(c.new) : `${show(c.old)} → ${show(c.new)}`;
      }),
    ]);
  }
  return { csv: csvForPeople(["username", "name", "action", ...fields], rows), rows: rows.length };
}
