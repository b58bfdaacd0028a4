/**
 * Reading and changing `<user_identifiers>` of an Alma user. Pure functions over the XML tree.
 */
import { createHash } from "node:crypto";
import {
  child,
  childText,
  childrenOf,
  el,
  attrsOf,
  insertInOrder,
  setText,
  tagOf,
  USER_ELEMENT_ORDER,
  type XNode,
} from "./xml.ts";

export interface Identifier {
  idType: string;
  value: string;
  /** ACTIVE or INACTIVE; a missing status is treated as ACTIVE, Alma's default. */
  status: string;
  segmentType?: string;
  /** The `<user_identifier>` node itself (for in-place changes). */
  node: XNode;
}

export const same = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

export function isActive(i: Identifier): boolean {
  return same(i.status || "ACTIVE", "ACTIVE");
}

export function identifiersOf(user: XNode): Identifier[] {
  const list = child(user, "user_identifiers");
  if (!list) return [];
  return childrenOf(list)
    .filter((n) => tagOf(n) === "user_identifier")
    .map((node) => ({
      idType: (childText(node, "id_type") ?? "").trim(),
      value: (childText(node, "value") ?? "").trim(),
      status: (childText(node, "status") ?? "ACTIVE").trim() || "ACTIVE",
      segmentType: attrsOf(node).segment_type,
      node,
    }));
}

/** Identifiers of one type (case-insensitive), all statuses. */
export function identifiersOfType(user: XNode, idType: string): Identifier[] {
  return identifiersOf(user).filter((i) => same(i.idType, idType));
}

/** Where the employee ID is found: `primary_id`, or the ACTIVE identifier of the named type. */
export function employeeIdOf(user: XNode, matchOn: string): string | undefined {
  if (same(matchOn, "primary_id")) return childText(user, "primary_id")?.trim() || undefined;
  return identifiersOfType(user, matchOn).find(isActive)?.value || undefined;
}

/**
 * The fingerprint of a user's barcode state: every identifier of the barcode type, with its status,
 * case-folded and sorted. Apply compares it with the plan's to detect changes made since the plan.
 */
export function barcodeFingerprint(user: XNode, barcodeType: string): string {
  const parts = identifiersOfType(user, barcodeType)
    .map((i) => `${i.value.toLowerCase()}|${(i.status || "ACTIVE").toUpperCase()}`)
    .sort();
  return "sha256:" + createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 16);
}

/** The prefix of {@link identifierFingerprint}'s value; a journal without it holds a {@link barcodeFingerprint}. */
export const WHOLE_FINGERPRINT = "whole:";

/**
 * The fingerprint of a user's barcode identifiers as a whole (issue #17 G): every identifier of the barcode
 * type with its value exactly (case included), its status, its segment_type and its note, sorted. Apply
 * records it for the record Alma returned, and a revert skips a user whose fingerprint differs since
 * (`changed-since-apply`): a changed note, segment_type or case is an edit made after the apply.
 */
export function identifierFingerprint(user: XNode, barcodeType: string): string {
  const parts = identifiersOfType(user, barcodeType)
    .map((i) =>
      JSON.stringify([
        i.value,
        (i.status || "ACTIVE").toUpperCase(),
        i.segmentType ?? "",
        childText(i.node, "note") ?? "",
      ]),
    )
    .sort();
  return (
    WHOLE_FINGERPRINT + "sha256:" + createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 16)
  );
}

/** The fingerprint of the same kind as `recorded`: a journal of an older patron-sync holds a barcodeFingerprint. */
export function fingerprintLike(recorded: string | undefined, user: XNode, barcodeType: string): string {
  return recorded?.startsWith(WHOLE_FINGERPRINT)
    ? identifierFingerprint(user, barcodeType)
    : barcodeFingerprint(user, barcodeType);
}

/** A planned change to the barcode identifiers of one user. */
export interface BarcodeChange {
  /** add: nothing ACTIVE to touch; deactivate/replace: the `affected` ACTIVE barcodes go INACTIVE / are removed. */
  kind: "add" | "deactivate" | "replace";
  barcode: string;
  /** ACTIVE barcodes (values as in Alma) that are set INACTIVE (deactivate) or removed (replace). */
  affected: string[];
  /** The new barcode already exists on the user as INACTIVE: set it ACTIVE instead of adding a copy. */
  reactivate: boolean;
}

/**
 * Applies a planned barcode change to a user tree in place. Identifiers of other types are never
 * touched; the new identifier goes last with segment_type="Internal" so an SIS load keeps it.
 */
export function applyBarcodeChange(user: XNode, change: BarcodeChange, barcodeType: string): void {
  let list = child(user, "user_identifiers");
  if (!list) {
    list = el("user_identifiers", []);
    insertInOrder(user, list, USER_ELEMENT_ORDER);
  }
  const mine = identifiersOfType(user, barcodeType);
  const affected = new Set(change.affected.map((v) => v.toLowerCase()));
  const hit = (i: Identifier) => isActive(i) && affected.has(i.value.toLowerCase());

  if (change.kind === "deactivate") {
    for (const i of mine.filter(hit)) setStatus(i.node, "INACTIVE");
  } else if (change.kind === "replace") {
    const drop = new Set(mine.filter(hit).map((i) => i.node));
    const tag = tagOf(list)!;
    list[tag] = childrenOf(list).filter((n) => !drop.has(n));
  }

  if (change.reactivate) {
    const existing = mine.find((i) => !isActive(i) && same(i.value, change.barcode));
    if (existing) {
      setStatus(existing.node, "ACTIVE");
      return;
    }
  }
  childrenOf(list).push(newIdentifier(barcodeType, change.barcode));
}

export function newIdentifier(idType: string, value: string): XNode {
  return el("user_identifier", [el("id_type", idType), el("value", value), el("status", "ACTIVE")], {
    segment_type: "Internal",
  });
}

const IDENTIFIER_ORDER = ["id_type", "value", "note", "status"];

function setStatus(identifier: XNode, status: string): void {
  const s = child(identifier, "status");
  if (s) setText(s, status);
  else insertInOrder(identifier, el("status", status), IDENTIFIER_ORDER);
}

/** True when the user already has the planned end state (the barcode ACTIVE, the affected ones handled). */
export function hasEndState(user: XNode, change: BarcodeChange, barcodeType: string): boolean {
  const mine = identifiersOfType(user, barcodeType);
  const activeNew = mine.some((i) => isActive(i) && same(i.value, change.barcode));
  if (!activeNew) return false;
  if (change.kind === "add") return true;
  const stillActive = mine.some(
    (i) => isActive(i) && change.affected.some((a) => same(a, i.value)) && !same(i.value, change.barcode),
  );
  return !stillActive;
}
