import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  decideVisibility,
  redactedPlanMarkdown,
  redactedRows,
  redactPlanDir,
  REDACTED_ROW_LIMIT,
} from "../../src/github/redact.ts";
import { systemNamed } from "../../src/core/system.ts";
import { builtInSystems } from "../../src/systems.ts";

const SYSTEMS = builtInSystems();
const system = (name: string) => systemNamed(SYSTEMS, name);

const NAMES = ["Kwame", "Mensah-Bonsu", "Jane", "Doe", "jdoe1@yourschool.com", "21234000123456", "swordfish"];

function writePlan(dir: string, extraAlma = 0): void {
  mkdirSync(join(dir, "alma"), { recursive: true });
  mkdirSync(join(dir, "infiniti"), { recursive: true });
  writeFileSync(
    join(dir, "plan.json"),
    JSON.stringify({
      version: 1,
      tool: "patron-sync",
      created: "2025-01-01T00:00:00Z",
      config: "patron-sync.yml",
      title: "Patron sync plan: 2 barcodes to add · 1 Infiniti user to import",
      changes: 3,
      sections: [
        {
          system: "alma",
          counts: { add: 2, unchanged: 1 },
          changes: 2,
          headline: "2 barcodes to add",
          files: [],
        },
        {
          system: "infiniti",
          counts: { create: 1 },
          changes: 1,
          headline: "1 Infiniti user to import",
          files: [],
        },
      ],
    }),
  );
  writeFileSync(join(dir, "plan.md"), "# Plan\n| E00512 | Kwame Mensah-Bonsu | 21234000123456 |\n");
  writeFileSync(
    join(dir, "alma", "all_patrons.xml"),
    "<users><user><primary_id>E00512</primary_id><first_name>Kwame</first_name></user></users>",
  );
  writeFileSync(
    join(dir, "alma", "processed_results.xml"),
    "<users><user><last_name>Mensah-Bonsu</last_name></user></users>",
  );
  const patrons = [
    {
      primary_id: "E00512",
      line: 2,
      action: "add",
      old_barcodes: [],
      new_barcode: "21234000123456",
      message: "Kwame Mensah-Bonsu",
    },
    {
      primary_id: "E00417",
      line: 3,
      action: "add",
      old_barcodes: [],
      new_barcode: "21234000200512",
      message: "",
    },
    { primary_id: "S0071234", line: 4, action: "unchanged", old_barcodes: ["21234000999999"], message: "" },
  ];
  for (let i = 0; i < extraAlma; i++)
    patrons.push({ primary_id: `X${i}`, line: 5 + i, action: "no-barcode", old_barcodes: [], message: "" });
  writeFileSync(
    join(dir, "alma", "plan.json"),
    `{\n  "version": 1,\n  "system": "alma",\n  "counts": {"add": 2},\n  "changes": 2,\n  "patrons": [\n${patrons
      .map((p) => "    " + JSON.stringify(p))
      .join(",\n")}\n  ]\n}\n`,
  );
  writeFileSync(
    join(dir, "infiniti", "import.csv"),
    "username,givenname,surname,emailaddress,password,enabled,staffmember\njdoe1,Jane,Doe,jdoe1@yourschool.com,swordfish,y,n\n",
  );
  writeFileSync(
    join(dir, "infiniti", "plan.json"),
    JSON.stringify({
      system: "infiniti",
      version: 1,
      import: { file: "infiniti/import.csv", columns: ["username", "givenname"] },
      counts: { create: 1 },
      users: [
        {
          username: "jdoe1",
          action: "create",
          sent: true,
          import_row: 1,
          changes: [
            { field: "givenname", old: null, new: "Jane" },
            { field: "emailaddress", old: null, new: "jdoe1@yourschool.com" },
          ],
        },
      ],
    }),
  );
}

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "patron-sync-redact-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("decideVisibility", () => {
  it("trusts GitHub's answer over the event's hint", () => {
    expect(decideVisibility({ private: false }, true).isPublic).toBe(true);
    expect(decideVisibility({ private: true }, false).isPublic).toBe(false);
  });
  it("uses the event's hint when GitHub cannot be asked, and treats unknown as public", () => {
    expect(decideVisibility(undefined, true).isPublic).toBe(false);
    expect(decideVisibility(undefined, false).isPublic).toBe(true);
    expect(decideVisibility(undefined, undefined)).toMatchObject({ isPublic: true });
  });
});

describe("redactedRows", () => {
  it("reads the ID and the action of each record from each system's plan file, and nothing else", async () => {
    writePlan(dir);
    expect(await redactedRows(dir, system("alma"))).toEqual({
      rows: [
        { id: "E00512", action: "add" },
        { id: "E00417", action: "add" },
      ],
      total: 2,
    });
    expect(await redactedRows(dir, system("infiniti"))).toEqual({
      rows: [{ id: "jdoe1", action: "create" }],
      total: 1,
    });
    expect(await redactedRows(dir, system("alma"), 1)).toEqual({
      rows: [{ id: "E00512", action: "add" }],
      total: 2,
    });
  });

  it("lists nothing for a system without a plan file, an unknown system, or a file that is not a plan", async () => {
    writePlan(dir);
    expect(await redactedRows(dir, system("other"))).toEqual({ rows: [], total: 0 });
    const silent = { name: "alma", longLabel: "Alma" }; // a system that cannot list its records
    expect(await redactedRows(dir, silent)).toEqual({ rows: [], total: 0 });
    rmSync(join(dir, "infiniti", "plan.json"));
    expect(await redactedRows(dir, system("infiniti"))).toEqual({ rows: [], total: 0 });
    writeFileSync(
      join(dir, "alma", "plan.json"),
      '{\n  "patrons": [\n    {"primary_id": "E1", "action": "add"},\n    {broken\n  ]\n}\n',
    );
    expect(await redactedRows(dir, system("alma"))).toEqual({ rows: [], total: 0 });
  });
});

describe("redacted plan", () => {
  it("shows IDs, actions and counts, and no names, e-mail, barcodes, passwords or XML", async () => {
    writePlan(dir);
    const md = await redactedPlanMarkdown(dir, SYSTEMS, "plans/x");
    expect(md).toContain("Patron sync plan: 2 barcodes to add · 1 Infiniti user to import");
    expect(md).toContain("| E00512 | `add` |");
    expect(md).toContain("| jdoe1 | `create` |");
    expect(md).toContain("public");
    expect(md).not.toContain("S0071234"); // unchanged records are not listed
    for (const s of NAMES) expect(md).not.toContain(s);
    expect(md).not.toMatch(/<\w+>/);
  });

  it("redactPlanDir leaves only plan.md and plan.json on disk", async () => {
    writePlan(dir);
    const { markdown, removed } = await redactPlanDir(dir, SYSTEMS, "plans/x");
    expect(readdirSync(dir).sort()).toEqual(["plan.json", "plan.md"]);
    expect(removed.sort()).toEqual([
      "alma/all_patrons.xml",
      "alma/plan.json",
      "alma/processed_results.xml",
      "infiniti/import.csv",
      "infiniti/plan.json",
    ]);
    const onDisk = readFileSync(join(dir, "plan.md"), "utf8");
    expect(onDisk.trimEnd()).toBe(markdown.trimEnd());
    for (const s of NAMES) {
      expect(onDisk).not.toContain(s);
      expect(readFileSync(join(dir, "plan.json"), "utf8")).not.toContain(s);
    }
    expect(existsSync(join(dir, "alma"))).toBe(false);
  });

  it("lists at most REDACTED_ROW_LIMIT records per system", async () => {
    writePlan(dir, REDACTED_ROW_LIMIT + 5);
    const md = await redactedPlanMarkdown(dir, SYSTEMS);
    expect(md).toContain("… and 7 more.");
  });
});
