/**
 * Seed data: the demo users and the sample files in data/alma/ agree and cover every case; the
 * benchmark generator (alma-generate.ts) is deterministic and produces what it says.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { startAlmaSimulator, type AlmaSimulator, type AlmaUser } from "../../src/simulators/alma.ts";
import {
  DEMO_BARCODE_LIST,
  DEMO_EDIT_USER,
  DEMO_EXPECTED_ACTIONS,
  DEMO_PATRON_LIST,
  demoUsers,
} from "../../src/simulators/alma-seed.ts";
import { generateUsers, type GeneratedCase } from "../../src/simulators/alma-generate.ts";

const KEY = "seed-key";
const sims: AlmaSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});
async function start(users = demoUsers()): Promise<AlmaSimulator> {
  const s = await startAlmaSimulator({ apiKey: KEY, users });
  sims.push(s);
  return s;
}

const repoFile = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

/**
 * An independent statement of the plan rules (README "What the plan decides"), used to check that the
 * seed data produce the cases they are meant to.
 */
function planner(barcodeLines: string[]) {
  const byEmployee = new Map<string, Set<string>>();
  const byBarcode = new Map<string, Set<string>>();
  for (const line of barcodeLines) {
    const [e, b] = line.toLowerCase().split("|") as [string, string];
    byEmployee.set(e, (byEmployee.get(e) ?? new Set()).add(b));
    byBarcode.set(b, (byBarcode.get(b) ?? new Set()).add(e));
  }
  return (user: AlmaUser | undefined, employeeId: string): string => {
    if (!user) return "not-found";
    const mine = byEmployee.get(employeeId.toLowerCase());
    if (!mine) return "no-barcode";
    if (mine.size > 1 || [...mine].some((b) => byBarcode.get(b)!.size > 1)) return "conflict";
    const barcode = [...mine][0]!;
    const active = user.identifiers.filter(
      (i) => i.idType === "BARCODE" && (i.status ?? "ACTIVE") === "ACTIVE",
    );
    if (active.some((i) => i.value.toLowerCase() === barcode)) return "unchanged";
    return active.length ? "deactivate" : "add";
  };
}

describe("demo users and the sample files", () => {
  it("the sample files in data/alma/ are the ones the seed describes", () => {
    expect(repoFile("data/alma/patronlist_no_barcode.txt")).toBe(DEMO_PATRON_LIST);
    expect(repoFile("data/alma/library_barcode_full_list.txt")).toBe(DEMO_BARCODE_LIST);
    const lines = DEMO_PATRON_LIST.split("\n");
    expect(lines[0]).toBe("Primary Identifier");
    expect(lines).toContain("");
    const ids = lines.slice(1).filter(Boolean);
    expect(ids.length - new Set(ids).size).toBe(1); // one duplicate line
    expect(
      DEMO_BARCODE_LIST.trimEnd()
        .split("\n")
        .every((l) => /^[^|\s]+\|[^|\s]+$/.test(l)),
    ).toBe(true);
  });

  it("every listed patron gets the planned action the seed promises", async () => {
    const sim = await start();
    const ids = [...new Set(DEMO_PATRON_LIST.split("\n").slice(1).filter(Boolean))];
    const decide = planner(DEMO_BARCODE_LIST.trimEnd().split("\n"));
    const actual = Object.fromEntries(ids.map((id) => [id, decide(sim.getUser(id), id)]));
    expect(actual).toEqual(DEMO_EXPECTED_ACTIONS);
    expect(new Set(Object.values(actual))).toEqual(
      new Set(["add", "deactivate", "unchanged", "no-barcode", "conflict", "not-found"]),
    );
  });

  it("covers the user kinds: staff roles with parameters, SIS students, a guest, unicode, notes, zeros, PINs", async () => {
    const sim = await start();
    expect(sim.userCount()).toBeGreaterThanOrEqual(14);
    const staff = sim.getUser("E00417")!;
    expect(staff).toMatchObject({
      recordType: "STAFF",
      accountType: "INTERNAL",
      firstName: "Zoë",
      lastName: "Ångström",
    });
    const paramTypes = staff.roles.flatMap((r) => r.parameters.map((p) => p.type));
    expect(paramTypes).toEqual(expect.arrayContaining(["ServiceUnit", "CirculationDesk"]));
    expect(staff.notes[0]!.noteText).toMatch(/&.*</);
    expect(staff.identifiers.find((i) => i.idType === "UNIV_ID")?.value).toBe("0099417");
    expect(
      sim
        .getUser("E00512")!
        .roles.some((r) => r.roleType === "214" && r.parameters[0]?.type === "ServiceUnit"),
    ).toBe(true);

    const student = sim.getUser("S0071234")!;
    expect(student).toMatchObject({ recordType: "PUBLIC", accountType: "EXTERNAL", externalId: "SIS" });
    expect(student.identifiers.every((i) => i.segmentType === "External")).toBe(true);

    const guest = sim.getUser("G00042")!;
    const guestBarcodes = guest.identifiers.filter((i) => i.idType === "BARCODE");
    expect(guestBarcodes.length).toBeGreaterThanOrEqual(3);
    expect(guestBarcodes.every((i) => i.status === "INACTIVE")).toBe(true);
    expect(guest.pinSet).toBe(true);
    expect(guest.firstName + guest.lastName).toBe("李小龙");

    expect(sim.getUser("0070815")!.identifiers[0]!.value).toMatch(/^00/);
    expect(sim.getUser("S0071301")).toMatchObject({ accountType: "EXTERNAL", pinSet: true });
    expect(sim.getUserXml("S0071301")).toContain("<pin_number/>");
    // The holder of P00400's barcode is not in the patron list.
    expect(sim.getUser("21234000400000")!.primaryId).toBe("H00001");
    expect(DEMO_PATRON_LIST).not.toContain("H00001");
    expect(DEMO_EXPECTED_ACTIONS[DEMO_EDIT_USER]).toBe("add");
  });

  it("a careful client (full record, no roles, no empty PIN, no counts) applies the demo plan: only P00400 fails, with 401851", async () => {
    const sim = await start();
    const barcodeLines = DEMO_BARCODE_LIST.trimEnd()
      .split("\n")
      .map((l) => l.split("|") as [string, string]);
    const results: Record<string, string> = {};
    for (const [id, action] of Object.entries(DEMO_EXPECTED_ACTIONS)) {
      if (action !== "add" && action !== "deactivate") continue;
      const url = `${sim.url}/almaws/v1/users/${encodeURIComponent(id)}`;
      const headers = { Authorization: `apikey ${KEY}`, "Content-Type": "application/xml" };
      let xml = await (await fetch(url, { headers })).text();
      const barcode = barcodeLines.find(([e]) => e === id)![1];
      if (action === "deactivate") {
        xml = xml.replace(
          /(<user_identifier[^>]*><id_type[^>]*>BARCODE<\/id_type><value>[^<]*<\/value>(?:<note>[^<]*<\/note>)?<status>)ACTIVE</g,
          "$1INACTIVE<",
        );
      }
      const added = `<user_identifier segment_type="Internal"><id_type>BARCODE</id_type><value>${barcode}</value><status>ACTIVE</status></user_identifier>`;
      xml = xml.includes("<user_identifiers/>")
        ? xml.replace("<user_identifiers/>", `<user_identifiers>${added}</user_identifiers>`)
        : xml.replace("</user_identifiers>", `${added}</user_identifiers>`);
      xml = xml
        .replace(/<user_roles>.*<\/user_roles>|<user_roles\/>/s, "")
        .replace("<pin_number/>", "")
        .replace(/<(loans|requests|fees) [^>]*>[^<]*<\/\1>/g, "");
      const res = await fetch(url, { method: "PUT", headers, body: xml });
      const text = await res.text();
      results[id] = res.status === 200 ? "ok" : (/<errorCode>(\w+)</.exec(text)?.[1] ?? String(res.status));
    }
    expect(results).toEqual({
      E00417: "ok",
      E00512: "ok",
      S0071234: "ok",
      S0071301: "ok",
      G00042: "ok",
      "0070815": "ok",
      P00400: "401851",
      P00777: "ok",
      N00015: "ok",
    });
    expect(sim.getUser("E00417")!.roles).toHaveLength(4);
    expect(sim.getUser("S0071301")!.pinSet).toBe(true);
    expect(sim.getUser("G00042")!.pinSet).toBe(true);
    const old = sim.getUser("E00512")!.identifiers.map((i) => `${i.value}:${i.status}`);
    expect(old).toEqual(["21234000100512:INACTIVE", "21234000200512:ACTIVE"]);
  });
});

describe("generateUsers", () => {
  it("is deterministic for a seed and differs between seeds", () => {
    const a = generateUsers({ count: 300, seed: 7 });
    const b = generateUsers({ count: 300, seed: 7 });
    const c = generateUsers({ count: 300, seed: 8 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(b.barcodeLines).toEqual(a.barcodeLines);
    expect(c.barcodeLines).not.toEqual(a.barcodeLines);
  });

  it("produces a realistic mix whose lists match the users, and loads into the simulator", async () => {
    const gen = generateUsers({ count: 4000, seed: 11 });
    const sim = await start(gen.users); // throws if two users share an identifier
    const listed = [...gen.cases.keys()];
    expect(listed).toHaveLength(4000);
    expect(gen.patronIds.filter((id) => !gen.notFound.includes(id)).length).toBeGreaterThanOrEqual(4000);
    expect(new Set(gen.patronIds)).toEqual(new Set([...listed, ...gen.notFound]));
    expect(gen.notFound.length).toBeGreaterThan(0);
    expect(gen.barcodeLines.every((l) => /^[^|\s]+\|[^|\s]+$/.test(l))).toBe(true);

    const counts: Partial<Record<GeneratedCase, number>> = {};
    for (const c of gen.cases.values()) counts[c] = (counts[c] ?? 0) + 1;
    for (const c of [
      "add",
      "add-inactive",
      "deactivate",
      "unchanged",
      "no-barcode",
      "conflict-employee",
      "conflict-barcode",
      "held-by-other",
    ] as const) {
      expect(counts[c], c).toBeGreaterThan(0);
    }
    const expected: Record<GeneratedCase, string> = {
      add: "add",
      "add-inactive": "add",
      deactivate: "deactivate",
      unchanged: "unchanged",
      "no-barcode": "no-barcode",
      "conflict-employee": "conflict",
      "conflict-barcode": "conflict",
      "held-by-other": "add",
    };
    const decide = planner(gen.barcodeLines);
    const wrong = [...gen.cases].filter(([id, c]) => decide(sim.getUser(id), id) !== expected[c]);
    expect(wrong).toEqual([]);
    for (const id of gen.notFound) expect(sim.getUser(id)).toBeUndefined();

    // The barcode of a held-by-other patron belongs to an unlisted user.
    const held = [...gen.cases].filter(([, c]) => c === "held-by-other").map(([id]) => id);
    for (const id of held) {
      const barcode = gen.barcodeLines.find((l) => l.startsWith(`${id}|`))!.split("|")[1]!;
      const holder = sim.getUser(barcode);
      expect(holder?.primaryId).not.toBe(id);
      expect(gen.cases.has(holder!.primaryId)).toBe(false);
    }

    const kinds = new Set(gen.users.map((u) => `${u.recordType}/${u.accountType}`));
    expect(kinds).toEqual(new Set(["PUBLIC/EXTERNAL", "PUBLIC/INTERNAL", "STAFF/INTERNAL"]));
    const staff = gen.users.filter((u) => u.recordType === "STAFF");
    expect(
      staff.every((u) => u.roles!.some((r) => r.parameters?.some((p) => p.type === "ServiceUnit"))),
    ).toBe(true);
    expect(gen.users.some((u) => u.pinSet)).toBe(true);
    expect(gen.users.some((u) => /[^\x20-\x7e]/.test(`${u.firstName}${u.lastName}`))).toBe(true);
  });
});
