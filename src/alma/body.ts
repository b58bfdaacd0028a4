/**
 * The PUT body, and the guard that proves it differs from the fetched record only as planned.
 *
 * Alma's PUT is "swap all": what we send replaces what Alma has. So the body is the full
 * fetched record with exactly these changes:
 *   - the planned change in <user_identifiers>, if any;
 *   - the planned field changes (alma.updates: src/alma/field-plan.ts), and nothing else;
 *   - <user_roles> left out (Alma keeps existing roles; avoids "role … requires parameter ServiceUnit");
 *   - an empty <pin_number/> left out (an empty one would wipe the PIN);
 *   - the output-only counts <loans>, <requests>, <fees> left out.
 */
import {
  applyBarcodeChange,
  isActive,
  identifiersOf,
  newIdentifier,
  same,
  type BarcodeChange,
} from "./identifiers.ts";
import {
  sameTree,
  child,
  childrenOf,
  deepClone,
  el,
  elements,
  setText,
  tagOf,
  textOf,
  type XNode,
} from "./xml.ts";
import { writes, type FieldChange } from "./field-plan.ts";
import { almaForm, fieldElement, readField, sameValue, writeField } from "./update-fields.ts";

const OUTPUT_ONLY = ["loans", "requests", "fees"];

export function isRemovable(node: XNode): boolean {
  const tag = tagOf(node);
  if (tag === "user_roles") return true;
  if (tag && OUTPUT_ONLY.includes(tag)) return true;
  return tag === "pin_number" && textOf(node).trim() === "";
}

/**
 * Builds the PUT body from a fetched record, a planned barcode change (if any) and the planned field
 * changes. The fetched tree is not modified.
 */
export function putBody(
  fetched: XNode,
  change: BarcodeChange | undefined,
  barcodeType: string,
  fields: readonly FieldChange[] = [],
): XNode {
  // A deep copy of what is sent (what is left out is not copied): the guard compares it with the
  // fetched record, so nothing done to the body may reach the record it was made from.
  const body: XNode = {
    [tagOf(fetched)!]: childrenOf(fetched)
      .filter((n) => !isRemovable(n))
      .map(deepClone),
  };
  if (fetched[":@"]) body[":@"] = deepClone(fetched[":@"]);
  if (change) applyBarcodeChange(body, change, barcodeType);
  for (const f of fields.filter(writes)) writeField(body, f.field, f.after, f.desc);
  return body;
}

/**
 * Compares a PUT body with the record it was made from. Returns every difference that the plan
 * does not allow (an empty list means the body is safe to send). Written independently of
 * {@link putBody} so that a mistake in one is caught by the other.
 */
export function guardBody(
  fetched: XNode,
  body: XNode,
  change: BarcodeChange | undefined,
  barcodeType: string,
  fields: readonly FieldChange[] = [],
): string[] {
  const problems: string[] = [];
  if (tagOf(fetched) !== tagOf(body)) return [`the body is <${tagOf(body)}>, not <${tagOf(fetched)}>`];
  if (!sameTree({ x: [], ":@": fetched[":@"] }, { x: [], ":@": body[":@"] })) {
    problems.push(`the attributes of <${tagOf(body)}> differ`);
  }

  const planned = fields.filter(writes);
  const touched = new Set(planned.map((f) => fieldElement(f.field)));
  const other = (n: XNode) => tagOf(n) !== "user_identifiers" && !touched.has(tagOf(n)!);
  const kept = elements(fetched).filter((n) => !isRemovable(n) && other(n));
  const sent = elements(body).filter(other);
  for (const n of sent) {
    const tag = tagOf(n)!;
    if (tag === "user_roles")
      problems.push("<user_roles> must be left out of the PUT (Alma keeps the roles)");
    else if (OUTPUT_ONLY.includes(tag)) problems.push(`<${tag}> is output-only and must be left out`);
    else if (tag === "pin_number" && textOf(n).trim() === "")
      problems.push("an empty <pin_number/> would wipe the PIN");
  }
  const sentData = sent.filter((n) => !isRemovable(n));
  problems.push(...alignAndCompare(kept, sentData));
  if (change) problems.push(...guardIdentifiers(fetched, body, change, barcodeType));
  else if (!sameTree(child(fetched, "user_identifiers"), child(body, "user_identifiers")))
    problems.push("<user_identifiers> was changed, but the plan changes no barcode");
  problems.push(...guardFields(fetched, body, planned));
  return problems;
}

/**
 * Each planned field holds exactly the planned value, once, with no attribute but `desc`; the e-mail's
 * <contact_info> differs only in the preferred address.
 */
function guardFields(fetched: XNode, body: XNode, planned: readonly FieldChange[]): string[] {
  const problems: string[] = [];
  for (const f of planned) {
    const now = readField(body, f.field);
    if (now !== almaForm(f.field, f.after) || !sameValue(f.field, now, f.after))
      problems.push(`<${f.field}> is '${now}', not the planned '${f.after}'`);
    if (f.field === "email") {
      const strip = (u: XNode) => {
        const copy = deepClone(child(u, "contact_info") ?? el("contact_info", []));
        for (const e of elements(child(copy, "emails") ?? el("emails", [])))
          if ((e[":@"]?.["@_preferred"] ?? "").toLowerCase() === "true")
            e.email = elements(e).filter((n) => tagOf(n) !== "email_address");
        return copy;
      };
      if (!sameTree(strip(fetched), strip(body)))
        problems.push("<contact_info> differs in more than the preferred e-mail address");
      continue;
    }
    const nodes = elements(body).filter((n) => tagOf(n) === f.field);
    if (nodes.length !== (almaForm(f.field, f.after) ? 1 : 0))
      problems.push(`<${f.field}> is in the body ${nodes.length} times`);
    const attrs = Object.keys(nodes[0]?.[":@"] ?? {});
    if (attrs.some((a) => a !== "@_desc")) problems.push(`<${f.field}> has attributes other than desc`);
  }
  return problems;
}

/** Walks two element lists in step, naming each element added, removed or changed. */
export function alignAndCompare(kept: XNode[], sent: XNode[]): string[] {
  const problems: string[] = [];
  let i = 0;
  let j = 0;
  while ((i < kept.length || j < sent.length) && problems.length < 20) {
    const a = kept[i];
    const b = sent[j];
    if (a && b && tagOf(a) === tagOf(b)) {
      if (!sameTree(a, b)) problems.push(`<${tagOf(a)}> was changed`);
      i++;
      j++;
    } else if (a && (!b || !sent.slice(j).some((n) => tagOf(n) === tagOf(a)))) {
      problems.push(`<${tagOf(a)}> was removed`);
      i++;
    } else {
      problems.push(`<${tagOf(b!)}> was added`);
      j++;
    }
  }
  return problems;
}

function guardIdentifiers(fetched: XNode, body: XNode, change: BarcodeChange, type: string): string[] {
  const problems: string[] = [];
  const fList = child(fetched, "user_identifiers");
  const bList = child(body, "user_identifiers");
  if (!bList) return ["<user_identifiers> is missing from the body"];
  if (fList && !sameTree({ x: [], ":@": fList[":@"] }, { x: [], ":@": bList[":@"] })) {
    problems.push("the attributes of <user_identifiers> differ");
  }
  const strayF = fList ? childrenOf(fList).filter((n) => tagOf(n) && tagOf(n) !== "user_identifier") : [];
  const strayB = childrenOf(bList).filter((n) => tagOf(n) && tagOf(n) !== "user_identifier");
  if (!sameTree(strayF, strayB)) problems.push("<user_identifiers> holds other elements that differ");

  const fIds = identifiersOf(fetched);
  const bIds = identifiersOf(body);
  const isMine = (t: string) => same(t, type);

  // Other identifier types: untouched, in the same order.
  const fOther = fIds.filter((i) => !isMine(i.idType)).map((i) => i.node);
  const bOther = bIds.filter((i) => !isMine(i.idType)).map((i) => i.node);
  if (!sameTree(fOther, bOther)) {
    problems.push(`identifiers of types other than ${type} were changed, added or removed`);
  }

  // Barcode identifiers: exactly the planned change.
  const affected = (v: string) => change.affected.some((a) => same(a, v));
  const expected: XNode[] = [];
  let reactivated = false;
  for (const i of fIds.filter((x) => isMine(x.idType))) {
    if (isActive(i) && affected(i.value) && !same(i.value, change.barcode)) {
      if (change.kind === "deactivate") expected.push(withStatus(i.node, "INACTIVE"));
      else if (change.kind === "add") expected.push(i.node);
      // replace: removed
    } else if (change.reactivate && !reactivated && !isActive(i) && same(i.value, change.barcode)) {
      expected.push(withStatus(i.node, "ACTIVE"));
      reactivated = true;
    } else expected.push(i.node);
  }
  if (!reactivated) expected.push(newIdentifier(type, change.barcode));
  const actual = bIds.filter((i) => isMine(i.idType)).map((i) => i.node);
  if (!sameTree(expected, actual)) {
    problems.push(
      `the ${type} identifiers are not exactly the planned change (${change.kind} ${change.barcode})`,
    );
  }
  return problems;
}

function withStatus(identifier: XNode, status: string): XNode {
  const copy = deepClone(identifier);
  const s = child(copy, "status");
  if (s) setText(s, status);
  else childrenOf(copy).push({ status: [{ "#text": status }] });
  return copy;
}
