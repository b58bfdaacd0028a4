/** Putting barcode identifiers back (src/alma/restore.ts): the body and its independent guard. */
import { describe, expect, it } from "vitest";
import { barcodeFingerprint, identifiersOf } from "../../src/alma/identifiers.ts";
import {
  guardRestore,
  restoreBody,
  snapshotFingerprint,
  snapshotIdentifiers,
} from "../../src/alma/restore.ts";
import { child, childrenOf, el, parseUser } from "../../src/alma/xml.ts";

const BEFORE = `<user><primary_id>U1</primary_id><last_name>L</last_name><user_identifiers>
<user_identifier segment_type="External"><id_type desc="University ID">UNIV_ID</id_type><value>U-1</value><status>ACTIVE</status></user_identifier>
<user_identifier segment_type="External"><id_type desc="Barcode">BARCODE</id_type><value>OLD</value><note>SIS</note><status>ACTIVE</status></user_identifier>
<user_identifier segment_type="Internal"><id_type desc="Barcode">BARCODE</id_type><value>GONE</value><status>INACTIVE</status></user_identifier>
</user_identifiers><user_roles><user_role/></user_roles></user>`;
const AFTER = `<user><primary_id>U1</primary_id><last_name>L</last_name><user_identifiers>
<user_identifier segment_type="External"><id_type desc="University ID">UNIV_ID</id_type><value>U-1</value><status>ACTIVE</status></user_identifier>
<user_identifier segment_type="Internal"><id_type desc="Barcode">BARCODE</id_type><value>GONE</value><status>INACTIVE</status></user_identifier>
<user_identifier segment_type="Internal"><id_type desc="Barcode">BARCODE</id_type><value>NEW</value><status>ACTIVE</status></user_identifier>
</user_identifiers><user_roles><user_role/></user_roles></user>`;

describe("restore", () => {
  const saved = snapshotIdentifiers(parseUser(BEFORE), "BARCODE");

  it("snapshots only the barcode identifiers, with their places, and knows their fingerprint", () => {
    expect(saved.map((s) => s.at)).toEqual([1, 2]);
    expect(snapshotFingerprint(saved, "barcode")).toBe(barcodeFingerprint(parseUser(BEFORE), "BARCODE"));
  });

  it("puts them back exactly, in place, leaves the rest and the roles out of the body", () => {
    const fresh = parseUser(AFTER);
    const body = restoreBody(fresh, saved, "BARCODE");
    expect(guardRestore(fresh, body, saved, "BARCODE")).toEqual([]);
    expect(child(body, "user_roles")).toBeUndefined();
    const ids = identifiersOf(body).map((i) => `${i.idType}:${i.value}:${i.status}:${i.segmentType}`);
    expect(ids).toEqual([
      "UNIV_ID:U-1:ACTIVE:External",
      "BARCODE:OLD:ACTIVE:External",
      "BARCODE:GONE:INACTIVE:Internal",
    ]);
    expect(barcodeFingerprint(body, "BARCODE")).toBe(barcodeFingerprint(parseUser(BEFORE), "BARCODE"));
    expect(childrenOf(fresh).length).toBe(childrenOf(parseUser(AFTER)).length); // the fetched tree is untouched
  });

  it("the guard refuses a body that changes anything else", () => {
    const fresh = parseUser(AFTER);
    const body = restoreBody(fresh, saved, "BARCODE");
    childrenOf(body).push(el("job_description", "changed"));
    expect(guardRestore(fresh, body, saved, "BARCODE")).toContain("<job_description> was added");
    const other = restoreBody(fresh, saved, "BARCODE");
    const list = child(other, "user_identifiers")!;
    list.user_identifiers = childrenOf(list).filter((n) => !JSON.stringify(n).includes("U-1"));
    expect(guardRestore(fresh, other, saved, "BARCODE")).toContain(
      "identifiers of types other than BARCODE were changed, added or removed",
    );
    const wrong = restoreBody(fresh, saved.slice(0, 1), "BARCODE");
    expect(guardRestore(fresh, wrong, saved, "BARCODE")).toContain(
      "the BARCODE identifiers are not exactly those before the apply",
    );
  });
});
