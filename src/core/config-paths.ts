/**
 * The paths in patron-sync.yml name files of the data repository, and nothing else: a path that
 * resolves outside the repository (`../x`, `/etc/passwd`), into git's own folder (`.git/config`,
 * anything under a `.git` folder) or through a symbolic link to a place outside is refused (exit 2,
 * nothing read, nothing sent). The repository is the folder that holds the config file.
 */
import { realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { InputError, type InputProblem } from "./errors.ts";

/** The real path (links followed) of `path`, or of its nearest existing folder with the rest appended. */
async function realOrNearest(path: string): Promise<string> {
  const rest: string[] = [];
  for (let p = path; ; p = dirname(p)) {
    try {
      return join(await realpath(p), ...rest);
    } catch {
      if (dirname(p) === p) return path;
      rest.unshift(basename(p));
    }
  }
}

/** Why `path` may not be used, if it may not: outside `root`, or inside a `.git` folder. */
function refusal(root: string, path: string): "outside" | "git" | undefined {
  const rel = relative(root, path);
  if (rel === ".." || rel.startsWith("../") || rel.startsWith("..\\") || isAbsolute(rel)) return "outside";
  if (rel.split(/[\\/]/).some((seg) => seg.toLowerCase() === ".git")) return "git";
  return undefined;
}

/** True when the config file itself lies inside a `.git` folder. */
export async function insideGit(path: string): Promise<boolean> {
  const real = await realOrNearest(path);
  return [path, real].some((p) => p.split(/[\\/]/).some((seg) => seg.toLowerCase() === ".git"));
}

/**
 * Refuses every configured path that leaves the repository or enters `.git`, as written or once
 * its links are followed. `pathKeys` are the key paths that hold paths (`plans_dir`, and each system's,
 * e.g. `alma.barcodes`: src/core/config.ts gathers them); `locate` gives a key's line and column.
 */
export async function checkConfigPaths(
  config: Record<string, unknown>,
  root: string,
  file: string,
  pathKeys: readonly (readonly string[])[],
  locate: (keyPath: readonly string[]) => { line?: number; column?: number },
): Promise<void> {
  const realRoot = await realOrNearest(root);
  const problems: InputProblem[] = [];
  for (const keyPath of pathKeys) {
    let value: unknown = config;
    for (const k of keyPath) value = (value as Record<string, unknown> | undefined)?.[k];
    if (typeof value !== "string") continue;
    const path = resolve(root, value);
    const key = `'${keyPath.join(".")}' (${value})`;
    const written = refusal(root, path);
    const followed = written ?? refusal(realRoot, await realOrNearest(path));
    if (!followed) continue;
    const why =
      followed === "git"
        ? `is inside .git, git's own folder: name a data file of the repository`
        : written
          ? `points outside the repository: paths in ${file} must name files inside the folder that holds it`
          : `is, or passes through, a link to a place outside the repository: name the file itself`;
    problems.push({ file, ...locate(keyPath), message: `${key} ${why}` });
  }
  if (problems.length) throw new InputError(problems);
}
