/**
 * `npx patron-sync` runs this repository's own bin only inside a folder whose package.json names it (a clone of
 * the data repository made from the template, or of this one). Anywhere else npx would fetch whatever the npm
 * registry holds under that name, which is not ours. The docs must say where, every time they say it.
 */
import { spawn } from "node:child_process";
import { cpSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { removeTempDirs, tempDir } from "../helpers/tmp.ts";

afterEach(removeTempDirs);

function docs(): string[] {
  const all = ["README.md"];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith(".md")) all.push(join(dir, e.name));
    }
  };
  walk("docs");
  return all;
}

/**
 * Every `npx patron-sync` whose section (from its heading down to it) has not yet said where it works:
 * "npm ci" (the brief's "inside the data repository, after npm ci").
 */
export function bareNpx(text: string): { line: number; text: string }[] {
  const found: { line: number; text: string }[] = [];
  let section = "";
  let fence = false;
  text.split("\n").forEach((line, i) => {
    if (line.startsWith("```")) fence = !fence;
    if (!fence && /^#{1,6} /.test(line)) section = "";
    const at = line.indexOf("npx patron-sync");
    if (at >= 0 && !(section + line.slice(0, at)).includes("npm ci")) found.push({ line: i + 1, text: line });
    section += `${line}\n`;
  });
  return found;
}

function run(cmd: string, args: string[], cwd: string) {
  return new Promise<{ code: number | null; out: string }>((done) => {
    // offline: npm may not reach the registry, whatever happens
    const child = spawn(cmd, args, { cwd, env: { ...process.env, npm_config_offline: "true" } });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => done({ code, out }));
  });
}

describe("where `npx patron-sync` works", { timeout: 60_000 }, () => {
  it("the rule catches a bare use and accepts one after its section says npm ci", () => {
    expect(bareNpx("## Undo\n\nRun `npx patron-sync revert`.\n")).toEqual([
      { line: 3, text: "Run `npx patron-sync revert`." },
    ]);
    expect(
      bareNpx("## Undo\n\nIn the data repository, after `npm ci`:\n\n    npx patron-sync revert\n"),
    ).toEqual([]);
    // A new section forgets what the one before said.
    expect(bareNpx("## A\nafter npm ci\n## B\nnpx patron-sync plan\n")).toHaveLength(1);
  });

  it.each(docs())("%s never says `npx patron-sync` without saying where it works", (file) => {
    expect(bareNpx(readFileSync(file, "utf8"))).toEqual([]);
  });

  it("in a folder holding the template's files, `npx --no patron-sync validate` runs the committed bundle; elsewhere npx finds nothing of ours", async () => {
    // The files a data repository keeps from the template (docs/setup.md section 1), without node_modules:
    // the bundle needs no install (`npm ci` would need the network, which tests never use).
    const repo = tempDir("ps-datarepo-");
    for (const f of [
      "package.json",
      "package-lock.json",
      "bin",
      "dist",
      "action.yml",
      "patron-sync.yml",
      "data",
    ])
      cpSync(f, join(repo, f), { recursive: true });
    const npx = process.platform === "win32" ? "npx.cmd" : "npx";
    const inside = await run(npx, ["--no", "patron-sync", "validate"], repo);
    expect(inside.out).toContain("All input files are valid.");
    expect(inside.code).toBe(0);

    const elsewhere = await run(npx, ["--no", "patron-sync", "validate"], tempDir("ps-elsewhere-"));
    expect(elsewhere.code).not.toBe(0);
    expect(elsewhere.out).not.toContain("All input files are valid.");
  });
});
