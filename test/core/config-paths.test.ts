import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { InputError } from "../../src/core/errors.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { runValidate } from "../../src/run.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A repository folder with a .git/config holding a token, a data file, and patron-sync.yml. */
function repo(config: string): string {
  const dir = mkdtempSync(join(tmpdir(), "ps-cfgpath-"));
  dirs.push(dir);
  mkdirSync(join(dir, ".git"));
  writeFileSync(
    join(dir, ".git", "config"),
    '[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic c2VjcmV0LXRva2Vu\n',
  );
  mkdirSync(join(dir, "data", "alma"), { recursive: true });
  writeFileSync(join(dir, "data", "alma", "patrons.txt"), "E00417\n");
  writeFileSync(join(dir, "patron-sync.yml"), config);
  return dir;
}

async function refusal(dir: string, configPath = "patron-sync.yml"): Promise<InputError> {
  const err = await loadConfig(configPath, dir).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  expect(String(err)).not.toContain("c2VjcmV0LXRva2Vu");
  return err as InputError;
}

describe("paths in patron-sync.yml stay inside the repository", () => {
  it.each([
    ["a parent folder", "../x.txt", "points outside the repository"],
    ["an absolute path elsewhere", "/etc/passwd", "points outside the repository"],
    ["git's config", ".git/config", "is inside .git"],
    ["anything under .git", "data/../.git/hooks/pre-commit", "is inside .git"],
    ["a .git folder further down", "data/.git/x", "is inside .git"],
    ["a .GIT folder (case-insensitive file systems)", ".GIT/config", "is inside .git"],
  ])("refuses %s, naming the key, line and column", async (_what, value, why) => {
    const err = await refusal(repo(`alma:\n  barcodes: data/alma/patrons.txt\n  patrons: ${value}\n`));
    expect(err.problems).toEqual([
      { file: "patron-sync.yml", line: 3, column: 12, message: expect.stringContaining(why) as string },
    ]);
    expect(err.problems[0]!.message).toMatch(/^'alma\.patrons' \(/);
  });

  it("checks every path key: barcodes, users, state and plans_dir too", async () => {
    const err = await refusal(
      repo(
        "alma:\n  barcodes: ../b\ninfiniti:\n  users: /tmp/u.csv\n  state: .git/state\nplans_dir: ../plans\n",
      ),
    );
    expect(err.problems.map((p) => p.message.split(" ")[0])).toEqual([
      "'alma.barcodes'",
      "'infiniti.users'",
      "'infiniti.state'",
      "'plans_dir'",
    ]);
  });

  it("refuses a symbolic link to a file outside, and to .git", async () => {
    const dir = repo("alma:\n  patrons: data/alma/out.txt\n  barcodes: data/alma/git.txt\n");
    const outside = mkdtempSync(join(tmpdir(), "ps-cfgpath-out-"));
    dirs.push(outside);
    writeFileSync(join(outside, "secret.txt"), "not a patron list\n");
    symlinkSync(join(outside, "secret.txt"), join(dir, "data", "alma", "out.txt"));
    symlinkSync(join(dir, ".git", "config"), join(dir, "data", "alma", "git.txt"));
    const err = await refusal(dir);
    expect(err.problems.map((p) => p.message)).toEqual([
      "'alma.patrons' (data/alma/out.txt) is, or passes through, a link to a place outside the repository: name the file itself",
      "'alma.barcodes' (data/alma/git.txt) is inside .git, git's own folder: name a data file of the repository",
    ]);
  });

  it("refuses a path through a linked folder that leads outside, even to a file not made yet", async () => {
    const dir = repo("infiniti:\n  state: data/linked/applied.csv\n");
    const outside = mkdtempSync(join(tmpdir(), "ps-cfgpath-out-"));
    dirs.push(outside);
    symlinkSync(outside, join(dir, "data", "linked"));
    const err = await refusal(dir);
    expect(err.problems[0]!.message).toContain(
      "'infiniti.state' (data/linked/applied.csv) is, or passes through, a link",
    );
  });

  it("refuses a config file inside .git", async () => {
    const err = await refusal(repo("alma: {}\n"), ".git/config");
    expect(err.message).toBe(
      ".git/config: the config file is inside .git, git's own folder: give patron-sync.yml at the repository's root",
    );
  });

  it("accepts paths inside the repository: relative, absolute, through an inside link, and '.'", async () => {
    const dir = repo("");
    symlinkSync(join(dir, "data", "alma", "patrons.txt"), join(dir, "data", "alma", "link.txt"));
    writeFileSync(
      join(dir, "patron-sync.yml"),
      `alma:\n  patrons: data/alma/link.txt\n  barcodes: ${join(dir, "data", "alma", "patrons.txt")}\ninfiniti:\n  state: not/made/yet.csv\nplans_dir: .\n`,
    );
    const loaded = await loadConfig("patron-sync.yml", dir);
    expect(loaded.config.alma?.patrons).toBe("data/alma/link.txt");
  });

  it("validate exits with an input error and no file content in the message", async () => {
    const dir = repo("alma:\n  patrons: .git/config\n  barcodes: data/alma/patrons.txt\n");
    const err = await runValidate({ cwd: dir, log: memoryLogger() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(String(err)).not.toContain("extraheader");
    expect(String(err)).not.toContain("c2VjcmV0LXRva2Vu");
  });
});
