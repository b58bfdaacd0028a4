/** Rendering a user in Alma's two wire forms, XML and JSON, from the schema table. Sources: see alma-model.ts. */
import type { AlmaUser } from "./alma-model-types.ts";
import {
  CONTACT_INFO,
  EMAIL,
  ID_TYPE_DESC,
  USER_SPEC,
  asRecord,
  fullName,
  isList,
  isObj,
  isRecord,
  type FieldSpec,
  type ListOf,
  type ObjSpec,
} from "./alma-model-schema.ts";

// ---------------------------------------------------------------------------------------------------------
// Rendering

export interface RenderOptions {
  /** "full" (default) or "brief" (core fields, emails, identifiers and statistics only). */
  view?: "full" | "brief";
  /** Base of the links of the output-only counts, e.g. http://127.0.0.1:1234 */
  baseUrl?: string;
}

const BRIEF_SKIP = new Set([
  "pin_number",
  "password",
  "requests",
  "loans",
  "fees",
  "user_roles",
  "user_blocks",
  "user_notes",
  "proxy_for_users",
  "rs_libraries",
  "library_notices",
]);

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';

const escText = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const escAttr = (s: string): string =>
  escText(s).replace(/"/g, "&quot;").replace(/\n/g, "&#10;").replace(/\r/g, "&#13;").replace(/\t/g, "&#9;");

function xmlEl(name: string, attrs: string, inner: string): string {
  return inner === "" ? `<${name}${attrs}/>` : `<${name}${attrs}>${inner}</${name}>`;
}

/** The user as Alma's GET returns it in XML (declaration included). */
export function renderUserXml(u: AlmaUser, opts: RenderOptions = {}): string {
  return XML_DECLARATION + userXmlElement(u, opts);
}

/** The `<user>` element alone (for embedding). */
export function userXmlElement(u: AlmaUser, opts: RenderOptions = {}): string {
  const brief = opts.view === "brief";
  const rec = u as unknown as Record<string, unknown>;
  let inner = "";
  for (const f of USER_SPEC.fields) {
    if (brief && BRIEF_SKIP.has(f.x)) continue;
    if (f.kind === "special") {
      inner += specialXml(f.x, u, opts);
      continue;
    }
    if (brief && f.x === "contact_info") {
      inner += xmlEl("contact_info", "", fieldXml(EMAILS_FIELD, asRecord(u.contactInfo)));
      continue;
    }
    inner += fieldXml(f, rec);
  }
  return xmlEl("user", "", inner);
}

const EMAILS_FIELD = CONTACT_INFO.fields[1]!;

function countLink(u: AlmaUser, what: string, opts: RenderOptions): string {
  const base = (opts.baseUrl ?? "").replace(/\/+$/, "");
  return `${base}/almaws/v1/users/${encodeURIComponent(u.primaryId)}/${what}`;
}

/** Floats as Java prints them: 0.0, 12.5. */
const javaFloat = (n: number): string => (Number.isInteger(n) ? n.toFixed(1) : String(n));

function specialXml(x: string, u: AlmaUser, opts: RenderOptions): string {
  switch (x) {
    case "full_name":
      return xmlEl(x, "", escText(fullName(u)));
    case "pin_number": // never returned: Alma's GET shows the element empty
    case "password": // "returned empty in the GET action" (rest_user.xsd)
      return `<${x}/>`;
    case "requests":
    case "loans":
    case "fees": {
      const n = x === "fees" ? javaFloat(u.fees) : String(u[x]);
      return `<${x} link="${escAttr(countLink(u, x, opts))}">${n}</${x}>`;
    }
  }
  return "";
}

function attrsXml(spec: ObjSpec, rec: Record<string, unknown>): string {
  let out = "";
  for (const f of spec.fields) {
    if (!f.attr) continue;
    const v = rec[f.k];
    if (typeof v === "string" || typeof v === "boolean") out += ` ${f.x}="${escAttr(String(v))}"`;
  }
  return out;
}

function fieldXml(f: FieldSpec, rec: Record<string, unknown>): string {
  const v = rec[f.k];
  if (f.attr) return "";
  if (isList(f.kind)) {
    const items = Array.isArray(v) ? v : [];
    if (!f.always && items.length === 0) return "";
    return xmlEl(f.x, "", listXml(f, items));
  }
  if (isObj(f.kind)) {
    if (!isRecord(v)) return f.always ? `<${f.x}/>` : "";
    return objXml(f.x, f.kind, v);
  }
  if (f.kind === "code") {
    const desc = rec[f.k + "Desc"];
    if (v === undefined && desc === undefined && !f.always) return "";
    const a = typeof desc === "string" ? ` desc="${escAttr(desc)}"` : "";
    return xmlEl(f.x, a, escText(typeof v === "string" ? v : ""));
  }
  if (f.kind === "bool") {
    if (typeof v !== "boolean") return f.always ? xmlEl(f.x, "", "false") : "";
    return xmlEl(f.x, "", String(v));
  }
  if (typeof v !== "string") return f.always ? `<${f.x}/>` : "";
  return xmlEl(f.x, "", escText(v));
}

function listXml(f: FieldSpec, items: unknown[]): string {
  const l = f.kind as ListOf;
  let out = "";
  for (const item of items) {
    if (l.of === "code") {
      const c = isRecord(item) ? item : { value: item };
      const a = typeof c.desc === "string" ? ` desc="${escAttr(c.desc)}"` : "";
      out += xmlEl(l.item, a, escText(typeof c.value === "string" ? c.value : ""));
    } else if (isRecord(item)) {
      out += objXml(l.item, l.of, item);
    }
  }
  return out;
}

function objXml(name: string, spec: ObjSpec, rec: Record<string, unknown>): string {
  let inner = "";
  for (const f of spec.fields) {
    if (f.attr) continue;
    if (name === "user_identifier" && f.x === "id_type") {
      inner += fieldXml(f, withIdTypeDesc(rec));
      continue;
    }
    inner += fieldXml(f, rec);
  }
  return xmlEl(name, attrsXml(spec, rec), inner);
}

function withIdTypeDesc(rec: Record<string, unknown>): Record<string, unknown> {
  if (typeof rec.idTypeDesc === "string" || typeof rec.idType !== "string") return rec;
  const desc = ID_TYPE_DESC[rec.idType.toUpperCase()];
  return desc ? { ...rec, idTypeDesc: desc } : rec;
}

/** The user as Alma's GET returns it in JSON. */
export function renderUserJson(u: AlmaUser, opts: RenderOptions = {}): Record<string, unknown> {
  const brief = opts.view === "brief";
  const rec = u as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of USER_SPEC.fields) {
    if (brief && BRIEF_SKIP.has(f.x)) continue;
    switch (f.x) {
      case "full_name":
        out.full_name = fullName(u);
        continue;
      case "pin_number": // absent from Alma's JSON GET
        continue;
      case "password":
        out.password = "";
        continue;
      case "requests":
      case "loans":
      case "fees":
        out[f.x] = { value: u[f.x], link: countLink(u, f.x, opts) };
        continue;
    }
    if (brief && f.x === "contact_info") {
      out.contact_info = { email: u.contactInfo.emails.map((e) => objJson(EMAIL, asRecord(e))) };
      continue;
    }
    fieldJson(f, rec, out);
  }
  return out;
}

function fieldJson(f: FieldSpec, rec: Record<string, unknown>, out: Record<string, unknown>): void {
  const v = rec[f.k];
  if (isList(f.kind)) {
    const items = Array.isArray(v) ? v : [];
    if (!f.always && items.length === 0) return;
    const l = f.kind;
    out[l.item] = items.map((item: unknown) => {
      if (l.of === "code") {
        const c = isRecord(item) ? item : { value: item };
        return { value: c.value ?? "", desc: c.desc ?? null };
      }
      return objJson(l.of, isRecord(item) ? item : {}, l.item);
    });
    return;
  }
  if (isObj(f.kind)) {
    if (isRecord(v)) out[f.x] = objJson(f.kind, v, f.x);
    else if (f.always) out[f.x] = null;
    return;
  }
  if (f.kind === "code") {
    const desc = rec[f.k + "Desc"];
    if (v === undefined && desc === undefined && !f.always) return;
    out[f.x] = { value: typeof v === "string" ? v : "", desc: typeof desc === "string" ? desc : null };
    return;
  }
  if (f.kind === "bool") {
    if (typeof v === "boolean") out[f.x] = v;
    else if (f.always) out[f.x] = false;
    return;
  }
  if (typeof v === "string") out[f.x] = v;
  else if (f.always) out[f.x] = "";
}

function objJson(spec: ObjSpec, rec: Record<string, unknown>, name = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const src = name === "user_identifier" ? withIdTypeDesc(rec) : rec;
  for (const f of spec.fields) {
    if (f.attr) {
      const v = src[f.k];
      if (v !== undefined) out[f.x] = v;
    } else fieldJson(f, src, out);
  }
  return out;
}
