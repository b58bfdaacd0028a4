/** Who a change affects, read from the fetched record: name, user group, staff, roles. */
import { identifiersOfType, isActive, same } from "./identifiers.ts";
import type { AlmaPlanEntry } from "./planfile.ts";
import { attrsOf, child, childrenOf, childText, tagOf, type XNode } from "./xml.ts";

/** Alma's role_type code of the Patron role, which every patron has. */
const PATRON_ROLE = "200";

export type Who = Pick<AlmaPlanEntry, "name" | "user_group" | "staff" | "roles">;

export function whoIs(user: XNode): Who {
  const full = childText(user, "full_name")?.trim();
  const name =
    full ||
    [childText(user, "first_name"), childText(user, "last_name")]
      .map((s) => s?.trim())
      .filter(Boolean)
      .join(" ");
  const groupNode = child(user, "user_group");
  const group = groupNode ? attrsOf(groupNode).desc?.trim() || childText(user, "user_group")?.trim() : "";
  const rolesNode = child(user, "user_roles");
  // Every patron has the Patron role (role_type 200): only the others make a user worth a second look.
  const roles = rolesNode
    ? childrenOf(rolesNode).filter(
        (n) => tagOf(n) === "user_role" && (childText(n, "role_type") ?? "").trim() !== PATRON_ROLE,
      ).length
    : 0;
  const staff = same(childText(user, "record_type") ?? "", "STAFF");
  return {
    ...(name && { name }),
    ...(group && { user_group: group }),
    ...(staff && { staff }),
    ...(roles && { roles }),
  };
}

/** The segment_type the barcode has after the change: an INACTIVE copy set ACTIVE keeps its own. */
export function segmentAfter(user: XNode, barcodeType: string, barcode: string, reactivate: boolean): string {
  if (!reactivate) return "Internal";
  const copy = identifiersOfType(user, barcodeType).find((i) => !isActive(i) && same(i.value, barcode));
  return copy?.segmentType ?? "Internal";
}

/** Staff, or a user with roles: a change to them is shown among the risky rows. */
export function isPrivileged(e: Pick<AlmaPlanEntry, "staff" | "roles">): boolean {
  return !!e.staff || (e.roles ?? 0) > 0;
}

/** The barcodes of the configured type before and after the change, e.g. "A → B; A (INACTIVE)". */
export function identifiersBeforeAfter(
  e: Pick<AlmaPlanEntry, "action" | "old_barcodes" | "new_barcode" | "affected" | "reactivate">,
): { before: string; after: string } {
  const before = e.old_barcodes.join("; ") || "none";
  const n = e.new_barcode ?? "";
  const fresh = e.reactivate ? `${n} (INACTIVE → ACTIVE)` : n;
  const affected = e.affected ?? [];
  const keptActive = e.old_barcodes.filter((b) => !affected.some((a) => same(a, b)));
  let after: string[];
  if (e.action === "deactivate") after = [...keptActive, fresh, ...affected.map((a) => `${a} (INACTIVE)`)];
  else if (e.action === "replace") after = [...keptActive, fresh];
  else after = [...e.old_barcodes, fresh];
  return { before, after: after.filter(Boolean).join("; ") };
}
