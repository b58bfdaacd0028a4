/**
 * The benchmark's generator of Alma users: `generateUsers({ count, seed })`, a deterministic, realistic mix,
 * with the matching patron-list and barcode-list lines. The hand-written demo users are in alma-seed.ts.
 *
 * These users are invented (no real person), shaped like the public records in shared/fixtures/alma/users
 * (EXTERNAL SIS students with External barcodes, staff with role parameters, guests with INACTIVE
 * barcodes). The mix and the values are ours: an assumption about a typical institution, not a source.
 */
import type { AlmaUserInit } from "./alma-model.ts";
import { ACTIVE, barcode, email, identifier, INACTIVE, param, patron, role } from "./alma-builders.ts";
import { createRng, intBetween, pick, type Rng } from "./alma-random.ts";

export interface GenerateOptions {
  /** Patrons in the patron list that exist in Alma (the list also gets a few not-found IDs and duplicates). */
  count: number;
  seed?: number;
}

export type GeneratedCase =
  | "add"
  | "add-inactive"
  | "deactivate"
  | "unchanged"
  | "no-barcode"
  | "conflict-employee"
  | "conflict-barcode"
  | "held-by-other";

export interface GeneratedUsers {
  /** Every Alma user: the listed patrons and the holders of barcodes (who are not listed). */
  users: AlmaUserInit[];
  /** The patron list's lines (without header): listed patrons, a few duplicates and not-found IDs. */
  patronIds: string[];
  /** The barcode list's lines, `employee_id|barcode`, including employees who are not in the patron list. */
  barcodeLines: string[];
  /** The case each listed primary ID was generated for. */
  cases: Map<string, GeneratedCase>;
  /** IDs in the patron list that are not in Alma. */
  notFound: string[];
}

const FIRST = [
  "Zoë",
  "José",
  "Aoife",
  "Søren",
  "李",
  "Mary-Jane",
  "Priya",
  "Tomasz",
  "Fatima",
  "Ngozi",
  "Hana",
  "Björn",
  "Émile",
  "Grace",
  "Kwame",
  "Олена",
  "Mateo",
  "Yuki",
  "Chloé",
  "Dmitri",
  "Amara",
  "Noah",
  "Lucía",
  "Oğuz",
];
const LAST = [
  "Ångström",
  "Núñez",
  "Ní Bhriain",
  "Østergaard",
  "小龙",
  "O'Brien",
  "Raghunathan",
  "Wiśniewski",
  "Al-Fihri",
  "Okonkwo",
  "Kovářová",
  "Þórsson",
  "Durand",
  "Hopper",
  "Mensah",
  "Коваленко",
  "García",
  "Tanaka",
  "Lefèvre",
  "Ivanov",
  "Diallo",
  "Smith",
  "Fernández",
  "Yılmaz",
];

type Kind = "student" | "public" | "staff" | "guest";

/** Deterministic for a seed; builds plain objects only (100,000 users take about a second). */
export function generateUsers({ count, seed = 1 }: GenerateOptions): GeneratedUsers {
  const rng = createRng(seed);
  const users: AlmaUserInit[] = [];
  const patronIds: string[] = [];
  const barcodeLines: string[] = [];
  const cases = new Map<string, GeneratedCase>();
  const notFound: string[] = [];
  let nextBarcode = 1;
  const newBarcode = () => `21234${String(nextBarcode++).padStart(9, "0")}`;
  let pendingShared: string | undefined;

  for (let n = 1; n <= count; n++) {
    const kind = pickKind(rng);
    const u = generatedUser(rng, kind, n);
    const id = u.primaryId;
    const c = pickCase(rng);
    cases.set(id, c);
    const ids = u.identifiers ?? [];
    const seg = kind === "student" ? "External" : "Internal";
    switch (c) {
      case "add":
        barcodeLines.push(`${id}|${newBarcode()}`);
        break;
      case "add-inactive": {
        const old = [newBarcode(), newBarcode()];
        for (const v of old) ids.push(barcode(v, { status: INACTIVE, segmentType: seg }));
        barcodeLines.push(`${id}|${rng() < 0.3 ? old[1]!.toLowerCase() : newBarcode()}`);
        break;
      }
      case "deactivate":
        ids.push(barcode(newBarcode(), { segmentType: seg }));
        barcodeLines.push(`${id}|${newBarcode()}`);
        break;
      case "unchanged": {
        const v = `ZB${String(nextBarcode++).padStart(10, "0")}X`;
        ids.push(barcode(v.toLowerCase(), { segmentType: seg }));
        barcodeLines.push(`${id}|${v}`);
        break;
      }
      case "no-barcode":
        break;
      case "conflict-employee":
        barcodeLines.push(`${id}|${newBarcode()}`, `${id}|${newBarcode()}`);
        break;
      case "conflict-barcode":
        if (pendingShared === undefined) {
          pendingShared = newBarcode();
          barcodeLines.push(`${id}|${pendingShared}`);
        } else {
          barcodeLines.push(`${id}|${pendingShared}`);
          pendingShared = undefined;
        }
        break;
      case "held-by-other": {
        const v = newBarcode();
        barcodeLines.push(`${id}|${v}`);
        const holder = generatedUser(rng, "public", n, "H");
        holder.identifiers = [...(holder.identifiers ?? []), barcode(v)];
        users.push(holder);
        break;
      }
    }
    u.identifiers = ids;
    users.push(u);
    patronIds.push(id);
    if (rng() < 0.002) patronIds.push(id); // exported twice
    if (rng() < 0.01) {
      const missing = `X${String(n).padStart(8, "0")}`;
      notFound.push(missing);
      patronIds.push(missing);
    }
    // A full barcode list also names employees who are not in the patron list.
    if (rng() < 0.1) barcodeLines.push(`Z${String(n).padStart(8, "0")}|${newBarcode()}`);
  }
  if (pendingShared !== undefined) {
    // The last shared barcode found no partner: give it to an unlisted employee so it still conflicts.
    barcodeLines.push(`Z99999999|${pendingShared}`);
  }
  return { users, patronIds, barcodeLines, cases, notFound };
}

function pickKind(rng: Rng): Kind {
  const r = rng();
  return r < 0.55 ? "student" : r < 0.77 ? "public" : r < 0.92 ? "staff" : "guest";
}

function pickCase(rng: Rng): GeneratedCase {
  const r = rng();
  if (r < 0.45) return "add";
  if (r < 0.55) return "add-inactive";
  if (r < 0.7) return "deactivate";
  if (r < 0.8) return "unchanged";
  if (r < 0.88) return "no-barcode";
  if (r < 0.91) return "conflict-employee";
  if (r < 0.95) return "conflict-barcode";
  if (r < 0.97) return "held-by-other";
  return "add";
}

const GROUPS: Record<Kind, string> = { student: "UG", public: "FAC", staff: "STAFF", guest: "GUEST" };
const PREFIX: Record<Kind, string> = { student: "S", public: "P", staff: "E", guest: "G" };

function generatedUser(rng: Rng, kind: Kind, n: number, prefix = PREFIX[kind]): AlmaUserInit {
  const primaryId = `${prefix}${String(n).padStart(7, "0")}`;
  const firstName = pick(rng, FIRST);
  const lastName = pick(rng, LAST);
  const external = kind === "student";
  const seg = external ? "External" : "Internal";
  const mail = `${primaryId.toLowerCase()}@example.edu`;
  // Written out (no object spread): this runs 100,000 times for the benchmark.
  const u: AlmaUserInit = {
    recordType: kind === "staff" ? "STAFF" : "PUBLIC",
    recordTypeDesc: kind === "staff" ? "Staff" : "Public",
    primaryId,
    firstName,
    lastName,
    userGroup: GROUPS[kind],
    preferredLanguage: "en",
    expiryDate: `20${intBetween(rng, 26, 31)}-06-30Z`,
    accountType: external ? "EXTERNAL" : "INTERNAL",
    accountTypeDesc: external ? "External" : "Internal",
    externalId: external ? "SIS" : "",
    status: ACTIVE,
    statusDesc: "Active",
    contactInfo: { emails: [email(mail, seg)] },
    identifiers: [],
    roles: [patron()],
  };
  if (external)
    u.identifiers!.push(identifier("NET_ID", `n${primaryId.toLowerCase()}`, { segmentType: "External" }));
  if (kind !== "guest" && rng() < 0.4) {
    // Leading zeros, as university IDs often have; holders (prefix H) get their own range.
    u.identifiers!.push(identifier("UNIV_ID", `0${prefix === "H" ? 9 : 0}${String(n).padStart(7, "0")}`));
  }
  if (kind === "staff") {
    u.roles!.push(
      role("37", "Receiving Operator", [param("ServiceUnit", "AcqDeptMAIN", "Main Acquisitions Department")]),
    );
    if (rng() < 0.6)
      u.roles!.push(
        role("221", "Circulation Desk Manager", [
          param("CirculationDesk", "DEFAULT_CIRC_DESK", "Main Circulation Desk"),
        ]),
      );
    if (rng() < 0.3)
      u.roles!.push(role("214", "Work Order Operator", [param("ServiceUnit", "BINDERY", "Bindery")]));
  }
  if (kind === "guest" || rng() < 0.2) u.pinSet = true;
  if (rng() < 0.15) {
    u.notes = [
      {
        segmentType: "Internal",
        noteType: "GENERAL",
        noteTypeDesc: "General",
        noteText: "Fines < $5 & waived",
        userViewable: false,
        popupNote: false,
      },
    ];
  }
  return u;
}
