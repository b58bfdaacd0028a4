/**
 * What to do with one patron: the pure decision at the heart of the Alma plan.
 */
import type { AlmaConfig } from "./config.ts";
import {
  barcodeFingerprint,
  employeeIdOf,
  identifiersOfType,
  isActive,
  same,
  type BarcodeChange,
} from "./identifiers.ts";
import { childText, type XNode } from "./xml.ts";

/** Plan actions: a public contract (plan.json, plan.md, results). */
export type AlmaAction =
  | "add"
  | "deactivate"
  | "replace"
  | "unchanged"
  | "keep"
  | "not-found"
  | "no-barcode"
  | "no-employee-id"
  | "conflict"
  | "failed"
  | "pending"
  /** The record read is another user's (its primary_id differs from the listed ID): never written. */
  | "identity-mismatch"
  /** The new barcode is held by another Alma user (alma.check_holders): not written. */
  | "held-by-other"
  /** A revert undid this change and the barcode list still gives the same barcode (core/holds.ts): not sent. */
  | "held"
  /** A revert plan: put the barcode identifiers back as they were before the reverted apply. */
  | "restore"
  /** alma.updates: one or more fields set, the barcode untouched. */
  | "update";

/** The actions that send a PUT. */
export const CHANGING_ACTIONS: ReadonlySet<AlmaAction> = new Set([
  "add",
  "deactivate",
  "replace",
  "restore",
  "update",
]);

/** What the barcode list says about one employee ID. */
export type BarcodeLookup =
  | { kind: "found"; entry: { barcode: string; line: number } }
  | { kind: "conflict"; conflict: { reason: string; lines: number[] } }
  | { kind: "missing" };

export interface Decision {
  action: AlmaAction;
  employeeId?: string;
  /** ACTIVE barcodes of the configured type when planned. */
  oldBarcodes: string[];
  newBarcode?: string;
  change?: BarcodeChange;
  fingerprint: string;
  message: string;
  /** The ACTIVE barcodes this change sets INACTIVE or removes whose segment_type is External. */
  external?: string[];
  /** For a reviewer: an External barcode is deactivated or replaced, and a SIS load may restore it. */
  warning?: string;
}

/**
 * The warning for a change that deactivates or replaces External barcodes. External identifiers come
 * from the SIS load; that a later SIS load puts them back (replacing the External identifiers with what
 * the SIS holds) is an assumption, not documented by Ex Libris for this case: the plan says "may".
 */
export function externalWarning(
  external: string[],
  action: "deactivate" | "replace",
  implied = false,
): string {
  const them = external.length === 1 ? "it" : "them";
  const done = action === "deactivate" ? "set INACTIVE" : "removed";
  const why = implied
    ? "an EXTERNAL user's identifier whose segment_type is not Internal counts as External"
    : "segment_type External";
  return `${external.join(", ")} ${external.length === 1 ? "is" : "are"} External (${why}: loaded from the student information system) and ${done} here; a later SIS load may restore ${them}. Correct the barcode in the SIS as well`;
}

/**
 * Whether an identifier is in an External segment. rest_user.xsd, user_identifier/@segment_type: "External
 * users might have internal or external segments. Empty or illegal segment_type for external user will be
 * considered as external." So on an EXTERNAL user anything but Internal counts; a literal External always does.
 */
export function isExternalSegment(segmentType: string | undefined, accountType: string | undefined): boolean {
  const seg = segmentType ?? "";
  if (same(seg, "External")) return true;
  return same(accountType ?? "", "EXTERNAL") && !same(seg, "Internal");
}

type DecideConfig = Pick<AlmaConfig, "match_on" | "barcode_type" | "existing_barcode" | "barcodes">;

export function decide(
  user: XNode,
  lookup: (employeeId: string) => BarcodeLookup,
  cfg: DecideConfig,
): Decision {
  const type = cfg.barcode_type;
  const fingerprint = barcodeFingerprint(user, type);
  const mine = identifiersOfType(user, type);
  const active = mine.filter(isActive);
  const oldBarcodes = active.map((i) => i.value);
  const base = { oldBarcodes, fingerprint };

  const employeeId = employeeIdOf(user, cfg.match_on);
  if (!employeeId) {
    return {
      ...base,
      action: "no-employee-id",
      message: `the user has no ${cfg.match_on === "primary_id" ? "primary_id" : `ACTIVE ${cfg.match_on} identifier`} to look up`,
    };
  }
  const found = lookup(employeeId);
  if (found.kind === "missing") {
    return {
      ...base,
      employeeId,
      action: "no-barcode",
      message: `employee ID ${employeeId} is not in ${cfg.barcodes}`,
    };
  }
  if (found.kind === "conflict") {
    return {
      ...base,
      employeeId,
      action: "conflict",
      message: `${found.conflict.reason} (${cfg.barcodes} lines ${found.conflict.lines.join(", ")}); not applied`,
    };
  }
  const barcode = found.entry.barcode;
  const withNew = { ...base, employeeId, newBarcode: barcode };

  if (active.some((i) => same(i.value, barcode))) {
    return { ...withNew, action: "unchanged", message: "the barcode is already ACTIVE on this user" };
  }
  const reactivate = mine.some((i) => !isActive(i) && same(i.value, barcode));
  const how = reactivate ? "set the INACTIVE copy ACTIVE again" : "add it";

  if (active.length === 0) {
    return {
      ...withNew,
      action: "add",
      change: { kind: "add", barcode, affected: [], reactivate },
      message: `no ACTIVE ${type}: ${how}`,
    };
  }
  const olds = oldBarcodes.join(", ");
  const accountType = childText(user, "account_type");
  const externals = active.filter((i) => isExternalSegment(i.segmentType, accountType));
  const external = externals.map((i) => i.value);
  const implied = externals.some((i) => !same(i.segmentType ?? "", "External"));
  const sis = (action: "deactivate" | "replace") =>
    external.length ? { external, warning: externalWarning(external, action, implied) } : {};
  switch (cfg.existing_barcode) {
    case "keep":
      return {
        ...withNew,
        action: "keep",
        message: `has a different ACTIVE ${type} (${olds}); kept as configured (existing_barcode: keep)`,
      };
    case "deactivate":
      return {
        ...withNew,
        action: "deactivate",
        change: { kind: "deactivate", barcode, affected: oldBarcodes, reactivate },
        message: `set ${olds} INACTIVE and ${how}`,
        ...sis("deactivate"),
      };
    case "replace":
      return {
        ...withNew,
        action: "replace",
        change: { kind: "replace", barcode, affected: oldBarcodes, reactivate },
        message: `remove ${olds} and ${how}`,
        ...sis("replace"),
      };
  }
}
