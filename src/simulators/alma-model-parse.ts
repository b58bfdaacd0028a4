/** Parsing a user (PUT bodies and seeds) from Alma's two wire forms, XML and JSON. Sources: see alma-model.ts. */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import type { AlmaUser, AlmaUserInit, CodeItem } from "./alma-model-types.ts";
import {
  LIST_ITEMS,
  USER_SPEC,
  isList,
  isObj,
  isRecord,
  normalizeUser,
  type FieldSpec,
  type ObjSpec,
} from "./alma-model-schema.ts";

// ---------------------------------------------------------------------------------------------------------
// Parsing (PUT bodies and seeds)

/** A parsed PUT body: only the fields present in the body, plus the write-only secrets as sent. */
export interface UserBody {
  /** Model keys of the fields that were present (a present empty list is `[]`). */
  fields: Partial<Record<string, unknown>>;
  /** pin_number as sent (undefined: absent; "": present and empty). */
  pinNumber?: string;
  /** password as sent (undefined: absent). */
  password?: string;
  /** The output-only loans/requests/fees as given (read for seeds; a PUT ignores them). */
  counts: { requests?: number; loans?: number; fees?: number };
}

export class BodyError extends Error {
  override name = "BodyError";
}

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  textNodeName: "#text",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: true,
  isArray: (name: string, _jpath: unknown, _leaf: unknown, isAttribute: boolean) =>
    !isAttribute && LIST_ITEMS.has(name),
});

/** Parses a `<user>` document. Throws BodyError when it is not well-formed or not a user. */
export function parseUserXml(text: string): UserBody {
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  if (!trimmed.startsWith("<") || XMLValidator.validate(trimmed) !== true) {
    throw new BodyError("not well-formed XML");
  }
  let tree: unknown;
  try {
    tree = xmlParser.parse(trimmed);
  } catch (e) {
    throw new BodyError(`not well-formed XML: ${(e as Error).message}`);
  }
  if (!isRecord(tree) || !("user" in tree)) throw new BodyError("the root element is not <user>");
  const root = Array.isArray(tree.user) ? (tree.user[0] as unknown) : tree.user;
  const node = isRecord(root) ? root : {};
  const body: UserBody = { fields: {}, counts: {} };
  for (const f of USER_SPEC.fields) {
    if (!(f.x in node)) continue;
    const raw = first(node[f.x]);
    if (f.kind === "special") {
      if (f.x === "pin_number") body.pinNumber = xmlText(raw);
      else if (f.x === "password") body.password = xmlText(raw);
      else readCount(f.x, xmlText(raw), body);
      continue;
    }
    readXmlField(f, raw, body.fields);
  }
  return body;
}

const first = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);

function readCount(x: string, text: string, body: UserBody): void {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n)) return;
  if (x === "requests" || x === "loans" || x === "fees") body.counts[x] = n;
}

function xmlText(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (isRecord(v)) return xmlText(v["#text"] ?? "");
  return "";
}

function xmlAttr(v: unknown, name: string): string | undefined {
  if (!isRecord(v)) return undefined;
  const a = v[`@_${name}`];
  return typeof a === "string" ? a : undefined;
}

const parseBool = (s: string): boolean | undefined =>
  /^\s*true\s*$/i.test(s) ? true : /^\s*false\s*$/i.test(s) ? false : undefined;

function readXmlField(f: FieldSpec, raw: unknown, out: Record<string, unknown>): void {
  if (isList(f.kind)) {
    const l = f.kind;
    const items = isRecord(raw) ? raw[l.item] : undefined;
    const arr = Array.isArray(items) ? items : items === undefined ? [] : [items];
    out[f.k] = arr.map((i: unknown) => {
      if (l.of === "code") {
        const c: CodeItem = { value: xmlText(i) };
        const d = xmlAttr(i, "desc");
        if (d !== undefined) c.desc = d;
        return c;
      }
      return readXmlObj(l.of, i);
    });
    return;
  }
  if (isObj(f.kind)) {
    out[f.k] = readXmlObj(f.kind, raw);
    return;
  }
  if (f.kind === "code") {
    out[f.k] = xmlText(raw);
    const d = xmlAttr(raw, "desc");
    if (d !== undefined) out[f.k + "Desc"] = d;
    return;
  }
  if (f.kind === "bool") {
    const b = parseBool(xmlText(raw));
    if (b !== undefined) out[f.k] = b;
    return;
  }
  out[f.k] = xmlText(raw);
}

function readXmlObj(spec: ObjSpec, node: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = isRecord(node) ? node : {};
  for (const f of spec.fields) {
    if (f.attr) {
      const a = xmlAttr(n, f.x);
      const v = a !== undefined && f.kind === "bool" ? parseBool(a) : a;
      if (v !== undefined) out[f.k] = v;
      continue;
    }
    if (f.x in n) readXmlField(f, first(n[f.x]), out);
    else if (isList(f.kind)) out[f.k] = [];
  }
  return out;
}

/** Parses a user in Alma's JSON shape (a string or an already-parsed object). */
export function parseUserJson(input: string | Record<string, unknown>): UserBody {
  let tree: unknown = input;
  if (typeof input === "string") {
    try {
      tree = JSON.parse(input.replace(/^\uFEFF/, "")) as unknown;
    } catch {
      throw new BodyError("not valid JSON");
    }
  }
  if (!isRecord(tree)) throw new BodyError("the JSON body is not an object");
  if (Object.keys(tree).length === 1 && isRecord(tree.user)) tree = tree.user;
  const node = tree as Record<string, unknown>;
  const body: UserBody = { fields: {}, counts: {} };
  for (const f of USER_SPEC.fields) {
    if (f.kind === "special") {
      const v = node[f.x];
      if (v === undefined || v === null) continue;
      if (f.x === "pin_number") body.pinNumber = jsonText(v);
      else if (f.x === "password") body.password = jsonText(v);
      else readCount(f.x, isRecord(v) ? jsonText(v.value) : jsonText(v), body);
      continue;
    }
    const key = isList(f.kind) ? f.kind.item : f.x;
    if (key in node) readJsonField(f, node[key], body.fields);
    else if (isList(f.kind) && f.x in node) readJsonField(f, unwrap(node[f.x], f.kind.item), body.fields);
  }
  return body;
}

function unwrap(v: unknown, item: string): unknown {
  return isRecord(v) && item in v ? v[item] : v;
}

function jsonText(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return "";
}

function readJsonField(f: FieldSpec, v: unknown, out: Record<string, unknown>): void {
  if (isList(f.kind)) {
    const l = f.kind;
    const arr = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
    out[f.k] = arr.map((i: unknown) => {
      if (l.of === "code") {
        const c: CodeItem = { value: isRecord(i) ? jsonText(i.value) : jsonText(i) };
        if (isRecord(i) && typeof i.desc === "string") c.desc = i.desc;
        return c;
      }
      return readJsonObj(l.of, i);
    });
    return;
  }
  if (isObj(f.kind)) {
    out[f.k] = readJsonObj(f.kind, v);
    return;
  }
  if (f.kind === "code") {
    out[f.k] = isRecord(v) ? jsonText(v.value) : jsonText(v);
    if (isRecord(v) && typeof v.desc === "string") out[f.k + "Desc"] = v.desc;
    return;
  }
  if (f.kind === "bool") {
    const b = typeof v === "boolean" ? v : parseBool(jsonText(v));
    if (b !== undefined) out[f.k] = b;
    return;
  }
  if (v === null || v === undefined) return;
  out[f.k] = jsonText(v);
}

function readJsonObj(spec: ObjSpec, v: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = isRecord(v) ? v : {};
  for (const f of spec.fields) {
    if (f.attr) {
      const a = n[f.x];
      const v = f.kind === "bool" && typeof a === "string" ? parseBool(a) : a;
      if (typeof v === "boolean" || typeof v === "string") out[f.k] = v;
      continue;
    }
    const key = isList(f.kind) ? f.kind.item : f.x;
    if (key in n) readJsonField(f, n[key], out);
    else if (isList(f.kind) && f.x in n) readJsonField(f, unwrap(n[f.x], f.kind.item), out);
    else if (isList(f.kind)) out[f.k] = [];
  }
  return out;
}

/** A seed or stored user from an Alma XML `<user>` document (a non-empty PIN/password marks it set). */
export function userFromXml(text: string): AlmaUser {
  return userFromBody(parseUserXml(text));
}

/** A seed or stored user from Alma's JSON shape. */
export function userFromJson(input: string | Record<string, unknown>): AlmaUser {
  return userFromBody(parseUserJson(input));
}

function userFromBody(body: UserBody): AlmaUser {
  const init = { ...body.fields } as AlmaUserInit;
  if (typeof init.primaryId !== "string" || !init.primaryId.trim()) {
    throw new BodyError("the user has no primary_id");
  }
  init.pinSet = !!body.pinNumber;
  init.passwordSet = !!body.password;
  Object.assign(init, body.counts);
  return normalizeUser(init);
}
