/** Issue 19 §1 through the command line: a list saved by a spreadsheet stops validate and plan (exit 2, no call). */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startAlmaSimulator, type AlmaSimulator } from "../src/simulators/alma.ts";
import { runCli } from "./helpers/cli-run.ts";
import { removeTempDirs, tempDir } from "./helpers/tmp.ts";

afterEach(removeTempDirs);
const KEY = "l7xx-cli-spreadsheet-key";
let sim: AlmaSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function workspace(): string {
  const dir = tempDir("ps-cli-sheet-");
  mkdirSync(join(dir, "data"), { recursive: true });
  writeFileSync(join(dir, "data", "patrons.txt"), "P00100\nP00200\n");
  writeFileSync(join(dir, "data", "barcodes.txt"), "P00100|21234000212345\nP00200|2.12340002E+13\n");
  writeFileSync(
    join(dir, "data", "users.csv"),
    "username,librarybarcode,enabled,staffmember\njsmith,1.23457e11,y,y\n",
  );
  writeFileSync(
    join(dir, "patron-sync.yml"),
    "alma:\n  patrons: data/patrons.txt\n  barcodes: data/barcodes.txt\n  min_remaining: 0\ninfiniti:\n  users: data/users.csv\n  url: https://school.example.com\n",
  );
  return dir;
}

describe("patron-sync validate and plan on lists saved by a spreadsheet", { timeout: 30_000 }, () => {
  it("exit 2 with each file, line, column and the hint; plan makes no call", async () => {
    sim = await startAlmaSimulator({ apiKey: KEY });
    const ws = workspace();
    const env = { ALMA_API_KEY: KEY, ALMA_BASE_URL: sim.url, INFINITI_USERNAME: "u", INFINITI_PASSWORD: "p" };
    for (const verb of ["validate", "plan"]) {
      const r = await runCli([verb], ws, env);
      expect(r.code, verb).toBe(2);
      expect(r.stderr).toContain(
        'data/barcodes.txt:2:8: the barcode "2.12340002E+13" is a number in scientific notation, not an identifier: opened in a spreadsheet? format the column as text',
      );
      expect(r.stderr).toContain(
        'data/users.csv:2:2: librarybarcode (column 2): the library barcode "1.23457e11" is a number in scientific notation',
      );
      expect(r.stdout).not.toContain("valid");
    }
    expect(sim.stats().calls).toBe(0);
  });
});
