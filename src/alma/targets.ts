/**
 * The users an Alma plan reads: the patron list's (barcode repair) and the updates CSV's (alma.updates),
 * each once. A user in both gets one GET and one PUT carrying both changes.
 */
import type { PatronList } from "./inputs.ts";
import { same } from "./identifiers.ts";
import { lookupUpdate, type UpdateList, type UpdateRow } from "./updates.ts";

export interface Target {
  /** The ID the plan GETs: a primary ID, or the updates CSV's match_on identifier. */
  id: string;
  /** Its line in the patron list, or in the updates CSV when it is only there. */
  line: number;
  /** In the patron list: its barcode is planned. */
  listed: boolean;
  /** Its updates row, when the CSV names users by primary ID (else found after the GET). */
  update?: UpdateRow;
}

/** Whether the updates CSV names users by primary ID (else by the match_on identifier). */
export const byPrimaryId = (updates: UpdateList): boolean => same(updates.idColumn, "primary_id");

export function planTargets(patrons: PatronList | undefined, updates: UpdateList | undefined): Target[] {
  const out: Target[] = [];
  const taken = new Set<string>();
  const direct = updates && byPrimaryId(updates) ? updates : undefined;
  for (const p of patrons?.entries ?? []) {
    const update = lookupUpdate(direct, p.id);
    out.push({ id: p.id, line: p.line, listed: true, ...(update && { update }) });
    taken.add(p.id.toLowerCase());
  }
  for (const row of updates?.byId.values() ?? []) {
    if (direct && taken.has(row.id.toLowerCase())) continue;
    out.push({ id: row.id, line: row.line, listed: false, update: row });
  }
  return out;
}
