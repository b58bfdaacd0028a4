import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  parseMultipart,
  startInfinitiSimulator,
  UNAUTHORISED,
  type InfinitiSimulator,
} from "../../src/simulators/infiniti.ts";
import { fixture } from "../helpers/fixtures.ts";

const USER = "autoimport";
const PASS = "s3cret:with-colon";
const AUTH = `Basic ${Buffer.from(`${USER}:${PASS}`).toString("base64")}`;
const HEAD = "username,givenname,emailaddress,password,enabled,staffmember";

function form(csv: string, filename = "import.csv"): FormData {
  const f = new FormData();
  f.append("note", "not the file");
  f.append("file", new Blob([csv], { type: "text/csv" }), filename);
  return f;
}

describe("the Infiniti simulator", () => {
  let sim: InfinitiSimulator;
  beforeEach(async () => {
    sim = await startInfinitiSimulator({
      username: USER,
      password: PASS,
      users: [{ username: "Existing", givenname: "Old", enabled: "y", staffmember: "y" }],
      rejectUsernames: ["blocked"],
    });
  });
  afterEach(async () => {
    await sim.close();
  });

  const post = async (body: FormData | string, headers: Record<string, string> = { Authorization: AUTH }) => {
    const res = await fetch(`${sim.url}/api/import/users`, { method: "POST", headers, body });
    const json: unknown = await res.json();
    return { status: res.status, json };
  };

  it("listens on 127.0.0.1 on an ephemeral port", () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.port).toBeGreaterThan(0);
  });

  it("refuses a missing or wrong login with 401 and the documented body", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { Authorization: `Basic ${Buffer.from(`${USER}:nope`).toString("base64")}` },
      { Authorization: "Bearer x" },
    ];
    for (const headers of attempts) {
      const r = await post(form(`${HEAD}\nzoe,Zoë,,,y,n\n`), headers);
      expect(r).toEqual({
        status: 401,
        json: { success: false, summary: "Unauthorised. Check credentials." }, // the document's words, no details
      });
    }
    expect(UNAUTHORISED.summary).toBe("Unauthorised. Check credentials.");
    expect(sim.stats()).toMatchObject({ posts: 3, unauthorised: 3, imports: 0 });
    expect(sim.users().map((u) => u.username)).toEqual(["Existing"]);
    const list = await fetch(`${sim.url}/api/users`);
    expect(list.status).toBe(401);
  });

  it("imports the first part with a filename and answers the all-imported shape exactly (no details)", async () => {
    const csv = `\uFEFF${HEAD}\r\nzoe,Zoë,zoe@school.example,pw-1,Y,n\r\nexisting,New,,,yes,true\r\n`;
    const r = await post(form(csv));
    expect(r).toEqual({
      status: 200,
      json: {
        success: true,
        summary: "2 users processed. 1 user created. 1 user updated. 0 users failed.",
      },
    });
    expect(sim.stats()).toMatchObject({
      imports: 1,
      lastFilename: "import.csv",
      lastFieldName: "file",
      lastCsv: csv,
    });
    expect(sim.user("ZOE")).toMatchObject({
      username: "zoe",
      passwordSet: true,
      imports: 1,
      values: { givenname: "Zoë" },
    });
    expect(sim.user("existing")).toMatchObject({
      username: "existing",
      values: { givenname: "New" },
      imports: 1,
    });
  });

  it("answers the partial shape in the vendor's words: every row listed (1 = first data row), passing rows stored", async () => {
    const csv = [
      HEAD,
      "ann,Ann,ann@school.example,,y,n",
      ",NoName,,,y,n",
      "bob,Bob,not-an-email,,y,n",
      "cat,Cat,,,maybe,n",
      "blocked,Bl,,,y,y",
      "dan,Dan,,,y",
    ].join("\n");
    const r = await post(form(csv));
    expect(r).toEqual({
      status: 200,
      json: {
        success: false,
        summary: "6 users processed. 1 user created. 0 users updated. 5 users failed.",
        details: {
          "1": "User Created",
          "2": "Field (username) is required. User failed to import: Field (username) is required. ",
          // The documented row outcome, word for word:
          "3": "Field (emailAddress) is not a well-formed email address. User failed to import: Field (emailAddress) is not a well-formed email address. ",
          "4": "Field (enabled) is not a valid boolean. User failed to import: Field (enabled) is not a valid boolean. ",
          "5": "Rejected by the simulator. User failed to import: Rejected by the simulator. ",
          "6": "Row has 5 fields, expected 6. User failed to import: Row has 5 fields, expected 6. ",
        },
      },
    });
    expect(sim.users().map((u) => u.username)).toEqual(["ann", "Existing"]);
    expect(sim.stats()).toMatchObject({ rowsReceived: 6, created: 1, failedRows: 5 });
  });

  it("answers the vendor's own partial example exactly, and an empty file (documented) as 0 processed", async () => {
    // The document's example: row 1 updated, row 2 a malformed email address, row 3 created.
    const csv = [
      HEAD,
      "existing,Ex,,,y,y",
      "jane,Jane,jane@,,y,n",
      "john,John,john@school.example,,y,n",
    ].join("\n");
    const r = await post(form(csv));
    expect(r).toEqual({ status: 200, json: JSON.parse(fixture("infiniti/vendor_partial.json")) });
    expect(await post(form(""))).toEqual({
      status: 200,
      json: {
        success: true,
        summary: "0 users processed. 0 users created. 0 users updated. 0 users failed.",
      },
    });
  });

  it("keeps a stored password when the import leaves it blank", async () => {
    await post(form(`${HEAD}\nzoe,Zoë,,pw-1,y,n\n`));
    await post(form(`${HEAD}\nzoe,Zoe,,,y,n\n`));
    expect(sim.user("zoe")).toMatchObject({ passwordSet: true, imports: 2, values: { givenname: "Zoe" } });
  });

  it("refuses the whole file for an unknown or missing column, or no file", async () => {
    expect(await post(form("username,middleinitialname,enabled,staffmember\nzoe,Q,y,n\n"))).toEqual({
      status: 400,
      json: { success: false, summary: "Unknown column 'middleinitialname'." },
    });
    expect(await post(form("username,enabled\nzoe,y\n"))).toEqual({
      status: 400,
      json: { success: false, summary: "Missing required column 'staffmember'." },
    });
    const noFile = new FormData();
    noFile.append("file", "just text, no filename");
    expect((await post(noFile)).json).toMatchObject({ success: false, summary: "No file was uploaded." });
    expect((await post("plain body", { Authorization: AUTH, "Content-Type": "text/csv" })).status).toBe(400);
  });

  it("lets a test decide which rows fail, and queue a canned answer", async () => {
    sim.setReject((row) => (row.givenname === "Bad" ? "Custom failure" : undefined));
    const r = await post(form(`${HEAD}\nx1,Bad,,,y,y\nx2,Good,,,y,y\n`));
    expect(r.json).toEqual({
      success: false,
      summary: "2 users processed. 1 user created. 0 users updated. 1 user failed.",
      details: { "1": "Custom failure. User failed to import: Custom failure. ", "2": "User Created" },
    });
    sim.queueResponse({ status: 503, body: "down", contentType: "text/plain" });
    const res = await fetch(`${sim.url}/api/import/users`, {
      method: "POST",
      headers: { Authorization: AUTH },
      body: form(`${HEAD}\nx3,C,,,y,y\n`),
    });
    expect([res.status, await res.text()]).toEqual([503, "down"]);
    expect(sim.user("x3")).toBeUndefined();
  });

  it("serves the stored users, never their passwords", async () => {
    await post(form(`${HEAD}\nzoe,Zoë,zoe@school.example,pw-1,y,n\n`));
    const all = (await (
      await fetch(`${sim.url}/api/users`, { headers: { Authorization: AUTH } })
    ).json()) as {
      username: string;
    }[];
    expect(all.map((u) => u.username)).toEqual(["Existing", "zoe"]);
    const one = await fetch(`${sim.url}/api/users/ZOE`, { headers: { Authorization: AUTH } });
    const zoe = (await one.json()) as Record<string, unknown>;
    expect(zoe).toMatchObject({ username: "zoe", givenname: "Zoë", passwordSet: true });
    expect(JSON.stringify(zoe)).not.toContain("pw-1");
    expect((await fetch(`${sim.url}/api/users/nobody`, { headers: { Authorization: AUTH } })).status).toBe(
      404,
    );
    expect((await fetch(`${sim.url}/elsewhere`)).status).toBe(404);
  });
});

describe("parseMultipart", () => {
  it("reads parts, names, filenames and content types, with a quoted boundary", () => {
    const body = Buffer.from(
      [
        "preamble",
        "--b0und",
        'Content-Disposition: form-data; name="a"',
        "",
        "one",
        "--b0und",
        'Content-Disposition: form-data; name="file"; filename="import.csv"',
        "Content-Type: text/csv",
        "",
        "username,enabled\r\nzoë,y\r\n",
        "--b0und--",
        "",
      ].join("\r\n"),
    );
    const parts = parseMultipart(body, 'multipart/form-data; boundary="b0und"');
    expect(parts.map((p) => [p.name, p.filename, p.contentType, p.data.toString("utf8")])).toEqual([
      ["a", undefined, undefined, "one"],
      ["file", "import.csv", "text/csv", "username,enabled\r\nzoë,y\r\n"],
    ]);
  });

  it("refuses what is not multipart", () => {
    expect(() => parseMultipart(Buffer.from("x"), "text/plain")).toThrow(/not multipart/);
    expect(() => parseMultipart(Buffer.from("x"), "multipart/form-data; boundary=zz")).toThrow(
      /no multipart boundary/,
    );
  });
});
