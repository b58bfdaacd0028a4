/** The PUT body of a field update and its guard (issue #20 §4): only the planned fields may differ. */
import { describe, expect, it } from "vitest";
import { guardBody, putBody } from "../../src/alma/body.ts";
import { decideFields, riskOf, type FieldChange } from "../../src/alma/field-plan.ts";
import { readField } from "../../src/alma/update-fields.ts";
import { child, el, parseUser, userXml } from "../../src/alma/xml.ts";

const USER = parseUser(
  `<user><record_type desc="Public">PUBLIC</record_type><primary_id>U1</primary_id><pin_number/>` +
    `<user_group desc="Undergraduate">UG</user_group><expiry_date>2026-06-30Z</expiry_date><account_type>INTERNAL</account_type>` +
    `<status desc="Active">ACTIVE</status><contact_info><emails><email preferred="false"><email_address>x@a.edu</email_address></email>` +
    `<email preferred="true" segment_type="Internal"><email_address>u1@old.edu</email_address><email_types><email_type>school</email_type></email_types></email></emails></contact_info>` +
    `<user_identifiers><user_identifier><id_type>BARCODE</id_type><value>B1</value><status>ACTIVE</status></user_identifier></user_identifiers>` +
    `<user_roles><user_role><role_type>200</role_type></user_role></user_roles></user>`,
);
const row = (values: Record<string, string>) => ({ id: "U1", line: 2, values });

describe("field updates: body and guard", () => {
  it("decides before → after; unchanged fields are not written", () => {
    const f = decideFields(
      USER,
      row({ expiry_date: "2026-06-30", user_group: "GRAD", purge_date: "2030-01-31" }),
      (_f, c) => (c === "GRAD" ? "Graduate" : undefined),
    );
    expect(f).toEqual([
      { field: "user_group", before: "UG", after: "GRAD", desc: "Graduate" },
      { field: "expiry_date", before: "2026-06-30", after: "2026-06-30", unchanged: true },
      { field: "purge_date", before: "", after: "2030-01-31" },
    ]);
  });

  it("writes the planned values in Alma's form, in schema order, and nothing else; the guard accepts it", () => {
    const fields = decideFields(
      USER,
      row({ user_group: "GRAD", purge_date: "2030-01-31", email: "u1@new.edu", status: "INACTIVE" }),
    );
    const body = putBody(USER, undefined, "BARCODE", fields);
    expect(guardBody(USER, body, undefined, "BARCODE", fields)).toEqual([]);
    const xml = userXml(body, false);
    expect(xml).toContain(
      "<user_group>GRAD</user_group><expiry_date>2026-06-30Z</expiry_date><purge_date>2030-01-31Z</purge_date>",
    );
    expect(xml).toContain('<status desc="Inactive">INACTIVE</status>');
    expect(readField(body, "email")).toBe("u1@new.edu");
    expect(xml).toContain("<email_address>x@a.edu</email_address>"); // the other address untouched
    expect(xml).not.toContain("user_roles");
    expect(xml).not.toContain("pin_number");
    expect(readField(USER, "email")).toBe("u1@old.edu"); // the fetched record is not modified
  });

  it("refuses a body where anything but the planned fields differs", () => {
    const fields: FieldChange[] = [{ field: "user_group", before: "UG", after: "GRAD" }];
    const body = putBody(USER, undefined, "BARCODE", fields);
    // Another field changed too.
    const status = child(body, "status")!;
    status.status = [{ "#text": "INACTIVE" }];
    expect(guardBody(USER, body, undefined, "BARCODE", fields)).toEqual(["<status> was changed"]);
    // A barcode changed although the plan changes none, the planned field with another value, a role sent.
    const b2 = putBody(USER, undefined, "BARCODE", fields);
    const ids = child(b2, "user_identifiers")!;
    ids.user_identifiers = [];
    child(b2, "user_group")!.user_group = [{ "#text": "STAFF" }];
    (b2.user as unknown[]).push(el("user_roles", []));
    expect(guardBody(USER, b2, undefined, "BARCODE", fields)).toEqual([
      "<user_roles> must be left out of the PUT (Alma keeps the roles)",
      "<user_identifiers> was changed, but the plan changes no barcode",
      "<user_group> is 'STAFF', not the planned 'GRAD'",
    ]);
    // The e-mail: another part of contact_info changed.
    const ef: FieldChange[] = [{ field: "email", before: "u1@old.edu", after: "u1@new.edu" }];
    const b3 = putBody(USER, undefined, "BARCODE", ef);
    const other = child(child(child(b3, "contact_info")!, "emails")!, "email")!;
    child(other, "email_address")!.email_address = [{ "#text": "evil@x.edu" }];
    expect(guardBody(USER, b3, undefined, "BARCODE", ef)).toEqual([
      "<contact_info> differs in more than the preferred e-mail address",
    ]);
  });

  it("an e-mail cannot be set on a user with no preferred address", () => {
    const u = parseUser("<user><primary_id>U2</primary_id><contact_info><emails/></contact_info></user>");
    const [f] = decideFields(u, row({ email: "a@b.edu" }));
    expect(f).toMatchObject({
      refused: "the user has no preferred e-mail address to replace; set one in Alma first",
    });
  });

  it("looks first at deactivation, a group change, and dates moved earlier", () => {
    const today = new Date("2026-12-07T00:00:00Z");
    expect(riskOf({ field: "status", before: "ACTIVE", after: "INACTIVE" }, today)).toBe(
      "deactivated (status INACTIVE)",
    );
    expect(riskOf({ field: "status", before: "INACTIVE", after: "ACTIVE" }, today)).toBeUndefined();
    expect(riskOf({ field: "expiry_date", before: "2027-06-30", after: "2026-01-31" }, today)).toBe(
      "expiry_date moved earlier, 2027-06-30 → 2026-01-31 (in the past)",
    );
    expect(
      riskOf({ field: "expiry_date", before: "2026-06-30", after: "2027-06-30" }, today),
    ).toBeUndefined();
    expect(
      riskOf({ field: "user_group", before: "UG", after: "UG2", unchanged: true }, today),
    ).toBeUndefined();
  });
});
