/**
 * Undoing an applied barcode change (issue #13): pure functions over the XML tree.
 *
 * Apply keeps, for every user it writes, a snapshot of that user's identifiers of the barcode type
 * as they were just before the PUT (the `<user_identifier>` elements themselves and their places in
 * `<user_identifiers>`), and the barcode fingerprint of the record Alma returned. A revert puts the
 * snapshot back: the identifiers of the barcode type become exactly the snapshot, nothing else in
 * the record changes. Small: one user's barcode identifiers, never a whole record.
 */
import { alignAndCompare, isRemovable } from "./body.ts";
import { barcodeFingerprint, identifiersOf, same } from "./identifiers.ts";
import { child, childrenOf, deepClone, el, elements, sameTree, tagOf, type XNode } from "./xml.ts";

/** One identifier of the barcode type before the apply, and its place among the `<user_identifiers>` elements. */
export interface SavedIdentifier {
  at: number;
  node: XNode;
}

/** What apply keeps about a user it wrote: enough to put the barcode identifiers back. */
export interface AppliedChange {
  /** The barcode identifiers just before the PUT. */
  before: SavedIdentifier[];
  /**
   * The fingerprint of the record Alma returned (the state right after the apply): identifierFingerprint,
   * the whole identifiers; a journal of an older patron-sync holds a barcodeFingerprint (value and status).
   */
  after: string;
  /** alma.updates: each field written, its value before and the value set. */
  fields?: { field: string; before: string; after: string }[];
}

/** The user's identifiers of the barcode type, with their places (element index in `<user_identifiers>`). */
export function snapshotIdentifiers(user: XNode, barcodeType: string): SavedIdentifier[] {
  const list = child(user, "user_identifiers");
  if (!list) return [];
  return elements(list)
    .map((node, at) => ({ at, node }))
    .filter(({ node }) => isBarcodeIdentifier(node, barcodeType))
    .map(({ at, node }) => ({ at, node: deepClone(node) }));
}

function isBarcodeIdentifier(node: XNode, barcodeType: string): boolean {
  if (tagOf(node) !== "user_identifier") return false;
  const [id] = identifiersOf({ user: [{ user_identifiers: [node] }] });
  return !!id && same(id.idType, barcodeType);
}

/** The fingerprint the snapshot stands for (as `f`, by default {@link barcodeFingerprint}, computes it for a user). */
export function snapshotFingerprint(
  saved: SavedIdentifier[],
  barcodeType: string,
  f: (user: XNode, barcodeType: string) => string = barcodeFingerprint,
): string {
  return f(
    el("user", [
      el(
        "user_identifiers",
        saved.map((s) => s.node),
      ),
    ]),
    barcodeType,
  );
}

/**
 * The PUT body that puts the snapshot back: the fetched record (with what a PUT leaves out left
 * out), its identifiers of the barcode type replaced by the snapshot, each at its old place.
 * The fetched tree is not modified.
 */
export function restoreBody(fetched: XNode, saved: SavedIdentifier[], barcodeType: string): XNode {
  const tag = tagOf(fetched)!;
  const body: XNode = {
    [tag]: childrenOf(fetched)
      .filter((n) => !isRemovable(n))
      .map(deepClone),
  };
  if (fetched[":@"]) body[":@"] = deepClone(fetched[":@"]);
  let list = child(body, "user_identifiers");
  if (!list) {
    if (!saved.length) return body;
    list = el("user_identifiers", []);
    childrenOf(body).push(list);
  }
  const kept = childrenOf(list).filter((n) => !isBarcodeIdentifier(n, barcodeType));
  for (const s of [...saved].sort((a, b) => a.at - b.at)) {
    // Before the element now at that place, else at the end.
    let seen = 0;
    let i = 0;
    for (; i < kept.length; i++) {
      if (tagOf(kept[i]!) === undefined) continue;
      if (seen === s.at) break;
      seen++;
    }
    kept.splice(i, 0, deepClone(s.node));
  }
  list[tagOf(list)!] = kept;
  return body;
}

/**
 * Compares a restore body with the record it was made from, independently of {@link restoreBody}:
 * every element other than `<user_identifiers>` as fetched (minus what a PUT leaves out), the
 * identifiers of other types untouched and in order, and the barcode identifiers exactly the snapshot.
 */
export function guardRestore(
  fetched: XNode,
  body: XNode,
  saved: SavedIdentifier[],
  barcodeType: string,
): string[] {
  if (tagOf(fetched) !== tagOf(body)) return [`the body is <${tagOf(body)}>, not <${tagOf(fetched)}>`];
  const problems: string[] = [];
  if (!sameTree({ x: [], ":@": fetched[":@"] }, { x: [], ":@": body[":@"] }))
    problems.push(`the attributes of <${tagOf(body)}> differ`);
  const kept = elements(fetched).filter((n) => !isRemovable(n) && tagOf(n) !== "user_identifiers");
  const sent = elements(body).filter((n) => tagOf(n) !== "user_identifiers");
  if (sent.some(isRemovable)) problems.push("the body holds an element a PUT must leave out");
  problems.push(...alignAndCompare(kept, sent));
  const mine = (n: XNode) => isBarcodeIdentifier(n, barcodeType);
  const fIds = elements(child(fetched, "user_identifiers") ?? el("x", []));
  const bIds = elements(child(body, "user_identifiers") ?? el("x", []));
  if (
    !sameTree(
      fIds.filter((n) => !mine(n)),
      bIds.filter((n) => !mine(n)),
    )
  )
    problems.push(`identifiers of types other than ${barcodeType} were changed, added or removed`);
  const expected = [...saved].sort((a, b) => a.at - b.at).map((s) => s.node);
  if (!sameTree(expected, bIds.filter(mine)))
    problems.push(`the ${barcodeType} identifiers are not exactly those before the apply`);
  return problems;
}

/** ACTIVE values of the barcode type in a snapshot (for readable messages). */
export function activeValues(saved: SavedIdentifier[], barcodeType: string): string[] {
  return identifiersOf(
    el("user", [
      el(
        "user_identifiers",
        saved.map((s) => s.node),
      ),
    ]),
  )
    .filter((i) => same(i.idType, barcodeType) && same(i.status || "ACTIVE", "ACTIVE"))
    .map((i) => i.value);
}
