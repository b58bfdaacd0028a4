import { describe, expect, it } from "vitest";
import { guardBody, putBody } from "../../src/alma/body.ts";
import { identifiersOf, type BarcodeChange } from "../../src/alma/identifiers.ts";
import {
  child,
  childText,
  childrenOf,
  el,
  elements,
  parseUser,
  setText,
  tagOf,
  userXml,
  type XNode,
} from "../../src/alma/xml.ts";
import { fixture } from "../helpers/fixtures.ts";

const add = (barcode: string): BarcodeChange => ({ kind: "add", barcode, affected: [], reactivate: false });

describe("putBody", () => {
  const staff = () => parseUser(fixture("alma/users/staff_roles.xml"));

  it("leaves out roles, the empty PIN and the output-only counts, and adds an Internal barcode", () => {
    const fetched = staff();
    const body = putBody(fetched, add("21234000123456"), "BARCODE");
    const tags = elements(body).map(tagOf);
    expect(tags).not.toContain("user_roles");
    expect(tags).not.toContain("pin_number");
    expect(tags).not.toContain("loans");
    expect(tags).not.toContain("requests");
    expect(tags).not.toContain("fees");
    const ids = identifiersOf(body);
    expect(ids.map((i) => [i.idType, i.value, i.status, i.segmentType])).toEqual([
      ["UNIV_ID", "0099417", "ACTIVE", "Internal"],
      ["BARCODE", "21234000123456", "ACTIVE", "Internal"],
    ]);
    // The fetched tree is untouched.
    expect(elements(fetched).map(tagOf)).toContain("user_roles");
    expect(guardBody(fetched, body, add("21234000123456"), "BARCODE")).toEqual([]);
  });

  it("keeps everything else byte-for-byte: names, notes with entities, external_id, password, order", () => {
    const fetched = staff();
    const xml = userXml(putBody(fetched, add("B1"), "BARCODE"));
    expect(xml).toContain("<full_name>Zoë Ångström-Núñez</full_name>");
    expect(xml).toContain("Keys for room 2 &lt; 3 &amp; the");
    expect(xml).toContain("<external_id/><password/>");
    expect(xml).toContain(
      '<user_identifiers><user_identifier segment_type="Internal"><id_type desc="University ID">UNIV_ID</id_type><value>0099417</value>',
    );
    expect(xml.indexOf("<contact_info>")).toBeLessThan(xml.indexOf("<user_identifiers>"));
    expect(xml.indexOf("<user_identifiers>")).toBeLessThan(xml.indexOf("<user_blocks/>"));
  });

  it("keeps a PIN that has a value", () => {
    const fetched = parseUser(fixture("alma/users/guest_inactive.xml"));
    const body = putBody(fetched, add("NEW"), "BARCODE");
    expect(childText(body, "pin_number")).toBe("1234");
  });

  it("deactivate sets the old ACTIVE barcode INACTIVE and keeps its segment", () => {
    const fetched = parseUser(fixture("alma/users/external_sis.xml"));
    const change: BarcodeChange = {
      kind: "deactivate",
      barcode: "NEW9",
      affected: ["20000111"],
      reactivate: false,
    };
    const body = putBody(fetched, change, "BARCODE");
    expect(identifiersOf(body).map((i) => `${i.idType}:${i.value}:${i.status}:${i.segmentType}`)).toEqual([
      "NET_ID:jnunez:ACTIVE:External",
      "BARCODE:20000111:INACTIVE:External",
      "BARCODE:NEW9:ACTIVE:Internal",
    ]);
    expect(childText(body, "external_id")).toBe("SIS");
    expect(guardBody(fetched, body, change, "BARCODE")).toEqual([]);
  });

  it("replace removes the old ACTIVE barcode only", () => {
    const fetched = parseUser(fixture("alma/users/external_sis.xml"));
    const change: BarcodeChange = {
      kind: "replace",
      barcode: "NEW9",
      affected: ["20000111"],
      reactivate: false,
    };
    const body = putBody(fetched, change, "BARCODE");
    expect(identifiersOf(body).map((i) => i.value)).toEqual(["jnunez", "NEW9"]);
    expect(guardBody(fetched, body, change, "BARCODE")).toEqual([]);
  });

  it("reactivates an INACTIVE copy instead of adding the value twice", () => {
    const fetched = parseUser(fixture("alma/users/guest_inactive.xml"));
    const change: BarcodeChange = { kind: "add", barcode: "BC0003x", affected: [], reactivate: true };
    const body = putBody(fetched, change, "BARCODE");
    const ids = identifiersOf(body);
    expect(ids).toHaveLength(3);
    expect(ids.map((i) => i.status)).toEqual(["INACTIVE", "INACTIVE", "ACTIVE"]);
    expect(guardBody(fetched, body, change, "BARCODE")).toEqual([]);
  });

  it("creates <user_identifiers> in schema order when the record has none", () => {
    const fetched = parseUser(fixture("alma/users/doc_sample_old.xml"));
    const body = putBody(fetched, add("B7"), "BARCODE");
    expect(elements(body).map(tagOf)).toEqual([
      "record_type",
      "primary_id",
      "first_name",
      "last_name",
      "user_group",
      "account_type",
      "status",
      "contact_info",
      "user_identifiers",
    ]);
    expect(guardBody(fetched, body, add("B7"), "BARCODE")).toEqual([]);
  });
});

describe("guardBody catches what the plan did not allow", () => {
  const fetched = () => parseUser(fixture("alma/users/external_sis.xml"));
  const change = add("NEW1");
  const mutate = (f: (b: XNode) => void) => {
    const src = fetched();
    const body = putBody(src, change, "BARCODE");
    f(body);
    return guardBody(src, body, change, "BARCODE");
  };

  it("a changed name", () => {
    expect(mutate((b) => setText(child(b, "last_name")!, "Nunez"))).toEqual(["<last_name> was changed"]);
  });
  it("a changed external_id", () => {
    expect(mutate((b) => setText(child(b, "external_id")!, "OTHER"))).toEqual(["<external_id> was changed"]);
  });
  it("a removed identifier of another type", () => {
    const problems = mutate((b) => {
      const list = child(b, "user_identifiers")!;
      list.user_identifiers = childrenOf(list).slice(1);
    });
    expect(problems.join()).toMatch(/types other than BARCODE/);
  });
  it("a barcode other than the planned one", () => {
    const problems = mutate((b) => {
      const ids = identifiersOf(b);
      setText(child(ids[ids.length - 1]!.node, "value")!, "NEW2");
    });
    expect(problems.join()).toMatch(/not exactly the planned change/);
  });
  it("roles sent back", () => {
    const problems = mutate((b) => childrenOf(b).push(el("user_roles", [])));
    expect(problems.join()).toMatch(/user_roles/);
  });
  it("an empty PIN sent", () => {
    const problems = mutate((b) => childrenOf(b).splice(5, 0, el("pin_number", "")));
    expect(problems.join()).toMatch(/wipe the PIN/);
  });
  it("a dropped element", () => {
    const problems = mutate((b) => {
      b.user = childrenOf(b).filter((n) => tagOf(n) !== "user_statistics");
    });
    expect(problems).toContain("<user_statistics> was removed");
  });
});

describe("guardBody alignment", () => {
  it("names an added element without blaming the ones after it", () => {
    const src = parseUser(fixture("alma/users/external_sis.xml"));
    const change = add("N");
    const body = putBody(src, change, "BARCODE");
    childrenOf(body).splice(3, 0, el("birth_date", "2000-01-01Z"));
    expect(guardBody(src, body, change, "BARCODE")).toEqual(["<birth_date> was added"]);
  });
});
