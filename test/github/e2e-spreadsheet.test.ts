/**
 * Issue 19 §1 through the action end to end: lists saved by a spreadsheet (a barcode in scientific
 * notation in the Alma barcode list, the roster's librarybarcode likewise) stop validate and the scheduled
 * plan with exit 2: the run's summary names each file, line and column with the hint, no Alma or Infiniti
 * call is made, no plan branch is pushed and no pull request is opened.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detail, Harness } from "./e2e-harness.ts";

const TIMEOUT = 180_000;
const h = new Harness();
const REPO = "o/sheet";
const repository = { full_name: REPO, private: true, default_branch: "main", fork: false };

beforeAll(() => h.start(), TIMEOUT);
afterAll(() => h.stop());

describe("lists saved by a spreadsheet, through the action", () => {
  it(
    "validate and the scheduled plan exit 2 with file:line:column and the hint; nothing is called or pushed",
    async () => {
      h.alma.addUser({
        xml: "<user><record_type>PUBLIC</record_type><primary_id>E00512</primary_id><first_name>F</first_name><last_name>L</last_name><account_type>INTERNAL</account_type><status>ACTIVE</status></user>",
      });
      const remote = h.makeRemote("sheet", {
        "patron-sync.yml":
          "alma:\n  patrons: data/alma/patrons.txt\n  barcodes: data/alma/barcodes.txt\n  rate_limit: 25\n  min_remaining: 0\n" +
          "infiniti:\n  users: data/infiniti/users.csv\n",
        "data/alma/patrons.txt": "Primary Identifier\nE00512\n",
        "data/alma/barcodes.txt": "employee_id,barcode\nE00512,2.12340002E+13\n",
        "data/infiniti/users.csv": "username,librarybarcode,enabled,staffmember\nkit.new,1.23457E+11,y,y\n",
      });
      const hint =
        "is a number in scientific notation, not an identifier: opened in a spreadsheet? format the column as text";
      for (const [eventName, event, command] of [
        ["workflow_dispatch", { inputs: {}, ref: "refs/heads/main", repository }, "validate"],
        ["schedule", { schedule: "23 5 * * *" }, "plan"],
      ] as const) {
        const r = await h.runAction({
          workspace: h.checkout(remote),
          repo: REPO,
          eventName,
          event,
          inputs: { command },
        });
        expect(r.code, detail(r)).toBe(2);
        expect(r.summary).toContain("data/alma/barcodes.txt");
        expect(r.stdout + r.stderr).toContain(
          `data/alma/barcodes.txt:2:8: the barcode "2.12340002E+13" ${hint}`,
        );
        expect(r.stdout + r.stderr).toContain(
          `data/infiniti/users.csv:2:2: librarybarcode (column 2): the library barcode "1.23457E+11" ${hint}`,
        );
      }
      expect(h.alma.stats().calls).toBe(0);
      expect(h.infiniti.stats().posts).toBe(0);
      expect(h.refs(remote)).toEqual(["refs/heads/main"]);
      expect(h.gh.pulls.get(REPO) ?? []).toHaveLength(0);
    },
    TIMEOUT,
  );
});
