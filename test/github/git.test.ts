/**
 * The GitHub token never on a git command line (issue #17): pushes get the extraheader through git's
 * environment (GIT_CONFIG_COUNT/KEY/VALUE), so neither the token nor its base64 is in any git process's
 * arguments, which the log and the process list show. Proved with a `git` on PATH that records its arguments.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { authEnv, Repo } from "../../src/github/git.ts";

const TOKEN = "ghs_gitTestToken1234567890";
const BASE64 = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

describe("git pushes with the token in the environment, never in the arguments", () => {
  let dir = "";
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("git reads the extraheader from the environment, after an empty entry that clears a persisted one", () => {
    dir = mkdtempSync(join(tmpdir(), "ps-git-"));
    git(dir, "init", "-q");
    git(dir, "config", "http.https://github.com/.extraheader", "AUTHORIZATION: basic persisted");
    const env = authEnv(TOKEN, "https://github.com/", { PATH: path, HOME: dir });
    expect(env.GIT_CONFIG_COUNT).toBe("2");
    const r = spawnSync("git", ["config", "--get-all", "http.https://github.com/.extraheader"], {
      cwd: dir,
      env,
      encoding: "utf8",
    });
    // The persisted value, then ours: the empty one between them resets the list when git sends headers.
    expect(r.stdout.split("\n").filter(Boolean)).toEqual([
      "AUTHORIZATION: basic persisted",
      `AUTHORIZATION: basic ${BASE64}`,
    ]);
    expect(r.stdout.split("\n")).toContain(""); // the clearing entry
    // Entries the job had set keep their numbers.
    const more = authEnv(TOKEN, undefined, {
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "core.x",
      GIT_CONFIG_VALUE_0: "1",
    });
    expect(more.GIT_CONFIG_COUNT).toBe("3");
    expect(more.GIT_CONFIG_KEY_0).toBe("core.x");
    expect(more.GIT_CONFIG_VALUE_2).toBe(`AUTHORIZATION: basic ${BASE64}`);
  });

  it("commitAndPush and pushPlanBranch: no git process gets the token or its base64 as an argument", async () => {
    dir = mkdtempSync(join(tmpdir(), "ps-git-"));
    const remote = join(dir, "remote.git");
    git(dir, "init", "-q", "--bare", "-b", "main", remote);
    const work = join(dir, "work");
    git(dir, "clone", "-q", remote, work);
    git(
      work,
      "-c",
      "user.name=t",
      "-c",
      "user.email=t@example.org",
      "commit",
      "-q",
      "--allow-empty",
      "-m",
      "seed",
    );
    git(work, "push", "-q", "origin", "HEAD:main");
    // A git that records its arguments and what the environment gives it, then runs the real one.
    const bin = join(dir, "bin");
    const log = join(dir, "git.log");
    spawnSync("mkdir", [bin]);
    writeFileSync(
      join(bin, "git"),
      `#!/bin/sh\nprintf 'ARGS %s\\n' "$*" >> '${log}'\nprintf 'ENV %s\\n' "$GIT_CONFIG_VALUE_1" >> '${log}'\nexec /usr/bin/git "$@"\n`,
    );
    chmodSync(join(bin, "git"), 0o755);
    process.env.PATH = `${bin}${delimiter}${path ?? ""}`;

    const repo = new Repo({ dir: work, token: TOKEN, serverUrl: "https://github.com" });
    writeFileSync(join(work, "a.txt"), "a\n");
    expect(await repo.commitAndPush(["a.txt"], "results", "main")).toMatch(/^[0-9a-f]{40}$/);
    writeFileSync(join(work, "b.txt"), "b\n");
    await repo.pushPlanBranch(["b.txt"], "plan");
    expect(git(dir, "--git-dir", remote, "for-each-ref", "--format=%(refname)")).toContain(
      "refs/heads/patron-sync/plan",
    );

    const lines = readFileSync(log, "utf8").split("\n");
    const args = lines.filter((l) => l.startsWith("ARGS "));
    expect(args.some((l) => l.includes(" push "))).toBe(true);
    for (const l of args) {
      expect(l).not.toContain(TOKEN);
      expect(l).not.toContain(BASE64);
      expect(l).not.toContain("extraheader");
    }
    // The pushes did get the header, through the environment.
    expect(lines).toContain(`ENV AUTHORIZATION: basic ${BASE64}`);
  });
});
