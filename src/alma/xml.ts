/**
 * A faithful XML round trip for Alma user records.
 *
 * Parsing: saxes, a strict XML 1.0 parser. Every record is checked for well-formedness as it is
 * read (a truncated or garbled answer is an error, never a shorter record that a swap-all PUT
 * would write back), and the tree keeps element order, attributes, empty elements, comments,
 * CDATA and processing instructions inside the root element (as `{"#pi": [{"#text": "target data"}]}`:
 * a swap-all PUT must not drop one silently, issue #17). Values stay text (`007` is "007"). Entities and character references are decoded once;
 * an entity XML does not define (`&eacute;`) is refused rather than guessed.
 *
 * The tree has the shape of fast-xml-parser's preserveOrder output, which the Alma simulator and
 * the error reader still use; a test holds the two parsers to the same tree on every fixture.
 *
 * Serialising: {@link buildXml} writes the tree back, re-encoding text (`&` → `&amp;`, `<` → `&lt;`)
 * so names and notes survive intact. Both sides are ~4× faster than fast-xml-parser's parser,
 * validator and builder (README, "Performance").
 */
import { SaxesParser, type SaxesAttributePlain, type SaxesTagPlain } from "saxes";

/** One node of a preserveOrder tree: `{ tag: children, ":@"?: attributes }` or a text node `{ "#text": "..." }`. */
export type XNode = { [key: string]: XNode[] | string | Record<string, string> | undefined } & {
  ":@"?: Record<string, string>;
  "#text"?: string;
};

const ATTR = "@_";

export class XmlError extends Error {
  override name = "XmlError";
}

/** Parses a whole XML document into its top-level nodes (the declaration, the doctype and PIs outside the root are dropped). */
export function parseXml(text: string): XNode[] {
  const tree = new TreeBuilder();
  building = tree;
  try {
    parser.write(text).close();
  } catch (e) {
    parser = treeParser(); // a parser that failed midway is not reused
    throw new XmlError(`not well-formed XML: ${(e as Error).message}`);
  } finally {
    building = undefined;
  }
  return tree.root;
}

const MAX_DEPTH = 100;

/**
 * A copy of a value that holds none of the document. V8 gives a substring of 13 characters or more as a
 * slice that keeps the whole string it was cut from alive: a barcode kept from a user record would keep
 * the record's whole XML answer (2-3 KB), and apply keeps such values for every user it writes (the
 * journal's identifiers, the results' messages), which grew 100,000 users to hundreds of MB.
 */
function own(value: string): string {
  return value.length < 13 ? value : (JSON.parse(JSON.stringify(value)) as string);
}

/** Collects saxes events into a preserveOrder tree. */
class TreeBuilder {
  root: XNode[] = [];
  private open: XNode[][] = [this.root];
  private here: XNode[] = this.root;
  /** Attributes arrive one by one before their element's opentag. */
  private attrs: Record<string, string> | undefined;

  text(t: string): void {
    if (this.open.length > 1) this.here.push({ "#text": own(t) });
  }
  leaf(kind: "#cdata" | "#comment", t: string): void {
    this.here.push({ [kind]: [{ "#text": own(t) }] });
  }
  /** A processing instruction inside an element is kept, written back as it came. */
  pi(target: string, body: string): void {
    if (this.open.length > 1)
      this.here.push({ "#pi": [{ "#text": own(body ? `${target} ${body}` : target) }] });
  }
  attribute(attr: SaxesAttributePlain): void {
    (this.attrs ??= {})[ATTR + attr.name] = own(attr.value);
  }
  openTag(tag: SaxesTagPlain): void {
    // A user record nests about six deep; this bounds the recursion of cloning and serialising.
    if (this.open.length > MAX_DEPTH) throw new Error(`elements nested more than ${MAX_DEPTH} deep`);
    const children: XNode[] = [];
    const node: XNode = {};
    node[tag.name] = children;
    if (this.attrs) {
      node[":@"] = this.attrs;
      this.attrs = undefined;
    }
    this.here.push(node);
    this.open.push(children);
    this.here = children;
  }
  closeTag(): void {
    this.open.pop();
    this.here = this.open[this.open.length - 1]!;
  }
}

// Parsing is synchronous, so one parser (and the tree it is building) serves every call.
let building: TreeBuilder | undefined;
let parser = treeParser();

function treeParser(): SaxesParser {
  const p = new SaxesParser();
  p.on("text", (t) => building!.text(t));
  p.on("cdata", (t) => building!.leaf("#cdata", t));
  p.on("comment", (t) => building!.leaf("#comment", t));
  p.on("processinginstruction", (pi) => building!.pi(pi.target, pi.body));
  p.on("attribute", (attr: SaxesAttributePlain) => building!.attribute(attr));
  p.on("opentag", (tag: SaxesTagPlain) => building!.openTag(tag));
  p.on("closetag", () => building!.closeTag());
  return p;
}

const TEXT_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "\r": "&#13;",
};
// In an attribute a literal tab or line break would be read back as a space (XML 1.0 §3.3.3).
const ATTR_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, "\t": "&#9;", "\n": "&#10;" };
const escapeText = (s: string) => s.replace(/[&<>"'\r]/g, (c) => TEXT_ESCAPES[c]!);
const escapeAttr = (s: string) => s.replace(/[&<>"'\t\n\r]/g, (c) => ATTR_ESCAPES[c]!);

/** Serialises nodes as XML: empty elements as `<tag/>`, text and attribute values escaped. */
export function buildXml(nodes: XNode[]): string {
  let out = "";
  for (const node of nodes) {
    const text = node["#text"];
    if (typeof text === "string") {
      out += escapeText(text);
      continue;
    }
    if (Array.isArray(node["#comment"])) out += `<!--${plainText(node["#comment"])}-->`;
    else if (Array.isArray(node["#cdata"])) out += `<![CDATA[${plainText(node["#cdata"])}]]>`;
    else if (Array.isArray(node["#pi"])) out += `<?${plainText(node["#pi"])}?>`;
    else {
      const tag = tagOf(node);
      const children = tag === undefined ? undefined : node[tag];
      if (!Array.isArray(children)) continue;
      out += "<" + tag;
      const attrs = node[":@"];
      if (attrs) {
        for (const k in attrs) {
          const name = k.startsWith(ATTR) ? k.slice(ATTR.length) : k;
          out += ` ${name}="${escapeAttr(attrs[k]!)}"`;
        }
      }
      out += children.length ? `>${buildXml(children)}</${tag}>` : "/>";
    }
  }
  return out;
}

function plainText(nodes: XNode[]): string {
  let out = "";
  for (const n of nodes) if (typeof n["#text"] === "string") out += n["#text"];
  return out;
}

/** The element name of a node, or undefined for text, comment and CDATA nodes (`#text`, `#comment`, `#cdata`). */
export function tagOf(node: XNode): string | undefined {
  for (const k in node) if (k !== ":@") return k.charCodeAt(0) === 35 /* # */ ? undefined : k;
  return undefined;
}

export function childrenOf(node: XNode): XNode[] {
  const tag = tagOf(node);
  if (!tag) return [];
  const c = node[tag];
  return Array.isArray(c) ? c : [];
}

export function attrsOf(node: XNode): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(node[":@"] ?? {}))
    out[k.startsWith(ATTR) ? k.slice(ATTR.length) : k] = v;
  return out;
}

/** The text content of an element (text and CDATA children joined). */
export function textOf(node: XNode): string {
  let out = "";
  for (const c of childrenOf(node)) {
    if (typeof c["#text"] === "string") out += c["#text"];
    else if (Array.isArray(c["#cdata"])) out += c["#cdata"].map((t) => t["#text"] ?? "").join("");
  }
  return out;
}

export function elements(node: XNode): XNode[] {
  return childrenOf(node).filter((c) => tagOf(c) !== undefined);
}

export function child(node: XNode, tag: string): XNode | undefined {
  // An element node holds its children under its name; no other node has an array there.
  return childrenOf(node).find((c) => Array.isArray(c[tag]));
}

export function childText(node: XNode, tag: string): string | undefined {
  const c = child(node, tag);
  return c ? textOf(c) : undefined;
}

/** Makes an element node: `el("value", "123")`, `el("id_type", "BARCODE", { desc: "Barcode" })`. */
export function el(tag: string, content: string | XNode[], attrs?: Record<string, string>): XNode {
  const node: XNode = {
    [tag]: typeof content === "string" ? (content ? [{ "#text": content }] : []) : content,
  };
  if (attrs && Object.keys(attrs).length) {
    node[":@"] = Object.fromEntries(Object.entries(attrs).map(([k, v]) => [ATTR + k, v]));
  }
  return node;
}

/** Replaces the text of an element in place. */
export function setText(node: XNode, text: string): void {
  const tag = tagOf(node);
  if (tag) node[tag] = text ? [{ "#text": text }] : [];
}

export function deepClone<T>(x: T): T {
  return cloneValue(x) as T;
}

/** A parsed tree holds only arrays, plain objects and strings: cloned directly (3× faster than structuredClone). */
function cloneValue(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(cloneValue);
  if (x !== null && typeof x === "object") {
    const out: Record<string, unknown> = {};
    for (const k in x) out[k] = cloneValue((x as Record<string, unknown>)[k]);
    return out;
  }
  return x;
}

/** Structural equality of two trees (attributes compared as sets, children in order). */
export function sameTree(a: XNode | XNode[] | undefined, b: XNode | XNode[] | undefined): boolean {
  return sameValue(a, b);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object" || Array.isArray(b))
    return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let na = 0;
  for (const k in ra) {
    if (ra[k] === undefined) continue;
    na++;
    if (!sameValue(ra[k], rb[k])) return false;
  }
  let nb = 0;
  for (const k in rb) if (rb[k] !== undefined) nb++;
  return na === nb;
}

/** Finds the `<user>` element of a parsed document. */
export function userElement(doc: XNode[]): XNode {
  const user = doc.find((n) => tagOf(n) === "user");
  if (!user) {
    const found = doc.map(tagOf).filter(Boolean).join(", ") || "nothing";
    throw new XmlError(`expected a <user> record, found ${found}`);
  }
  return user;
}

export function parseUser(xml: string): XNode {
  return userElement(parseXml(xml));
}

/** Serialises one `<user>` element, with or without the XML declaration. */
export function userXml(user: XNode, declaration = true): string {
  const body = buildXml([user]);
  return declaration ? `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>${body}` : body;
}

/** The top-level element order of a user in Alma's rest_user.xsd. */
export const USER_ELEMENT_ORDER = [
  "record_type",
  "primary_id",
  "first_name",
  "middle_name",
  "last_name",
  "full_name",
  "pin_number",
  "user_title",
  "job_category",
  "job_description",
  "gender",
  "user_group",
  "campus_code",
  "web_site_url",
  "cataloger_level",
  "preferred_language",
  "birth_date",
  "expiry_date",
  "purge_date",
  "account_type",
  "external_id",
  "password",
  "force_password_change",
  "status",
  "status_date",
  "last_patron_activity_date",
  "requests",
  "loans",
  "fees",
  "contact_info",
  "user_identifiers",
  "user_roles",
  "user_blocks",
  "user_notes",
  "user_statistics",
  "proxy_for_users",
  "rs_libraries",
  "library_notices",
  "source_link_id",
  "source_institution_code",
  "linking_id",
  "pref_first_name",
  "pref_middle_name",
  "pref_last_name",
  "pref_name_suffix",
  "is_researcher",
  "researcher",
];

/**
 * Inserts `node` as a child of `parent` where the schema order puts it: before the first
 * existing sibling that comes later in `order`, else at the end.
 */
export function insertInOrder(parent: XNode, node: XNode, order: readonly string[]): void {
  const tag = tagOf(node);
  const list = childrenOf(parent);
  const rank = tag ? order.indexOf(tag) : -1;
  let at = list.length;
  if (rank >= 0) {
    const i = list.findIndex((c) => {
      const t = tagOf(c);
      return t !== undefined && order.indexOf(t) > rank;
    });
    if (i >= 0) at = i;
  }
  list.splice(at, 0, node);
  const ptag = tagOf(parent);
  if (ptag) parent[ptag] = list;
}
