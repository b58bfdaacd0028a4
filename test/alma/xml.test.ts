import { readdirSync } from "node:fs";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import {
  childText,
  parseUser,
  parseXml,
  buildXml,
  userXml,
  insertInOrder,
  el,
  tagOf,
  elements,
  USER_ELEMENT_ORDER,
  sameTree,
  child,
  type XNode,
} from "../../src/alma/xml.ts";
import { fixture } from "../helpers/fixtures.ts";
import { guardBody, putBody } from "../../src/alma/body.ts";

describe("xml round trip", () => {
  it("keeps leading zeros as text", () => {
    const user = parseUser("<user><primary_id>007</primary_id><expiry_date>0099</expiry_date></user>");
    expect(childText(user, "primary_id")).toBe("007");
    expect(userXml(user, false)).toContain("<primary_id>007</primary_id>");
  });

  it("keeps entities, unicode, attributes, element order and empty elements", () => {
    const xml = fixture("alma/users/staff_roles.xml");
    const user = parseUser(xml);
    const out = userXml(user);
    expect(out).toContain("<job_description>Acquisitions &amp; Serials</job_description>");
    expect(out).toContain('desc="Staff &amp; Faculty"');
    expect(out).toContain("&lt; 3 &amp; the");
    expect(out).toContain("é"); // &#233; decoded once, not double-encoded
    expect(out).not.toContain("&amp;#233;");
    expect(out).toContain("Zoë Ångström-Núñez");
    expect(out).toContain("<pin_number/>");
    expect(out).toContain("<middle_name/>");
    const tags = elements(user).map(tagOf);
    expect(tags.slice(0, 4)).toEqual(["record_type", "primary_id", "first_name", "middle_name"]);
    // Parsing our own output gives the same tree: the round trip is a fixed point.
    expect(sameTree(parseUser(out), user)).toBe(true);
  });

  it("keeps a literal '&#233;' written as &amp;#233; literal", () => {
    const user = parseUser("<user><x>&amp;#233;</x></user>");
    expect(childText(user, "x")).toBe("&#233;");
    expect(buildXml([user])).toBe("<user><x>&amp;#233;</x></user>");
  });

  it("keeps whitespace inside values and pretty-printed layout", () => {
    const xml = fixture("alma/users/guest_inactive.xml");
    const user = parseUser(xml);
    expect(sameTree(parseUser(userXml(user)), user)).toBe(true);
    expect(userXml(user, false)).toContain("\n  <primary_id>G00042</primary_id>");
  });

  it("refuses XML that is not well formed", () => {
    expect(() => parseXml("<user><a></user>")).toThrow(/not well-formed/);
    expect(() => parseUser("<users/>")).toThrow(/expected a <user> record/);
  });

  it("refuses a record cut short at any point, rather than reading a shorter record", () => {
    // A swap-all PUT of a shorter record would delete what was cut off.
    const xml = fixture("alma/users/staff_roles.xml");
    const end = xml.lastIndexOf("</user>") + "</user>".length;
    expect(sameTree(parseUser(xml.slice(0, end)), parseUser(xml))).toBe(true);
    let refused = 0;
    for (let cut = 0; cut < end; cut++) {
      expect(() => parseUser(xml.slice(0, cut)), `cut at ${cut}`).toThrow(
        /not well-formed|expected a <user>/,
      );
      refused++;
    }
    expect(refused).toBe(end);
  });

  it("says where a record is broken, and parses the next record cleanly after a failure", () => {
    expect(() => parseXml("<user>\n  <primary_id>1</primary_id>\n  <a></b>\n</user>")).toThrow(
      /not well-formed XML: .*3:.*unexpected close tag/,
    );
    const user = parseUser("<user><primary_id>2</primary_id></user>");
    expect(userXml(user, false)).toBe("<user><primary_id>2</primary_id></user>");
  });

  it("refuses entities XML does not define, duplicate attributes and text outside the record", () => {
    expect(() => parseXml("<user><x>caf&eacute;</x></user>")).toThrow(/not well-formed/);
    expect(() => parseXml('<user a="1" a="2"/>')).toThrow(/not well-formed/);
    expect(() => parseXml("<user/>trailing")).toThrow(/not well-formed/);
    expect(() => parseXml("<user/><user/>")).toThrow(/not well-formed/);
    expect(() => parseXml("<user>" + "<a>".repeat(200) + "</a>".repeat(200) + "</user>")).toThrow(
      /nested more than 100 deep/,
    );
  });

  it("keeps comments, CDATA and processing instructions inside the record; drops the declaration, doctype and PIs outside it", () => {
    const xml =
      '\uFEFF<?xml version="1.0"?><?outside y?><!DOCTYPE user><user><?pi x?><!-- kept --><note><![CDATA[a < b & c]]><?bare?></note></user>';
    const user = parseUser(xml);
    expect(childText(user, "note")).toBe("a < b & c");
    expect(userXml(user, false)).toBe(
      "<user><?pi x?><!-- kept --><note><![CDATA[a < b & c]]><?bare?></note></user>",
    );
  });

  it("a processing instruction inside <user> reaches the PUT body as it came (issue #17: it was dropped)", () => {
    const fetched = parseUser(
      '<user><primary_id>P1</primary_id><?alma-sync keep="1"?><user_identifiers><user_identifier segment_type="Internal"><id_type>BARCODE</id_type><value>OLD</value><status>ACTIVE</status></user_identifier></user_identifiers></user>',
    );
    const change = { kind: "add" as const, barcode: "NEW-1", affected: [], reactivate: false };
    const body = putBody(fetched, change, "BARCODE");
    expect(guardBody(fetched, body, change, "BARCODE")).toEqual([]);
    const sent = userXml(body, false);
    expect(sent).toContain('<primary_id>P1</primary_id><?alma-sync keep="1"?><user_identifiers>');
    expect(sent).toContain("<value>NEW-1</value>");
  });

  it("escapes text and attribute values so that every character reads back as it was", () => {
    const nasty = `a & b < c > d "e" 'f' ]]> g\th\ni\r\nj 😀 \u00a0`;
    const user = el("user", [el("note", nasty, { desc: nasty }), el("empty", "")]);
    const out = userXml(user, false);
    const back = parseUser(out);
    expect(childText(back, "note")).toBe(nasty);
    expect((child(back, "note")![":@"] as Record<string, string>)["@_desc"]).toBe(nasty);
    expect(out).toContain("<empty/>");
    expect(sameTree(back, user)).toBe(true);
  });

  it("reads every fixture into the same tree as fast-xml-parser's preserveOrder mode", () => {
    // fast-xml-parser still reads Alma error bodies and runs the simulator: the two must agree.
    const fxp = new XMLParser({
      preserveOrder: true,
      ignoreAttributes: false,
      attributeNamePrefix: "@_",
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: false,
      htmlEntities: true, // decodes character references such as &#233;
      commentPropName: "#comment",
      cdataPropName: "#cdata",
      ignoreDeclaration: true,
      ignorePiTags: true,
    });
    const dir = new URL("../fixtures/alma/users/", import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith(".xml"));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) {
      const xml = fixture(`alma/users/${f}`);
      const theirs = (fxp.parse(xml) as XNode[]).find((n) => tagOf(n) === "user");
      expect(JSON.stringify(parseUser(xml)), f).toBe(JSON.stringify(theirs));
    }
  });

  it("inserts an element where the schema order puts it", () => {
    const user = parseUser(
      "<user><primary_id>1</primary_id><contact_info/><user_roles/><user_notes/></user>",
    );
    insertInOrder(user, el("user_identifiers", []), USER_ELEMENT_ORDER);
    expect(elements(user).map(tagOf)).toEqual([
      "primary_id",
      "contact_info",
      "user_identifiers",
      "user_roles",
      "user_notes",
    ]);
  });
});
