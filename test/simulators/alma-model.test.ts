/**
 * The simulator's user model: XML and JSON round trips, parsing of Alma's shapes, swap-all merging.
 */
import { describe, expect, it } from "vitest";
import {
  BodyError,
  DEFAULT_ROLE_PARAMETER_RULES,
  normalizeUser,
  parseUserJson,
  parseUserXml,
  renderUserJson,
  renderUserXml,
  roleMissingParameter,
  swapAll,
  userFromJson,
  userFromXml,
  type AlmaUser,
  type AlmaUserInit,
} from "../../src/simulators/alma-model.ts";

/** A user with every modelled field set, including characters that need escaping. */
function kitchenSink(): AlmaUser {
  const init: AlmaUserInit = {
    recordType: "STAFF",
    recordTypeDesc: "Staff",
    primaryId: "007-K&S",
    firstName: "Zoë",
    middleName: "<M>",
    lastName: 'Ångström "Q"',
    userTitle: "DR",
    userTitleDesc: "Dr.",
    jobCategory: "ACQ",
    jobCategoryDesc: "Acquisitions & Serials",
    jobDescription: "a & b < c > d",
    gender: "FEMALE",
    genderDesc: "Female",
    userGroup: "STAFF",
    userGroupDesc: " Staff User",
    campusCode: "MAIN",
    campusCodeDesc: "Main",
    webSiteUrl: "https://example.edu/?a=1&b=2",
    catalogerLevel: "00",
    catalogerLevelDesc: "[00] Default",
    preferredLanguage: "en",
    preferredLanguageDesc: "English",
    birthDate: "1979-01-11Z",
    expiryDate: "2030-01-16Z",
    purgeDate: "2031-01-20Z",
    accountType: "EXTERNAL",
    accountTypeDesc: "External",
    externalId: "SIS",
    forcePasswordChange: "TRUE",
    status: "ACTIVE",
    statusDesc: "Active",
    statusDate: "2024-01-01Z",
    lastPatronActivityDate: "2025-03-01Z",
    contactInfo: {
      addresses: [
        {
          preferred: true,
          segmentType: "External",
          line1: "1 Main St",
          line2: "Apt 007",
          line3: "l3",
          line4: "l4",
          line5: "l5",
          city: "Zürich",
          stateProvince: "ZH",
          postalCode: "08001",
          country: "CHE",
          countryDesc: "Switzerland",
          addressNote: "n",
          startDate: "2020-01-01Z",
          endDate: "2030-01-01Z",
          addressTypes: [{ value: "home", desc: "Home" }, { value: "work" }],
        },
      ],
      emails: [
        {
          preferred: false,
          segmentType: "Internal",
          emailAddress: "z@example.edu",
          description: "d",
          emailTypes: [{ value: "work", desc: "Work" }],
        },
      ],
      phones: [
        {
          preferred: true,
          preferredSms: true,
          segmentType: "Internal",
          phoneNumber: "+41 00",
          phoneTypes: [{ value: "mobile", desc: "Mobile" }],
        },
      ],
    },
    identifiers: [
      {
        idType: "BARCODE",
        idTypeDesc: "Barcode",
        value: "0042",
        note: "n & m",
        status: "INACTIVE",
        segmentType: "Internal",
      },
      { idType: "LIBRARY_ID", value: "0099", status: "ACTIVE", segmentType: "External" }, // no code-table desc
    ],
    roles: [
      {
        status: "ACTIVE",
        statusDesc: "Active",
        scope: "A100",
        scopeDesc: "Basel",
        roleType: "37",
        roleTypeDesc: "Receiving Operator",
        expiryDate: "2029-01-26Z",
        parameters: [
          {
            type: "ServiceUnit",
            scope: "A140",
            scopeDesc: "Med",
            value: "AcqDeptA140",
            valueDesc: "A140 Acq",
          },
        ],
      },
    ],
    blocks: [
      {
        segmentType: "Internal",
        blockType: "GENERAL",
        blockTypeDesc: "General",
        blockDescription: "02-GLOBAL",
        blockDescriptionDesc: "Block",
        blockStatus: "ACTIVE",
        blockNote: "Slept & snored",
        createdBy: "me",
        createdDate: "2024-01-01T00:00:00Z",
        expiryDate: "2026-01-01T00:00:00Z",
        itemLoanId: "123",
      },
    ],
    notes: [
      {
        segmentType: "Internal",
        noteType: "CIRCULATION",
        noteTypeDesc: "Circulation",
        noteText: "<b>&amp;</b>",
        userViewable: true,
        popupNote: false,
        createdBy: "x",
        createdDate: "2022-06-16T22:33:57.540Z",
      },
    ],
    statistics: [
      {
        segmentType: "External",
        statisticCategory: "EM",
        statisticCategoryDesc: "EM",
        categoryType: "T",
        categoryTypeDesc: "Type",
        statisticNote: "n",
      },
    ],
    proxyForUsers: [{ link: "https://x/users/P1", primaryId: "P1", fullName: "Pro Xy" }],
    rsLibraries: [{ code: "1030310", codeDesc: "Realfag" }],
    libraryNotices: [{ code: "N1", codeDesc: "Notice", value: true }],
    sourceLinkId: "2541663001021",
    sourceInstitutionCode: "01INST",
    linkingId: "5131558001021",
    prefFirstName: "Z",
    prefMiddleName: "M",
    prefLastName: "A",
    prefNameSuffix: "Jr.",
    isResearcher: true,
    requests: 2,
    loans: 3,
    fees: 12.5,
  };
  return normalizeUser(init);
}

/** What parsing a rendered record can give back: a GET never carries the PIN or the password. */
const comparable = (u: AlmaUser) => ({ ...u, pinSet: false, passwordSet: false });

describe("round trips", () => {
  it("XML: rendering then parsing gives the same user", () => {
    const u = kitchenSink();
    const xml = renderUserXml(u, { baseUrl: "http://h" });
    expect(xml).toContain('<last_name>Ångström "Q"</last_name>');
    expect(xml).toContain("<note_text>&lt;b&gt;&amp;amp;&lt;/b&gt;</note_text>");
    expect(xml).toContain('<user_group desc=" Staff User">STAFF</user_group>');
    expect(xml).toContain('<fees link="http://h/almaws/v1/users/007-K%26S/fees">12.5</fees>');
    expect(userFromXml(xml)).toEqual(comparable(u));
  });

  it("JSON: rendering then parsing gives the same user", () => {
    const u = kitchenSink();
    const json = renderUserJson(u);
    expect(json.rs_library).toEqual([{ code: { value: "1030310", desc: "Realfag" } }]);
    expect(json.library_notice).toEqual([{ code: { value: "N1", desc: "Notice" }, value: true }]);
    expect(userFromJson(JSON.stringify(json))).toEqual(comparable(u));
  });

  it("pretty-printed XML parses like compact XML", () => {
    const u = kitchenSink();
    const pretty = renderUserXml(u).replace(/></g, ">\n  <");
    expect(userFromXml(pretty)).toEqual(comparable(u));
  });
});

describe("parsing", () => {
  it("reads Alma's JSON shape: arrays for lists, {value, desc} codes, nulls, attributes as keys", () => {
    const u = userFromJson({
      record_type: { value: "PUBLIC", desc: "Public" },
      primary_id: "BC123456789",
      first_name: "Amir",
      middle_name: "",
      last_name: "Abadi",
      campus_code: { value: null, desc: "" },
      account_type: { value: "INTERNAL", desc: "Internal" },
      external_id: "",
      password: "",
      contact_info: {
        address: [
          {
            line1: "ONE ROAD",
            line2: null,
            preferred: true,
            segment_type: "Internal",
            address_type: [{ value: "home", desc: "Home" }],
          },
        ],
        email: [],
        phone: [
          {
            phone_number: "(609) 555-5555",
            preferred: true,
            preferred_sms: false,
            segment_type: "Internal",
            phone_type: [],
          },
        ],
      },
      researcher: null,
      link: null,
      user_identifier: [
        {
          value: "9999999",
          id_type: { value: "BARCODE", desc: "Barcode" },
          note: "06 Jul 2012",
          status: "INACTIVE",
          segment_type: "Internal",
        },
      ],
      user_role: [
        { status: { value: "ACTIVE" }, role_type: { value: "200", desc: "Patron" }, parameter: [] },
      ],
      loans: null,
    });
    expect(u.campusCode).toBe("");
    expect(u.contactInfo.addresses[0]).toEqual({
      preferred: true,
      segmentType: "Internal",
      line1: "ONE ROAD",
      addressTypes: [{ value: "home", desc: "Home" }],
    });
    expect(u.contactInfo.phones[0]!.preferredSms).toBe(false);
    expect(u.identifiers).toEqual([
      {
        idType: "BARCODE",
        idTypeDesc: "Barcode",
        value: "9999999",
        note: "06 Jul 2012",
        status: "INACTIVE",
        segmentType: "Internal",
      },
    ]);
    expect(u.roles[0]).toMatchObject({ roleType: "200", status: "ACTIVE", parameters: [] });
  });

  it("decodes entities, keeps leading zeros and attribute spaces, and reads single items as lists", () => {
    const u = userFromXml(
      '<?xml version="1.0"?><user><primary_id>007</primary_id><first_name>Jos&#233; &amp; &lt;Co&gt;</first_name>' +
        '<user_group desc=" Staff">99</user_group><user_identifiers><user_identifier><id_type>BARCODE</id_type><value>000123</value></user_identifier></user_identifiers></user>',
    );
    expect(u.primaryId).toBe("007");
    expect(u.firstName).toBe("José & <Co>");
    expect(u.userGroupDesc).toBe(" Staff");
    expect(u.identifiers).toEqual([{ idType: "BARCODE", value: "000123" }]);
  });

  it("tells present-but-empty from absent for the PIN, the password and the lists", () => {
    const b = parseUserXml("<user><primary_id>X</primary_id><pin_number/><user_identifiers/></user>");
    expect(b.pinNumber).toBe("");
    expect(b.password).toBeUndefined();
    expect(b.fields.identifiers).toEqual([]);
    expect("roles" in b.fields).toBe(false);
    expect(parseUserJson('{"primary_id":"X","pin_number":"1234"}').pinNumber).toBe("1234");
  });

  it("throws BodyError for what is not a well-formed user", () => {
    for (const bad of ["", "plain", "<user><a></user>", "<users/>", "<?xml version='1.0'?>"]) {
      expect(() => parseUserXml(bad), bad).toThrow(BodyError);
    }
    expect(() => parseUserJson("{")).toThrow(BodyError);
    expect(() => parseUserJson("[]")).toThrow(BodyError);
    expect(() => userFromXml("<user><first_name>x</first_name></user>")).toThrow(/primary_id/);
  });
});

describe("swapAll", () => {
  const stored = () =>
    normalizeUser({
      primaryId: "S1",
      recordType: "PUBLIC",
      accountType: "EXTERNAL",
      externalId: "SIS",
      status: "ACTIVE",
      userGroup: "UG",
      jobDescription: "kept only if sent",
      pinSet: true,
      passwordSet: true,
      loans: 4,
      statusDate: "2020-01-01Z",
      identifiers: [{ idType: "BARCODE", value: "B1", status: "ACTIVE" }],
      roles: [{ roleType: "200", parameters: [] }],
      proxyForUsers: [{ primaryId: "P9" }],
    });

  it("replaces what is sent, clears what is missing, keeps roles, secrets and output-only fields", () => {
    const body = parseUserXml(
      "<user><record_type>PUBLIC</record_type><primary_id>S1</primary_id><account_type>EXTERNAL</account_type><external_id>SIS</external_id><status>INACTIVE</status><user_identifiers/><proxy_for_users/><loans>99</loans></user>",
    );
    const next = swapAll(stored(), body, { today: "2025-05-05Z" });
    expect(next.identifiers).toEqual([]);
    expect(next.jobDescription).toBe("");
    expect(next.roles).toHaveLength(1);
    expect(next.proxyForUsers).toEqual([{ primaryId: "P9" }]);
    expect(next.loans).toBe(4);
    expect(next).toMatchObject({
      pinSet: true,
      passwordSet: true,
      status: "INACTIVE",
      statusDate: "2025-05-05Z",
    });
  });

  it("keeps an EXTERNAL user's protected fields when they come empty, unless overridden", () => {
    const body = parseUserXml(
      "<user><record_type>PUBLIC</record_type><primary_id>S1</primary_id><account_type>EXTERNAL</account_type><user_group/><pin_number/></user>",
    );
    expect(swapAll(stored(), body)).toMatchObject({
      userGroup: "UG",
      pinSet: true,
      statusDate: "2020-01-01Z",
    });
    expect(swapAll(stored(), body, { override: ["user_group", "pin_number"] })).toMatchObject({
      userGroup: "",
      pinSet: false,
    });
    const internal = { ...stored(), accountType: "INTERNAL" };
    expect(swapAll(internal, body)).toMatchObject({ userGroup: "", pinSet: false });
  });
});

describe("role parameters", () => {
  it("finds the first role lacking the parameter its type requires", () => {
    const role = (roleType: string, type?: string, value = "V") => ({
      roleType,
      parameters: type ? [{ type, value }] : [],
    });
    expect(
      roleMissingParameter([role("200"), role("37", "ServiceUnit"), role("221", "CirculationDesk")]),
    ).toBeUndefined();
    expect(roleMissingParameter([role("200"), role("214")])).toMatchObject({ parameter: "ServiceUnit" });
    expect(roleMissingParameter([role("51", "ServiceUnit")])).toMatchObject({ parameter: "CirculationDesk" });
    expect(roleMissingParameter([role("37", "ServiceUnit", " ")])).toMatchObject({
      parameter: "ServiceUnit",
    });
    expect(roleMissingParameter([role("32")], { "32": "CirculationDesk" })).toMatchObject({
      parameter: "CirculationDesk",
    });
    expect(Object.keys(DEFAULT_ROLE_PARAMETER_RULES).sort()).toEqual(["214", "221", "37", "51"]);
  });
});
