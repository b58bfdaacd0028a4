import { describe, expect, it } from "vitest";
import { decide, type BarcodeLookup } from "../../src/alma/decide.ts";
import { almaDefaults } from "../../src/config.ts";
import { parseUser } from "../../src/alma/xml.ts";
import { fixture } from "../helpers/fixtures.ts";

const found = (barcode: string): BarcodeLookup => ({ kind: "found", entry: { barcode, line: 1 } });
const lookupFrom =
  (map: Record<string, BarcodeLookup>) =>
  (id: string): BarcodeLookup =>
    map[id] ?? { kind: "missing" };

const user = (ids: string, primary = "P1") =>
  parseUser(`<user><primary_id>${primary}</primary_id><user_identifiers>${ids}</user_identifiers></user>`);
const ident = (type: string, value: string, status = "ACTIVE", seg = "External") =>
  `<user_identifier segment_type="${seg}"><id_type>${type}</id_type><value>${value}</value><status>${status}</status></user_identifier>`;

describe("decide", () => {
  const cfg = almaDefaults();

  it("add: no ACTIVE barcode", () => {
    const d = decide(user(ident("UNIV_ID", "U1")), lookupFrom({ P1: found("B1") }), cfg);
    expect(d.action).toBe("add");
    expect(d.change).toEqual({ kind: "add", barcode: "B1", affected: [], reactivate: false });
    expect(d.oldBarcodes).toEqual([]);
  });

  it("unchanged: the same barcode is ACTIVE, compared case-insensitively", () => {
    const d = decide(user(ident("barcode", "ab12cd")), lookupFrom({ P1: found("AB12CD") }), cfg);
    expect(d.action).toBe("unchanged");
    expect(d.change).toBeUndefined();
  });

  it("an INACTIVE copy of the barcode does not count as present; it is reactivated", () => {
    const d = decide(user(ident("BARCODE", "B1", "INACTIVE")), lookupFrom({ P1: found("b1") }), cfg);
    expect(d.action).toBe("add");
    expect(d.change?.reactivate).toBe(true);
  });

  it("a different ACTIVE barcode follows existing_barcode", () => {
    const u = user(ident("BARCODE", "OLD1") + ident("BARCODE", "OLD0", "INACTIVE"));
    const lookup = lookupFrom({ P1: found("NEW1") });
    const keep = decide(u, lookup, almaDefaults({ existing_barcode: "keep" }));
    expect(keep.action).toBe("keep");
    expect(keep.change).toBeUndefined();
    expect(keep.message).toMatch(/OLD1/);
    const deact = decide(u, lookup, almaDefaults({ existing_barcode: "deactivate" }));
    expect(deact.action).toBe("deactivate");
    expect(deact.change).toEqual({
      kind: "deactivate",
      barcode: "NEW1",
      affected: ["OLD1"],
      reactivate: false,
    });
    const repl = decide(u, lookup, almaDefaults({ existing_barcode: "replace" }));
    expect(repl.action).toBe("replace");
    expect(repl.change?.affected).toEqual(["OLD1"]);
  });

  it("no-barcode and conflict come from the barcode list", () => {
    const u = user("");
    expect(decide(u, lookupFrom({}), cfg).action).toBe("no-barcode");
    const c = decide(
      u,
      lookupFrom({
        P1: { kind: "conflict", conflict: { reason: "listed twice with different barcodes", lines: [3, 9] } },
      }),
      cfg,
    );
    expect(c.action).toBe("conflict");
    expect(c.message).toContain("lines 3, 9");
  });

  it("match_on an identifier type finds the employee ID there (ACTIVE only)", () => {
    const u = user(ident("UNIV_ID", "old", "INACTIVE") + ident("UNIV_ID", "E777"));
    const d = decide(u, lookupFrom({ E777: found("B9") }), almaDefaults({ match_on: "UNIV_ID" }));
    expect(d.employeeId).toBe("E777");
    expect(d.action).toBe("add");
    const none = decide(
      user(ident("UNIV_ID", "E1", "INACTIVE")),
      lookupFrom({}),
      almaDefaults({ match_on: "UNIV_ID" }),
    );
    expect(none.action).toBe("no-employee-id");
  });

  it("the fingerprint changes when the barcode state changes, and only then", () => {
    const a = decide(user(ident("BARCODE", "X1") + ident("UNIV_ID", "U")), lookupFrom({}), cfg).fingerprint;
    const sameState = decide(
      user(ident("UNIV_ID", "U2") + ident("BARCODE", "x1")),
      lookupFrom({}),
      cfg,
    ).fingerprint;
    const inactive = decide(user(ident("BARCODE", "X1", "INACTIVE")), lookupFrom({}), cfg).fingerprint;
    expect(sameState).toBe(a);
    expect(inactive).not.toBe(a);
  });

  it("works on a real-shaped staff record without identifiers of the barcode type", () => {
    const d = decide(
      parseUser(fixture("alma/users/staff_roles.xml")),
      lookupFrom({ E00417: found("21234000123456") }),
      cfg,
    );
    expect(d.action).toBe("add");
  });
});
