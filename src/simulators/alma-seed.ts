/**
 * Seed users for the Alma simulator: `demoUsers()`, a fixed, hand-written set covering every case the
 * barcode repair meets. It matches the sample files `data/alma/patronlist_no_barcode.txt` and
 * `data/alma/library_barcode_full_list.txt` (the expected plan action of each user is in
 * DEMO_EXPECTED_ACTIONS). Seed data only: the builders are in alma-builders.ts, the benchmark's generator
 * in alma-generate.ts.
 *
 * These users are invented (no real person), shaped like the public records in shared/fixtures/alma/users
 * (EXTERNAL SIS students with External barcodes, staff with role parameters, guests with INACTIVE
 * barcodes). The mix and the values are ours: an assumption about a typical institution, not a source.
 */
import type { AlmaUserInit } from "./alma-model.ts";
import {
  ACTIVE_USER,
  address,
  barcode,
  COMMON,
  email,
  EXTERNAL,
  identifier,
  INACTIVE,
  INTERNAL,
  param,
  patron,
  PUBLIC,
  role,
  STAFF,
  type,
} from "./alma-builders.ts";

/** A seed user: an Alma XML `<user>` document, Alma's JSON shape, or a model object. */
export type SeedUser = { xml: string } | { json: string | Record<string, unknown> } | AlmaUserInit;

// ---------------------------------------------------------------------------------------------------------
// The demo set

/** The user the demo's "librarian" gives a barcode by hand between plan and apply. */
export const DEMO_EDIT_USER = "P00777";
/** The barcode the librarian types in. */
export const DEMO_EDIT_BARCODE = "21234000777000";

/**
 * What the plan should decide for each line of the sample patron list with the default config
 * (match_on primary_id, existing_barcode deactivate), and what apply then meets.
 */
export const DEMO_EXPECTED_ACTIONS: Readonly<Record<string, string>> = {
  E00417: "add", // staff with ServiceUnit/CirculationDesk roles, no barcode; listed twice
  E00512: "deactivate", // staff (role 214 + ServiceUnit) with a different ACTIVE barcode
  S0071234: "deactivate", // external SIS student with a different External ACTIVE barcode
  S0071301: "add", // external SIS student, no barcode, PIN set
  S0071302: "unchanged", // ACTIVE barcode equals the listed one but for case
  G00042: "add", // guest with INACTIVE barcodes only (one equals the listed one: reactivated)
  "0070815": "add", // leading zeros in the primary ID, the UNIV_ID and the barcode
  P00100: "no-barcode", // in the patron list, not in the barcode list
  P00200: "conflict", // listed twice in the barcode list with different barcodes
  P00301: "conflict", // shares a barcode with P00302 in the barcode list
  P00302: "conflict",
  P00400: "add", // its barcode is held by H00001 in Alma: the PUT fails with 401851
  P00777: "add", // the demo's librarian edits it between plan and apply: changed-since-plan
  N00015: "add", // an INACTIVE (expired) user
  X0000001: "not-found", // not in Alma
};

/** E00417 as an XML seed, to exercise the parser: entities, a note with `&` and `<`, parameters. */
const STAFF_XML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<user>
  <record_type desc="Staff">STAFF</record_type>
  <primary_id>E00417</primary_id>
  <first_name>Zo&#235;</first_name>
  <middle_name/>
  <last_name>Ångström</last_name>
  <pin_number/>
  <user_title desc=""/>
  <job_category desc="Acquisitions &amp; Serials">ACQ</job_category>
  <job_description>Receiving, serials &amp; circulation desk cover</job_description>
  <gender desc="Female">FEMALE</gender>
  <user_group desc="Staff &amp; Faculty">STAFF</user_group>
  <campus_code desc="Main Campus">MAIN</campus_code>
  <web_site_url/>
  <cataloger_level desc="[00] Default Level">00</cataloger_level>
  <preferred_language desc="English">en</preferred_language>
  <expiry_date>2030-06-30Z</expiry_date>
  <purge_date>2031-06-30Z</purge_date>
  <account_type desc="Internal">INTERNAL</account_type>
  <external_id/>
  <password>not-returned-by-get</password>
  <force_password_change/>
  <status desc="Active">ACTIVE</status>
  <status_date>2024-01-15Z</status_date>
  <contact_info>
    <addresses/>
    <emails>
      <email preferred="true" segment_type="Internal">
        <email_address>zoe.angstrom@example.edu</email_address>
        <email_types><email_type desc="Work">work</email_type></email_types>
      </email>
    </emails>
    <phones>
      <phone preferred="true" preferred_sms="false" segment_type="Internal">
        <phone_number>+1 555 0100 ext. 417</phone_number>
        <phone_types><phone_type desc="Office">office</phone_type></phone_types>
      </phone>
    </phones>
  </contact_info>
  <user_identifiers>
    <user_identifier segment_type="Internal">
      <id_type desc="University ID">UNIV_ID</id_type>
      <value>0099417</value>
      <status>ACTIVE</status>
    </user_identifier>
  </user_identifiers>
  <user_roles>
    <user_role>
      <status desc="Active">ACTIVE</status>
      <scope desc="Demo University">01DEMO_INST</scope>
      <role_type desc="Patron">200</role_type>
      <parameters/>
    </user_role>
    <user_role>
      <status desc="Active">ACTIVE</status>
      <scope desc="Main Library">MAIN</scope>
      <role_type desc="Receiving Operator">37</role_type>
      <parameters>
        <parameter>
          <type>ServiceUnit</type>
          <scope desc="Main Library">MAIN</scope>
          <value desc="Main Acquisitions Department">AcqDeptMAIN</value>
        </parameter>
      </parameters>
    </user_role>
    <user_role>
      <status desc="Active">ACTIVE</status>
      <scope desc="Main Library">MAIN</scope>
      <role_type desc="Requests Operator">51</role_type>
      <parameters>
        <parameter>
          <type>CirculationDesk</type>
          <scope desc="Main Library">MAIN</scope>
          <value desc="Main Circulation Desk">DEFAULT_CIRC_DESK</value>
        </parameter>
      </parameters>
    </user_role>
    <user_role>
      <status desc="Active">ACTIVE</status>
      <scope desc="Main Library">MAIN</scope>
      <role_type desc="Circulation Desk Manager">221</role_type>
      <parameters>
        <parameter>
          <type>CirculationDesk</type>
          <scope desc="Main Library">MAIN</scope>
          <value desc="Main Circulation Desk">DEFAULT_CIRC_DESK</value>
        </parameter>
      </parameters>
    </user_role>
  </user_roles>
  <user_blocks/>
  <user_notes>
    <user_note segment_type="Internal">
      <note_type desc="General">GENERAL</note_type>
      <note_text>Keys for rooms 2 &amp; 3 &lt;annex&gt;; "desk" cover on Fridays &#8211; see Zoë</note_text>
      <user_viewable>false</user_viewable>
      <popup_note>false</popup_note>
      <created_by>System</created_by>
      <created_date>2024-01-15T10:00:00.000Z</created_date>
    </user_note>
  </user_notes>
  <user_statistics/>
  <proxy_for_users/>
  <pref_first_name/>
  <pref_middle_name/>
  <pref_last_name/>
  <pref_name_suffix/>
  <is_researcher>false</is_researcher>
</user>
`;

/** About fifteen users covering every case; matches the sample files in data/alma/. */
export function demoUsers(): SeedUser[] {
  return [
    { xml: STAFF_XML },
    {
      ...STAFF,
      ...INTERNAL,
      ...ACTIVE_USER,
      ...COMMON,
      primaryId: "E00512",
      firstName: "Kwame",
      lastName: "Mensah-Bonsu",
      userGroup: "STAFF",
      userGroupDesc: "Staff & Faculty",
      jobCategory: "CIRC",
      jobCategoryDesc: "Circulation",
      pinSet: true,
      passwordSet: true,
      loans: 1,
      contactInfo: { emails: [email("k.mensah-bonsu@example.edu", "Internal", type("work", "Work"))] },
      identifiers: [barcode("21234000100512", { note: "issued 2019" })],
      roles: [
        patron(),
        role("214", "Work Order Operator", [param("ServiceUnit", "BINDERY", "Bindery")]),
        role(
          "51",
          "Requests Operator",
          [param("CirculationDesk", "LAW_DESK", "Law Circulation Desk", "LAW")],
          "LAW",
        ),
      ],
    },
    {
      ...PUBLIC,
      ...EXTERNAL,
      ...ACTIVE_USER,
      ...COMMON,
      primaryId: "S0071234",
      firstName: "José",
      lastName: "Núñez",
      userGroup: "UG",
      userGroupDesc: "Undergraduate",
      expiryDate: "2027-10-31Z",
      purgeDate: "2028-10-31Z",
      statusDate: "2025-08-20Z",
      contactInfo: {
        addresses: [address("1 Quad Road", "Springfield", "01101", "External")],
        emails: [email("jnunez@example.edu", "External", type("school", "School"))],
      },
      identifiers: [
        identifier("NET_ID", "jnunez", { segmentType: "External" }),
        barcode("20000111", { segmentType: "External" }),
      ],
      roles: [patron()],
      statistics: [
        {
          segmentType: "External",
          statisticCategory: "ARTS",
          statisticCategoryDesc: "Arts",
          categoryType: "SCHOOL",
          categoryTypeDesc: "School",
        },
      ],
    },
    {
      ...PUBLIC,
      ...EXTERNAL,
      ...ACTIVE_USER,
      ...COMMON,
      primaryId: "S0071301",
      firstName: "Aoife",
      lastName: "Ní Bhriain",
      userGroup: "GRAD",
      userGroupDesc: "Graduate",
      pinSet: true, // EXTERNAL: an empty <pin_number/> in a PUT keeps it (unless override=pin_number)
      expiryDate: "2026-09-30Z",
      contactInfo: { emails: [email("aoife.nibhriain@example.edu", "External")] },
      identifiers: [identifier("NET_ID", "anibhriain", { segmentType: "External" })],
      roles: [patron()],
    },
    {
      ...PUBLIC,
      ...EXTERNAL,
      ...ACTIVE_USER,
      ...COMMON,
      primaryId: "S0071302",
      firstName: "Søren",
      lastName: "Østergaard",
      userGroup: "UG",
      userGroupDesc: "Undergraduate",
      contactInfo: { emails: [email("soren.ostergaard@example.edu", "External")] },
      identifiers: [
        identifier("NET_ID", "sostergaard", { segmentType: "External" }),
        barcode("b21234000555x", { segmentType: "External" }),
      ],
      roles: [patron()],
    },
    {
      ...PUBLIC,
      ...INTERNAL,
      ...ACTIVE_USER,
      ...COMMON,
      primaryId: "G00042",
      firstName: "李",
      lastName: "小龙",
      userGroup: "GUEST",
      userGroupDesc: "Guest Patron",
      pinSet: true,
      lastPatronActivityDate: "2025-03-01Z",
      contactInfo: {
        phones: [
          {
            phoneNumber: "(609) 555-0142",
            preferred: true,
            preferredSms: false,
            segmentType: "Internal",
            phoneTypes: [type("home", "Home")],
          },
        ],
      },
      identifiers: [
        barcode("GST0001", { status: INACTIVE, note: "06 Jul 2012" }),
        barcode("GST0002", { status: INACTIVE, note: "lost card" }),
        barcode("gst0003x", { status: INACTIVE }),
        barcode("0000424242", { status: INACTIVE, note: "01 Apr 2013" }),
      ],
      roles: [patron()],
      notes: [
        {
          segmentType: "Internal",
          noteType: "CIRCULATION",
          noteTypeDesc: "Circulation",
          noteText: "Visiting scholar < 1 year & no ILL",
          userViewable: false,
          popupNote: true,
          createdBy: "010003330",
          createdDate: "2025-02-10T09:30:00.000Z",
        },
      ],
    },
    {
      ...PUBLIC,
      ...INTERNAL,
      ...ACTIVE_USER,
      ...COMMON,
      primaryId: "0070815",
      firstName: "Mary-Jane",
      lastName: "O'Brien",
      userGroup: "07",
      userGroupDesc: "Alumni",
      birthDate: "1990-03-01Z",
      contactInfo: { emails: [email("mj.obrien@example.org")] },
      identifiers: [identifier("UNIV_ID", "0070815001")],
      roles: [patron()],
    },
    {
      ...PUBLIC,
      ...INTERNAL,
      ...ACTIVE_USER,
      ...COMMON,
      primaryId: "P00100",
      firstName: "Priya",
      lastName: "Raghunathan",
      userGroup: "FAC",
      userGroupDesc: "Faculty",
      identifiers: [identifier("UNIV_ID", "U00100")],
      roles: [patron()],
    },
    {
      ...PUBLIC,
      ...INTERNAL,
      ...ACTIVE_USER,
      ...COMMON,
      primaryId: "P00200",
      firstName: "Tomasz",
      lastName: "Wiśniewski",
      userGroup: "FAC",
      userGroupDesc: "Faculty",
      roles: [patron()],
    },
    {
      ...PUBLIC,
      ...INTERNAL,
      ...ACTIVE_USER,
      ...COMMON,
      primaryId: "P00301",
      firstName: "Fatima",
      lastName: "Al-Fihri",
      userGroup: "FAC",
      userGroupDesc: "Faculty",
      roles: [patron()],
    },
    {
      ...PUBLIC,
      ...INTERNAL,
      ...ACTIVE_USER,
      ...COMMON,
      primaryId: "P00302",
      firstName: "Ngozi",
      lastName: "Okonkwo",
      userGroup: "FAC",
      userGroupDesc: "Faculty",
      roles: [patron()],
    },
    {
      ...PUBLIC,
      ...INTERNAL,
      ...ACTIVE_USER,
      ...COMMON,
      primaryId: "P00400",
      firstName: "Hana",
      lastName: "Kovářová",
      userGroup: "FAC",
      userGroupDesc: "Faculty",
      roles: [patron()],
    },
    {
      ...PUBLIC,
      ...INTERNAL,
      ...ACTIVE_USER,
      ...COMMON,
      primaryId: "H00001",
      firstName: "Björn",
      lastName: "Þórsson",
      userGroup: "COMM",
      userGroupDesc: "Community Borrower",
      // Already holds the barcode that the list gives P00400.
      identifiers: [barcode("21234000400000")],
      roles: [patron()],
    },
    {
      ...PUBLIC,
      ...INTERNAL,
      ...ACTIVE_USER,
      ...COMMON,
      primaryId: DEMO_EDIT_USER,
      firstName: "Émile",
      lastName: "Durand",
      userGroup: "UG",
      userGroupDesc: "Undergraduate",
      contactInfo: { emails: [email("emile.durand@example.edu")] },
      roles: [patron()],
    },
    {
      ...PUBLIC,
      ...INTERNAL,
      ...COMMON,
      status: "INACTIVE",
      statusDesc: "Inactive",
      statusDate: "2024-12-31Z",
      primaryId: "N00015",
      firstName: "Grace",
      middleName: "Brewster",
      lastName: "Hopper",
      userGroup: "EMER",
      userGroupDesc: "Emeritus",
      expiryDate: "2024-12-31Z",
      roles: [patron()],
    },
  ];
}

/** The sample patron list and barcode list for the demo users (the content of the files in data/alma/). */
export const DEMO_PATRON_LIST =
  [
    "Primary Identifier",
    "E00417",
    "E00512",
    "S0071234",
    "S0071301",
    "S0071302",
    "G00042",
    "0070815",
    "P00100",
    "",
    "P00200",
    "P00301",
    "P00302",
    "P00400",
    "P00777",
    "N00015",
    "E00417",
    "X0000001",
  ].join("\n") + "\n";

export const DEMO_BARCODE_LIST =
  [
    "E00417|21234000123456",
    "E00512|21234000200512",
    "S0071234|21234000999999",
    "S0071301|21234000371301",
    "S0071302|B21234000555X",
    "G00042|GST0003X",
    "0070815|0070000000815",
    "P00200|21234000200001",
    "P00200|21234000200002",
    "P00301|21234000300000",
    "P00302|21234000300000",
    "P00400|21234000400000",
    "P00777|21234000777777",
    "N00015|21234000150015",
    "E00999|21234000000999",
  ].join("\n") + "\n";
