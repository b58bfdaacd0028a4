/**
 * The Alma simulator over HTTP, on an ephemeral loopback port: auth, GET/PUT semantics, Alma's error
 * codes, the per-second and daily thresholds, and injected faults.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  startAlmaSimulator,
  type AlmaSimulator,
  type AlmaSimulatorOptions,
} from "../../src/simulators/alma.ts";
import { USER_ELEMENTS } from "../../src/simulators/alma-model.ts";

const KEY = "test-key";
const AUTH = { Authorization: `apikey ${KEY}` };
const XML = { ...AUTH, "Content-Type": "application/xml; charset=utf-8" };

let sim: AlmaSimulator;
const started: AlmaSimulator[] = [];

async function start(opts: AlmaSimulatorOptions = {}): Promise<AlmaSimulator> {
  const s = await startAlmaSimulator({ apiKey: KEY, ...opts });
  started.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

const userUrl = (s: AlmaSimulator, id: string, query = "") =>
  `${s.url}/almaws/v1/users/${encodeURIComponent(id)}${query ? `?${query}` : ""}`;

async function get(s: AlmaSimulator, id: string, query = "", headers: Record<string, string> = AUTH) {
  const res = await fetch(userUrl(s, id, query), { headers });
  return { res, text: await res.text() };
}

async function put(
  s: AlmaSimulator,
  id: string,
  body: string,
  query = "",
  headers: Record<string, string> = XML,
) {
  const res = await fetch(userUrl(s, id, query), { method: "PUT", headers, body });
  return { res, text: await res.text() };
}

/** Error code, message and tracking id of an XML web_service_result. */
function xmlError(text: string) {
  return {
    code: /<errorCode>([^<]*)<\/errorCode>/.exec(text)?.[1],
    message: /<errorMessage>([^<]*)<\/errorMessage>/.exec(text)?.[1],
    trackingId: /<trackingId>([^<]*)<\/trackingId>/.exec(text)?.[1],
  };
}

const withoutRoles = (xml: string) => xml.replace(/<user_roles>.*<\/user_roles>/s, "");
const replaceIdentifiers = (xml: string, inner: string) =>
  xml.replace(/<user_identifiers>.*<\/user_identifiers>|<user_identifiers\/>/s, inner);

describe("auth", () => {
  beforeEach(async () => {
    sim = await start();
  });

  it("accepts the key in the Authorization header or the apikey query parameter", async () => {
    expect((await get(sim, "E00417")).res.status).toBe(200);
    expect((await get(sim, "E00417", `apikey=${KEY}`, {})).res.status).toBe(200);
  });

  it("answers 401 UNAUTHORIZED, namespaced, for a missing or wrong key; JSON when asked", async () => {
    const missing = await get(sim, "E00417", "", {});
    expect(missing.res.status).toBe(401);
    expect(missing.text).toContain('<web_service_result xmlns="http://com/exlibris/urm/general/xmlbeans">');
    expect(xmlError(missing.text).code).toBe("UNAUTHORIZED");
    expect(missing.res.headers.get("x-exl-api-remaining")).not.toBeNull();

    const wrong = await get(sim, "E00417", "", { Authorization: "apikey nope" });
    expect(wrong.res.status).toBe(401);
    const wrongQuery = await get(sim, "E00417", "apikey=nope", {});
    expect(wrongQuery.res.status).toBe(401);

    const json = await get(sim, "E00417", "", { Accept: "application/json" });
    expect(json.res.headers.get("content-type")).toContain("application/json");
    const body = JSON.parse(json.text);
    expect(body).toMatchObject({ errorsExist: true, result: null });
    expect(body.errorList.error[0].errorCode).toBe("UNAUTHORIZED");
    expect(sim.stats().status401).toBe(4);
    expect(sim.stats().accepted).toBe(0);
  });

  it("refuses a request with no key even when any key is accepted", async () => {
    const open = await start({ apiKey: undefined });
    expect((await get(open, "E00417", "", { Authorization: "apikey anything" })).res.status).toBe(200);
    expect((await get(open, "E00417", "", {})).res.status).toBe(401);
  });
});

describe("GET /almaws/v1/users/{id}", () => {
  beforeEach(async () => {
    sim = await start();
  });

  it("returns the user as XML in the XSD's element order, with output-only counts and no secrets", async () => {
    const { res, text } = await get(sim, "E00512", "view=full");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/xml");
    expect(text).toMatch(/^<\?xml version="1.0" encoding="UTF-8" standalone="yes"\?><user>/);
    const order = [...text.matchAll(/<([a-z_]+)[ />]/g)]
      .map((m) => m[1]!)
      .filter((t, i, all) => USER_ELEMENTS.includes(t) && all.indexOf(t) === i);
    expect(order.length).toBeGreaterThan(30);
    expect(order).toEqual([...order].sort((a, b) => USER_ELEMENTS.indexOf(a) - USER_ELEMENTS.indexOf(b)));
    expect(text).toContain("<full_name>Kwame Mensah-Bonsu</full_name>");
    expect(text).toContain("<pin_number/>"); // the user has a PIN, but Alma never returns it
    expect(text).toContain("<password/>");
    expect(text).toContain(`<loans link="${sim.url}/almaws/v1/users/E00512/loans">1</loans>`);
    expect(text).toMatch(/<requests link="[^"]+\/requests">0<\/requests>/);
    expect(text).toMatch(/<fees link="[^"]+\/fees">0\.0<\/fees>/);
    expect(text).toContain(
      '<parameters><parameter><type>ServiceUnit</type><scope desc="Main Library">MAIN</scope><value desc="Bindery">BINDERY</value></parameter></parameters>',
    );
    expect(text).toContain('<user_group desc="Staff &amp; Faculty">STAFF</user_group>');
  });

  it("keeps unicode, escapes & and <, and keeps leading zeros", async () => {
    const staff = (await get(sim, "E00417")).text;
    expect(staff).toContain("<first_name>Zoë</first_name><middle_name/><last_name>Ångström</last_name>");
    expect(staff).toContain("<note_text>Keys for rooms 2 &amp; 3 &lt;annex&gt;;");
    expect(staff).toContain("<value>0099417</value>");
    const guest = (await get(sim, "G00042")).text;
    expect(guest).toContain("<first_name>李</first_name>");
    expect(guest).toContain("<note_text>Visiting scholar &lt; 1 year &amp; no ILL</note_text>");
    const zeros = (await get(sim, "0070815")).text;
    expect(zeros).toContain("<primary_id>0070815</primary_id>");
  });

  it("returns Alma's JSON shape with Accept: application/json or format=json", async () => {
    for (const [query, headers] of [
      ["", { ...AUTH, Accept: "application/json" }],
      ["format=json", AUTH],
    ] as const) {
      const { res, text } = await get(sim, "S0071234", query, headers);
      expect(res.headers.get("content-type")).toContain("application/json");
      const u = JSON.parse(text);
      expect(u.primary_id).toBe("S0071234");
      expect(u.account_type).toEqual({ value: "EXTERNAL", desc: "External" });
      expect(u.external_id).toBe("SIS");
      expect(u.user_identifier).toEqual([
        {
          segment_type: "External",
          id_type: { value: "NET_ID", desc: "Network ID" },
          value: "jnunez",
          status: "ACTIVE",
        },
        {
          segment_type: "External",
          id_type: { value: "BARCODE", desc: "Barcode" },
          value: "20000111",
          status: "ACTIVE",
        },
      ]);
      expect(u.user_role[0].role_type).toEqual({ value: "200", desc: "Patron" });
      expect(u.user_role[0].parameter).toEqual([]);
      expect(u.contact_info.address[0]).toMatchObject({
        preferred: true,
        segment_type: "External",
        city: "Springfield",
      });
      expect(u.contact_info.phone).toEqual([]);
      expect(u.loans).toEqual({ value: 0, link: `${sim.url}/almaws/v1/users/S0071234/loans` });
      expect(u.is_researcher).toBe(false);
      expect("pin_number" in u).toBe(false);
      expect("user_identifiers" in u).toBe(false);
    }
  });

  it("looks users up by primary ID or any identifier (all_unique), case-insensitively, or by one id_type", async () => {
    const byPrimary = await get(sim, "e00417");
    expect(byPrimary.text).toContain("<primary_id>E00417</primary_id>");
    const byUnivId = await get(sim, "0099417", "user_id_type=UNIV_ID");
    expect(byUnivId.text).toContain("<primary_id>E00417</primary_id>");
    const byBarcode = await get(sim, "B21234000555X"); // stored as b21234000555x
    expect(byBarcode.text).toContain("<primary_id>S0071302</primary_id>");
    const inactive = await get(sim, "gst0002", "user_id_type=BARCODE");
    expect(inactive.text).toContain("<primary_id>G00042</primary_id>");
    // A value of another type does not match a specific user_id_type.
    const wrongType = await get(sim, "0099417", "user_id_type=BARCODE");
    expect(wrongType.res.status).toBe(400);
    expect(xmlError(wrongType.text).code).toBe("401890");
  });

  it("answers 400 with 401861 for an unknown user, with a tracking id", async () => {
    const { res, text } = await get(sim, "NO SUCH/USER");
    expect(res.status).toBe(400);
    const e = xmlError(text);
    expect(e.code).toBe("401861");
    expect(e.message).toBe("User with identifier NO SUCH/USER was not found.");
    expect(e.trackingId).toMatch(/^E01-\d{10}-[A-Z0-9]{5}-AWAE\d{10}$/);
    const json = JSON.parse((await get(sim, "nobody", "format=json")).text);
    expect(json.errorList.error[0]).toMatchObject({ errorCode: "401861" });
  });

  it("returns the brief view without roles and counts", async () => {
    const { text } = await get(sim, "E00417", "view=brief");
    expect(text).toContain("<user_identifiers>");
    expect(text).toContain("<emails>");
    expect(text).not.toContain("<user_roles>");
    expect(text).not.toContain("<loans");
    expect(text).not.toContain("<phones>");
  });
});

describe("GET /almaws/v1/users/{id} that finds no one", () => {
  beforeEach(async () => {
    sim = await start();
  });

  it("answers 401861 untyped and 401890 'of type Y was not found' to a lookup by user_id_type", async () => {
    const untyped = await get(sim, "NOBODY-1");
    expect(untyped.res.status).toBe(400);
    expect(xmlError(untyped.text)).toMatchObject({ code: "401861" });
    const typed = await get(sim, "NOBODY-1", "user_id_type=BARCODE");
    expect(typed.res.status).toBe(400);
    expect(xmlError(typed.text)).toMatchObject({
      code: "401890",
      message: "User with identifier NOBODY-1 of type BARCODE was not found.",
    });
  });
});

describe("PUT /almaws/v1/users/{id}: swap all", () => {
  beforeEach(async () => {
    sim = await start();
  });

  it("replaces the identifiers and keeps the roles when <user_roles> is absent", async () => {
    const fetched = (await get(sim, "E00417")).text;
    const body = replaceIdentifiers(
      withoutRoles(fetched),
      '<user_identifiers><user_identifier segment_type="Internal"><id_type>UNIV_ID</id_type><value>0099417</value><status>ACTIVE</status></user_identifier><user_identifier segment_type="Internal"><id_type>BARCODE</id_type><value>21234000123456</value><status>ACTIVE</status></user_identifier></user_identifiers>',
    );
    const { res, text } = await put(
      sim,
      "E00417",
      body,
      "send_pin_number_letter=false&recalculate_roles=false&registration_rules=false",
    );
    expect(res.status).toBe(200);
    expect(text).toContain("<value>21234000123456</value>");
    expect(text).toContain('<id_type desc="Barcode">BARCODE</id_type>'); // Alma fills in the description
    const u = sim.getUser("E00417")!;
    expect(u.identifiers.map((i) => `${i.idType}:${i.value}:${i.status}:${i.segmentType}`)).toEqual([
      "UNIV_ID:0099417:ACTIVE:Internal",
      "BARCODE:21234000123456:ACTIVE:Internal",
    ]);
    expect(u.roles.map((r) => r.roleType)).toEqual(["200", "37", "51", "221"]);
    expect(u.roles[1]!.parameters[0]).toMatchObject({ type: "ServiceUnit", value: "AcqDeptMAIN" });
    expect(u.notes[0]!.noteText).toBe('Keys for rooms 2 & 3 <annex>; "desk" cover on Fridays – see Zoë');
    expect(sim.getUser("21234000123456")?.primaryId).toBe("E00417"); // the index follows
    expect(sim.stats().updates).toBe(1);
  });

  it("deletes every identifier for an empty <user_identifiers/> and clears fields missing from the body", async () => {
    const fetched = (await get(sim, "S0071234")).text;
    const body = replaceIdentifiers(withoutRoles(fetched), "<user_identifiers/>")
      .replace(/<user_statistics>.*<\/user_statistics>/s, "")
      .replace(/<expiry_date>[^<]*<\/expiry_date>/, "");
    expect((await put(sim, "S0071234", body)).res.status).toBe(200);
    const u = sim.getUser("S0071234")!;
    expect(u.identifiers).toEqual([]);
    expect(u.statistics).toEqual([]);
    expect(u.expiryDate).toBeUndefined();
    expect(u.contactInfo.addresses).toHaveLength(1); // sent back unchanged
    expect(u.roles).toHaveLength(1);
    expect(sim.getUser("20000111")).toBeUndefined(); // the old barcode is free again
  });

  it("keeps the roles for an empty <user_roles/> (rest_user.xsd: 'Only roles are kept in such case')", async () => {
    const fetched = (await get(sim, "E00417")).text;
    const body = fetched.replace(/<user_roles>.*<\/user_roles>/s, "<user_roles/>");
    expect(body).toContain("<user_roles/>");
    expect((await put(sim, "E00417", body)).res.status).toBe(200);
    expect(sim.getUser("E00417")!.roles.map((r) => r.roleType)).toEqual(["200", "37", "51", "221"]);
  });

  it("replaces the roles when <user_roles> is present, and refuses a role lacking its parameter", async () => {
    const fetched = (await get(sim, "E00512")).text;
    const onlyPatron = fetched.replace(
      /<user_roles>.*<\/user_roles>/s,
      "<user_roles><user_role><status>ACTIVE</status><scope>01DEMO_INST</scope><role_type>200</role_type></user_role></user_roles>",
    );
    const lacking = fetched.replace(
      /<parameters><parameter><type>ServiceUnit<\/type>.*?<\/parameters>/s,
      "<parameters/>",
    );
    expect(lacking).not.toBe(fetched);

    const refused = await put(sim, "E00512", lacking);
    expect(refused.res.status).toBe(400);
    const e = xmlError(refused.text);
    expect(e.code).toBe("401652");
    expect(e.message).toContain("role with code 214");
    expect(e.message).toContain("requires parameter ServiceUnit");
    expect(sim.getUser("E00512")!.roles).toHaveLength(3);

    const noDesk = fetched.replace(
      /<parameters><parameter><type>CirculationDesk<\/type>.*?<\/parameters>/s,
      "<parameters/>",
    );
    expect(xmlError((await put(sim, "E00512", noDesk)).text).message).toContain(
      "requires parameter CirculationDesk",
    );

    expect((await put(sim, "E00512", onlyPatron)).res.status).toBe(200);
    expect(sim.getUser("E00512")!.roles.map((r) => r.roleType)).toEqual(["200"]);
  });

  it("keeps the password when it is empty or absent", async () => {
    const fetched = withoutRoles((await get(sim, "E00512")).text);
    expect(fetched).toContain("<password/>");
    await put(sim, "E00512", fetched);
    expect(sim.getUser("E00512")!.passwordSet).toBe(true);
    await put(sim, "E00512", fetched.replace("<password/>", ""));
    expect(sim.getUser("E00512")!.passwordSet).toBe(true);
    const noPassword = withoutRoles((await get(sim, "P00100")).text);
    await put(sim, "P00100", noPassword.replace("<password/>", "<password>s3cret-Passw0rd</password>"));
    expect(sim.getUser("P00100")!.passwordSet).toBe(true);
  });

  it("wipes an internal user's PIN for an empty <pin_number/>, keeps it when absent or external", async () => {
    const guest = withoutRoles((await get(sim, "G00042")).text);
    expect(guest).toContain("<pin_number/>");
    await put(sim, "G00042", guest.replace("<pin_number/>", ""));
    expect(sim.getUser("G00042")!.pinSet).toBe(true);
    await put(sim, "G00042", guest);
    expect(sim.getUser("G00042")!.pinSet).toBe(false);
    await put(
      sim,
      "G00042",
      guest.replace("<pin_number/>", "<pin_number>4554</pin_number>"),
      "send_pin_number_letter=true",
    );
    expect(sim.getUser("G00042")!.pinSet).toBe(true);
    expect(sim.stats().pinLettersSent).toBe(1);

    // External users keep the PIN when the incoming one is empty, unless override names it.
    const student = withoutRoles((await get(sim, "S0071301")).text);
    await put(sim, "S0071301", student);
    expect(sim.getUser("S0071301")!.pinSet).toBe(true);
    await put(sim, "S0071301", student, "override=pin_number");
    expect(sim.getUser("S0071301")!.pinSet).toBe(false);
  });

  it("ignores the output-only loans, requests and fees, and returns the updated user as JSON when asked", async () => {
    const fetched = withoutRoles((await get(sim, "E00512")).text).replace(/(<loans[^>]*>)1</, "$199<");
    const { res, text } = await put(
      sim,
      "E00512",
      fetched.replace("<first_name>Kwame<", "<first_name>Kwamé<"),
      "",
      {
        ...XML,
        Accept: "application/json",
      },
    );
    expect(res.status).toBe(200);
    const u = JSON.parse(text);
    expect(u.first_name).toBe("Kwamé");
    expect(u.loans.value).toBe(1);
    expect(sim.getUser("E00512")!.loans).toBe(1);
  });

  it("accepts a JSON body in Alma's JSON shape", async () => {
    const json = JSON.parse((await get(sim, "P00777", "format=json")).text);
    delete json.user_role;
    json.user_identifier = [
      { id_type: { value: "BARCODE" }, value: "J-0001", status: "ACTIVE", segment_type: "Internal" },
    ];
    const res = await fetch(userUrl(sim, "P00777"), {
      method: "PUT",
      headers: { ...AUTH, "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(json),
    });
    expect(res.status).toBe(200);
    const answered = JSON.parse(await res.text());
    expect(answered.user_identifier[0].value).toBe("J-0001");
    const u = sim.getUser("P00777")!;
    expect(u.identifiers).toEqual([
      { idType: "BARCODE", value: "J-0001", status: "ACTIVE", segmentType: "Internal" },
    ]);
    expect(u.roles).toHaveLength(1);
    expect(u.contactInfo.emails[0]!.emailAddress).toBe("emile.durand@example.edu");
  });

  it("refuses with 401851 an identifier held by another user, compared case-insensitively", async () => {
    const fetched = withoutRoles((await get(sim, "P00400")).text);
    const taken = replaceIdentifiers(
      fetched,
      '<user_identifiers><user_identifier segment_type="Internal"><id_type>BARCODE</id_type><value>gst0001</value><status>ACTIVE</status></user_identifier></user_identifiers>',
    );
    const { res, text } = await put(sim, "P00400", taken);
    expect(res.status).toBe(400);
    expect(xmlError(text)).toMatchObject({
      code: "401851",
      message: "User with identifier gst0001 of type BARCODE already exists.",
    });
    expect(sim.getUser("P00400")!.identifiers).toEqual([]);
    expect(sim.getUser("GST0001")!.primaryId).toBe("G00042");

    const renamed = fetched.replace("<primary_id>P00400</primary_id>", "<primary_id>h00001</primary_id>");
    expect(xmlError((await put(sim, "P00400", renamed)).text).code).toBe("401851");

    // The user's own identifiers are not a conflict.
    const own = withoutRoles((await get(sim, "G00042")).text);
    expect(
      (await put(sim, "G00042", own.replace("<value>GST0001</value>", "<value>gst0001</value>"))).res.status,
    ).toBe(200);
  });

  it("refuses with 401858 a different or missing external id", async () => {
    const fetched = withoutRoles((await get(sim, "S0071234")).text);
    for (const body of [
      fetched.replace("<external_id>SIS</external_id>", "<external_id>SIS2</external_id>"),
      fetched.replace("<external_id>SIS</external_id>", ""),
    ]) {
      const { res, text } = await put(sim, "S0071234", body);
      expect(res.status).toBe(400);
      expect(xmlError(text)).toMatchObject({
        code: "401858",
        message: "The external id in DB does not fit the given value in xml - external id cannot be updated.",
      });
    }
    expect(sim.getUser("S0071234")!.externalId).toBe("SIS");
  });

  it("refuses with 401676 a body that is not well-formed XML or not a user", async () => {
    for (const body of ["<user><primary_id>P00100</user>", "not xml at all", "", "<users><user/></users>"]) {
      const { res, text } = await put(sim, "P00100", body);
      expect(res.status).toBe(400);
      expect(xmlError(text)).toMatchObject({ code: "401676", message: "No valid XML was given." });
    }
    const json = await put(sim, "P00100", "{ nope", "", {
      ...AUTH,
      "Content-Type": "application/json",
      Accept: "application/json",
    });
    expect(JSON.parse(json.text).errorList.error[0].errorCode).toBe("401676");
  });

  it("refuses with 401890 a PUT for an unknown user, naming the id type", async () => {
    const body = withoutRoles((await get(sim, "P00100")).text);
    const { res, text } = await put(sim, "NOBODY", body);
    expect(res.status).toBe(400);
    expect(xmlError(text)).toMatchObject({
      code: "401890",
      message: "User with identifier NOBODY of type all_unique was not found.",
    });
    const typed = await put(sim, "U00100", body, "user_id_type=BARCODE");
    expect(xmlError(typed.text).message).toBe("User with identifier U00100 of type BARCODE was not found.");
  });

  it("refuses with 401664 a body without a mandatory field", async () => {
    const body = withoutRoles((await get(sim, "P00100")).text).replace(
      /<account_type[^>]*>[^<]*<\/account_type>/,
      "",
    );
    expect(xmlError((await put(sim, "P00100", body)).text)).toMatchObject({
      code: "401664",
      message: "Mandatory field is missing: account_type",
    });
  });
});

describe("limits", () => {
  it("answers 429 PER_SECOND_THRESHOLD beyond the limit in a rolling second, and counts it", async () => {
    let now = 1_700_000_000_000;
    const s = await start({ perSecondLimit: 4, clock: () => now });
    const burst = await Promise.all(Array.from({ length: 10 }, () => get(s, "P00100")));
    const statuses = burst.map((r) => r.res.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429, 429, 429, 429, 429]);
    const rejected = burst.find((r) => r.res.status === 429)!;
    expect(xmlError(rejected.text)).toMatchObject({ code: "PER_SECOND_THRESHOLD", trackingId: undefined });
    const json = JSON.parse((await get(s, "P00100", "format=json")).text);
    expect(json).toEqual({
      errorsExist: true,
      errorList: {
        error: [
          {
            errorCode: "PER_SECOND_THRESHOLD",
            errorMessage: "HTTP requests are more than allowed per second. See https://goo.gl/2x1c1M ",
          },
        ],
      },
      result: null,
    });
    expect(s.stats()).toMatchObject({ calls: 11, accepted: 4, status429: 7, perSecondRejected: 7 });

    now += 999;
    expect((await get(s, "P00100")).res.status).toBe(429);
    now += 1; // a full second after the first accepted call
    expect((await get(s, "P00100")).res.status).toBe(200);
  });

  it("sends X-Exl-Api-Remaining on every response and answers DAILY_THRESHOLD at zero, until the next day", async () => {
    let now = Date.UTC(2025, 0, 31, 23, 59, 0);
    const s = await start({ dailyLimit: 3, clock: () => now });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++)
      remaining.push((await get(s, "P00100")).res.headers.get("x-exl-api-remaining"));
    expect(remaining).toEqual(["2", "1", "0"]);
    const over = await get(s, "P00100");
    expect(over.res.status).toBe(429);
    expect(over.res.headers.get("x-exl-api-remaining")).toBe("0");
    expect(xmlError(over.text).code).toBe("DAILY_THRESHOLD");
    expect(s.stats()).toMatchObject({ status429: 1, dailyRejected: 1, remaining: 0 });
    now += 60_000; // midnight UTC
    const next = await get(s, "P00100");
    expect(next.res.status).toBe(200);
    expect(next.res.headers.get("x-exl-api-remaining")).toBe("2");
  });

  it("changes the limits at runtime", async () => {
    const now = 1_700_000_000_000;
    const s = await start({ clock: () => now });
    s.setLimits({ perSecondLimit: 1, remaining: 10 });
    expect((await get(s, "P00100")).res.headers.get("x-exl-api-remaining")).toBe("9");
    expect((await get(s, "P00100")).res.status).toBe(429);
  });
});

describe("faults", () => {
  it("answers every call with a 5xx at errorRate 1, before any change", async () => {
    const s = await start({ errorRate: 1, seed: 3 });
    const fetched = (await get(s, "P00100")).res;
    expect([500, 503]).toContain(fetched.status);
    const bodies = [];
    for (let i = 0; i < 12; i++) {
      const r = await put(s, "P00100", "<user><primary_id>P00100</primary_id></user>");
      expect([500, 503]).toContain(r.res.status);
      bodies.push(r.text);
    }
    expect(bodies.some((b) => b.startsWith("<!DOCTYPE html>"))).toBe(true);
    expect(bodies.some((b) => b.startsWith("<?xml") && !b.includes("</web_service_result>"))).toBe(true);
    expect(s.stats()).toMatchObject({ faultsInjected: 13, errors5xx: 13, updates: 0 });
    expect(s.getUser("P00100")!.firstName).toBe("Priya");
  });

  it("resets the connection at resetRate 1 without storing a PUT", async () => {
    const s = await start({ resetRate: 1 });
    const body = withoutRoles(s.getUserXml("P00100")!).replace("<first_name>Priya<", "<first_name>Changed<");
    await expect(fetch(userUrl(s, "P00100"), { headers: AUTH })).rejects.toThrow();
    await expect(fetch(userUrl(s, "P00100"), { method: "PUT", headers: XML, body })).rejects.toThrow();
    expect(s.getUser("P00100")!.firstName).toBe("Priya");
    expect(s.stats()).toMatchObject({ resets: 2, faultsInjected: 2, updates: 0, accepted: 2 });
  });

  it("can reset a PUT after storing it (applied but unacknowledged)", async () => {
    const s = await start({ resetAfterWriteRate: 1 });
    expect((await get(s, "P00100")).res.status).toBe(200); // GETs are never reset after the fact
    const body = withoutRoles(s.getUserXml("P00100")!).replace("<first_name>Priya<", "<first_name>Stored<");
    await expect(fetch(userUrl(s, "P00100"), { method: "PUT", headers: XML, body })).rejects.toThrow();
    expect(s.getUser("P00100")!.firstName).toBe("Stored");
    expect(s.stats()).toMatchObject({ resetsAfterWrite: 1, updates: 1 });
    s.setFaults({ resetAfterWriteRate: 0 });
    expect((await put(s, "P00100", body)).res.status).toBe(200); // the retry finds it already done
  });

  it("injects queued faults in order, on the method asked", async () => {
    const s = await start();
    s.queueFaults({ kind: "reset-after-write", method: "PUT" }, "error-503");
    expect((await get(s, "P00100")).res.status).toBe(503);
    expect((await get(s, "P00100")).res.status).toBe(200);
    const body = withoutRoles(s.getUserXml("P00100")!).replace("<first_name>Priya<", "<first_name>Queued<");
    await expect(fetch(userUrl(s, "P00100"), { method: "PUT", headers: XML, body })).rejects.toThrow();
    expect(s.getUser("P00100")!.firstName).toBe("Queued");
    expect(s.requests().map((r) => r.fault ?? r.status)).toEqual(["error-503", 200, "reset-after-write"]);
  });

  it("is reproducible for a seed", async () => {
    const run = async (seed: number) => {
      const s = await start({ errorRate: 0.3, resetRate: 0.2, seed });
      const out: (number | string)[] = [];
      for (let i = 0; i < 30; i++) {
        out.push(
          await fetch(userUrl(s, "P00100"), { headers: AUTH }).then(
            (r) => r.status,
            () => "reset",
          ),
        );
      }
      return out;
    };
    const a = await run(5);
    expect(await run(5)).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(2);
    expect(await run(6)).not.toEqual(a);
  });
});

describe("direct access", () => {
  beforeEach(async () => {
    sim = await start();
  });

  it("edits a stored user as a librarian would, keeping the index right", async () => {
    sim.editUser("S0071301", (u) => {
      u.identifiers.push({
        idType: "BARCODE",
        value: "HAND-ENTERED",
        status: "ACTIVE",
        segmentType: "Internal",
      });
      u.firstName = "Aoife Máire";
    });
    const { text } = await get(sim, "hand-entered");
    expect(text).toContain("<first_name>Aoife Máire</first_name>");
    expect(() =>
      sim.editUser("P00100", (u) => {
        u.identifiers.push({ idType: "BARCODE", value: "hand-ENTERED" });
      }),
    ).toThrow(/already held/);
    expect(sim.getUser("P00100")!.identifiers).toHaveLength(1);
    // getUser returns a copy.
    sim.getUser("P00100")!.identifiers.length = 0;
    expect(sim.getUser("P00100")!.identifiers).toHaveLength(1);
  });

  it("adds and removes users", async () => {
    sim.addUser({
      xml: "<user><record_type>PUBLIC</record_type><primary_id>NEW1</primary_id><account_type>INTERNAL</account_type></user>",
    });
    expect((await get(sim, "new1")).res.status).toBe(200);
    expect(() =>
      sim.addUser({ primaryId: "N2", identifiers: [{ idType: "BARCODE", value: "gst0001" }] }),
    ).toThrow();
    expect(sim.removeUser("NEW1")).toBe(true);
    expect((await get(sim, "NEW1")).res.status).toBe(400);
  });

  it("counts calls by method and status and masks the key in the request log", async () => {
    await get(sim, "P00100", `apikey=${KEY}`, {});
    await put(sim, "P00100", withoutRoles(sim.getUserXml("P00100")!));
    await get(sim, "NOBODY");
    const st = sim.stats();
    expect(st).toMatchObject({
      calls: 3,
      accepted: 3,
      byMethod: { GET: 2, PUT: 1 },
      byStatus: { 200: 2, 400: 1 },
    });
    const log = sim.requests();
    expect(log[0]!.url).not.toContain(KEY);
    expect(log[1]!.body).toContain("<primary_id>P00100</primary_id>");
    expect(log[2]!.errorCode).toBe("401861");
    sim.resetStats();
    expect(sim.stats().calls).toBe(0);
  });

  it("demoEdit gives the demo user a barcode by hand", () => {
    expect(sim.demoEdit()).toMatch(/^P00777 \(Émile Durand\): .*21234000777000/);
    expect(sim.getUser("P00777")!.identifiers.map((i) => i.value)).toEqual(["21234000777000"]);
  });

  it("takes a latency set at runtime, and closes promptly with a request still waiting in it", async () => {
    const s = await startAlmaSimulator({ apiKey: KEY });
    expect((await get(s, "P00100")).res.status).toBe(200);
    s.setLatency([60_000, 60_000]);
    const pending = fetch(userUrl(s, "P00100"), { headers: AUTH }).then(
      (r) => r.status,
      () => "closed",
    );
    while (s.stats().accepted < 2) await new Promise((r) => setTimeout(r, 5));
    await s.close();
    expect(await pending).toBe("closed");
  });
});
