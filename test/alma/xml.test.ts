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
} from "../../src/alma/xml.ts";
import { fixture } from "../helpers/fixtures.ts";

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
