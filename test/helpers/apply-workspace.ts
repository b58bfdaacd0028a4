/**
 * A data repository with both systems (three Alma patrons, a three-user Infiniti roster) and both
 * simulators, for the apply-integrity, lock and preflight tests. Temp folders are removed by `close`.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAlmaSimulator, type AlmaSimulator } from "../../src/simulators/alma.ts";
import { startInfinitiSimulator, type InfinitiSimulator } from "../../src/simulators/infiniti.ts";
import { fixture } from "./fixtures.ts";

export const KEY = "l7xx-integrity-test-key";
export const INF_USER = "autoimport";
export const INF_PASS = "integrity-test-pass";

export const PATRONS = "Primary Identifier\nE00417\nS0071234\nG00042\n";
export const BARCODES = "E00417|21234000123456\nS0071234|21234000999999\nG00042|bc0003x\n";
export const ROSTER = [
  "username,givenname,surname,emailaddress,graduationyear,password,enabled,staffmember",
  "zoe,Zoë,Hartley,zoe@school.example,2027,Secret-Zoe-1,y,n",
  "bob,Bob,Builder,bob@school.example,2026,,y,n",
  "",
].join("\n");

export interface Bench {
  dir: string;
  alma: AlmaSimulator;
  infiniti: InfinitiSimulator;
  env: NodeJS.ProcessEnv;
  /** Runs git in the workspace. */
  git(...args: string[]): string;
  /** The barcodes (value:status) of an Alma user in the simulator. */
  barcodes(id: string): string[];
  close(): Promise<void>;
}

export async function bench(opts: { git?: boolean } = {}): Promise<Bench> {
  const dir = mkdtempSync(join(tmpdir(), "ps-integrity-"));
  mkdirSync(join(dir, "data", "alma"), { recursive: true });
  mkdirSync(join(dir, "data", "infiniti"), { recursive: true });
  writeFileSync(join(dir, "data", "alma", "patrons.txt"), PATRONS);
  writeFileSync(join(dir, "data", "alma", "barcodes.txt"), BARCODES);
  writeFileSync(join(dir, "data", "infiniti", "users.csv"), ROSTER);
  writeFileSync(
    join(dir, "patron-sync.yml"),
    [
      "alma:",
      "  patrons: data/alma/patrons.txt",
      "  barcodes: data/alma/barcodes.txt",
      "  concurrency: 2",
      "  rate_limit: 25",
      "  min_remaining: 0",
      "infiniti:",
      "  users: data/infiniti/users.csv",
      "  url: https://school.concordinfiniti.example",
      "",
    ].join("\n"),
  );
  const alma = await startAlmaSimulator({
    apiKey: KEY,
    users: [
      { xml: fixture("alma/users/staff_roles.xml") },
      { xml: fixture("alma/users/external_sis.xml") },
      { xml: fixture("alma/users/guest_inactive.xml") },
    ],
  });
  const infiniti = await startInfinitiSimulator({ username: INF_USER, password: INF_PASS });
  const env: NodeJS.ProcessEnv = {
    ALMA_API_KEY: KEY,
    ALMA_BASE_URL: alma.url,
    INFINITI_URL: infiniti.url,
    INFINITI_USERNAME: INF_USER,
    INFINITI_PASSWORD: INF_PASS,
  };
  const gitEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "Staff",
    GIT_AUTHOR_EMAIL: "staff@library.example.edu",
    GIT_COMMITTER_NAME: "Staff",
    GIT_COMMITTER_EMAIL: "staff@library.example.edu",
  };
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: dir, env: gitEnv, encoding: "utf8", stdio: "pipe" }).trim();
  if (opts.git) {
    git("init", "-q", "-b", "main");
    writeFileSync(join(dir, ".gitignore"), "plans/\n");
    git("add", "-A");
    git("commit", "-q", "-m", "data");
  }
  return {
    dir,
    alma,
    infiniti,
    env,
    git,
    barcodes: (id) =>
      (alma.getUser(id)?.identifiers ?? [])
        .filter((i) => i.idType === "BARCODE")
        .map((i) => `${i.value}:${i.status}`),
    async close() {
      await Promise.all([alma.close(), infiniti.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
