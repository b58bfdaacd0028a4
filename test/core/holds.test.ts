/**
 * The revert holds of core (issue #19, src/core/holds.ts), with a system core does not know: which holds are
 * in force, in which order plans and reverts count, several held changes on one record, a holds file edited
 * by hand, and the same holds read at a plan's commit (what apply re-derives with).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfigWith } from "../../src/core/config.ts";
import { activeHolds, heldChange, type HoldingSystem, type TreeReader } from "../../src/core/holds.ts";
import { openPlanData } from "../../src/core/integrity.ts";

/** A plan directory's files, in memory. */
type Files = Record<string, string>;
const tree = (files: Files): TreeReader => ({
  files: (dir) =>
    Promise.resolve(
      Object.keys(files)
        .filter((f) => f.startsWith(`${dir}/`))
        .map((f) => f.slice(dir.length + 1)),
    ),
  read: (path) => Promise.resolve(files[path] === undefined ? undefined : Buffer.from(files[path])),
});
/** A system core has never heard of: its results are `ledger/wrote.txt`, one key a line. */
const ledger: HoldingSystem = {
  name: "ledger",
  revert: {
    plan: () => Promise.reject(new Error("not used")),
    check: () => undefined,
    written: async (read, keys) =>
      new Set(((await read("ledger/wrote.txt"))?.toString() ?? "").split("\n").filter((k) => keys.has(k))),
  },
};
const plan = (dir: string, created: string, wrote: string[] = [], extra: Files = {}): Files => ({
  [`plans/${dir}/plan.json`]: JSON.stringify({ created }),
  ...(wrote.length ? { [`plans/${dir}/ledger/wrote.txt`]: wrote.join("\n") } : {}),
  ...extra,
});
const holdsJson = (reverts: string, holds: object[]) =>
  `{"version":1,"system":"ledger","reverts":"${reverts}","holds":[\n${holds.map((h) => JSON.stringify(h)).join(",\n")}\n]}\n`;
const revert = (dir: string, created: string, wrote: string[], holds: object[]): Files => ({
  [`plans/${dir}/plan.json`]: JSON.stringify({ created, kind: "revert", reverts: "plans/p1" }),
  [`plans/${dir}/ledger/wrote.txt`]: wrote.join("\n"),
  [`plans/${dir}/ledger/holds.json`]: holdsJson("plans/p1", holds),
});
const h = (key: string, changes: Record<string, string>) => ({ key, id: key.toUpperCase(), changes });

describe("revert holds (core)", () => {
  it("hold what the revert's own results restored, against each change's input", async () => {
    const files = {
      ...plan("p1", "2026-01-01", ["a", "b", "c"]),
      // c was not restored (changed since): no hold on it; b carries two held changes.
      ...revert(
        "r1",
        "2026-01-02",
        ["a", "b"],
        [h("a", { value: "1" }), h("b", { value: "2", fields: "sha256:f" }), h("c", { value: "3" })],
      ),
    };
    const holds = await activeHolds(tree(files), "plans", ledger);
    expect(holds.size).toBe(2);
    expect(holds.get("a")).toEqual({ key: "a", id: "A", changes: { value: "1" }, revert: "plans/r1" });
    expect(holds.get("c")).toBeUndefined();
    expect(heldChange(holds, "b", "value", "2")?.revert).toBe("plans/r1");
    expect(heldChange(holds, "b", "fields", "sha256:f")?.revert).toBe("plans/r1");
    expect(heldChange(holds, "b", "fields", "sha256:other")).toBeUndefined(); // the data changed: planned
    expect(heldChange(holds, "a", "value", "9")).toBeUndefined();
  });

  it("a revert not applied holds nothing; a later write releases; a later revert holds anew", async () => {
    const r1 = revert("r1", "2026-01-02", ["a", "b"], [h("a", { value: "1" }), h("b", { value: "2" })]);
    const unapplied = { ...r1, "plans/r1/ledger/wrote.txt": "" };
    expect((await activeHolds(tree(unapplied), "plans", ledger)).size).toBe(0);

    const files = {
      ...plan("p0", "2026-01-01", ["a", "b"]), // before the revert: releases nothing
      ...r1,
      ...plan("p2", "2026-01-03", ["a"]), // wrote a after the revert: a's hold is gone
      ...plan("p3", "2026-01-04"), // applied nothing
      ...plan("junk", "x", [], { "plans/junk/plan.json": "not json" }),
    };
    const holds = await activeHolds(tree(files), "plans/", ledger);
    expect(holds.get("a")).toBeUndefined();
    expect(holds.get("b")?.changes).toEqual({ value: "2" });

    const later = {
      ...files,
      ...revert("r2", "2026-01-05", ["a"], [h("a", { value: "7" })]),
    };
    const again = await activeHolds(tree(later), "plans", ledger);
    expect(again.get("a")).toMatchObject({ changes: { value: "7" }, revert: "plans/r2" });
    expect(again.get("b")).toMatchObject({ revert: "plans/r1" });
  });

  it("deleting a hold's line releases it, even the last one's; a file that cannot be read is an error naming it", async () => {
    const files = revert("r1", "2026-01-02", ["a", "b"], [h("a", { value: "1" }), h("b", { value: "2" })]);
    const path = "plans/r1/ledger/holds.json";
    const lines = files[path]!.split("\n");
    const withoutB = { ...files, [path]: lines.filter((l) => !l.includes('"b"')).join("\n") };
    expect(withoutB[path]).toMatch(/,\n\]\}/); // a's line keeps its comma
    const holds = await activeHolds(tree(withoutB), "plans", ledger);
    expect([holds.get("a")?.key, holds.get("b")]).toEqual(["a", undefined]);

    await expect(activeHolds(tree({ ...files, [path]: "{ broken" }), "plans", ledger)).rejects.toThrow(
      "plans/r1/ledger/holds.json: is not a holds file patron-sync can read",
    );
  });

  it("reads no plan when no revert holds anything for the system (one listing)", async () => {
    const files = { ...plan("p1", "2026-01-01", ["a"]), ...plan("p2", "2026-01-02", ["b"]) };
    const t = tree(files);
    let reads = 0;
    const counting: TreeReader = { files: (d) => t.files(d), read: (p) => (reads++, t.read(p)) };
    expect((await activeHolds(counting, "plans", ledger)).size).toBe(0);
    expect(reads).toBe(0);
  });

  it("a system without `written` holds nothing", async () => {
    const files = revert("r1", "2026-01-02", ["a"], [h("a", { value: "1" })]);
    const blind: HoldingSystem = {
      name: "ledger",
      revert: { plan: () => Promise.reject(new Error("not used")), check: () => undefined },
    };
    expect((await activeHolds(tree(files), "plans", blind)).size).toBe(0);
  });

  describe("at a plan's commit", () => {
    let dir = "";
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("reads the holds as committed, not as the working tree has them since", async () => {
      dir = mkdtempSync(join(tmpdir(), "ps-holds-git-"));
      const git = (...args: string[]) =>
        execFileSync("git", args, {
          cwd: dir,
          env: { PATH: process.env.PATH, HOME: dir, GIT_CONFIG_NOSYSTEM: "1" },
        })
          .toString()
          .trim();
      git("init", "-q", "-b", "main");
      git("config", "user.email", "t@example.edu");
      git("config", "user.name", "T");
      const files = revert("r1", "2026-01-02", ["a"], [h("a", { value: "1" })]);
      for (const [p, text] of Object.entries({ ...files, "patron-sync.yml": "plans_dir: plans\n" })) {
        mkdirSync(join(dir, p, ".."), { recursive: true });
        writeFileSync(join(dir, p), text);
      }
      git("add", "-A");
      git("commit", "-qm", "a revert, applied");
      const commit = git("rev-parse", "HEAD");
      // Since that commit, the hold was released in the working tree.
      rmSync(join(dir, "plans/r1/ledger/holds.json"));

      const loaded = await loadConfigWith([], "patron-sync.yml", dir);
      const data = await openPlanData(
        loaded,
        join(dir, "plans/p9"),
        {
          version: 1,
          tool: "patron-sync",
          created: "2026-01-03",
          config: "patron-sync.yml",
          title: "t",
          changes: 0,
          sections: [],
          source: { kind: "git", commit, files: [{ role: "config", path: "patron-sync.yml", sha256: null }] },
        },
        { sections: [] },
      );
      expect((await activeHolds(data.tree, "plans", ledger)).get("a")?.revert).toBe("plans/r1");
    });
  });
});
