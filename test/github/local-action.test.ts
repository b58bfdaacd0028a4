/**
 * The committed bundle under GitHub's own local runner for JavaScript actions, `@github/local-action`
 * (`local-action run <action dir> <entrypoint> <dotenv>`): it reads action.yml (printing its inputs and
 * outputs), loads the dotenv file into the environment, imports the entrypoint action.yml's `runs.main`
 * names and calls the `run()` it exports. This proves that action.yml, dist/ and the inputs agree.
 *
 * What local-action does NOT do here, from its README: its stand-ins for @actions/core work only for
 * "non-transpiled action code", so the ncc bundle keeps its own @actions/core, which reads INPUT_* from the
 * environment and writes outputs to the GITHUB_OUTPUT file, as on a runner. So the dotenv file holds what the
 * runner would set: INPUT_<NAME> for every input of action.yml (the step's `with:` value, else the input's
 * default, with `${{ github.token }}` given the job's token) and the GITHUB_* variables.
 *
 * No network: Alma and Infiniti are the simulators, GitHub is the fake REST API and a local bare remote
 * (e2e-harness.ts), and npm runs offline (local-action starts tsx and `npm ls` from this repository).
 * It runs dist/ as committed: after changing the sources, `npm run bundle` first.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { demoUsers } from "../../src/simulators/alma.ts";
import { API_KEY, GH_TOKEN, Harness, ROOT } from "./e2e-harness.ts";
import { parseGithubOutput } from "./helpers.ts";

const TIMEOUT = 180_000;
const h = new Harness();

interface ActionYml {
  inputs: Record<string, { required?: boolean; default?: string }>;
  outputs: Record<string, unknown>;
  runs: { using: string; main: string };
}
const action = parse(readFileSync(join(ROOT, "action.yml"), "utf8")) as ActionYml;

/** Every input as the runner sets it: the step's value, else action.yml's default. */
function inputEnv(withs: Record<string, string>): Record<string, string> {
  for (const name of Object.keys(withs))
    if (!(name in action.inputs)) throw new Error(`'${name}' is not an input of action.yml`);
  const env: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.inputs)) {
    let value = withs[name] ?? spec.default ?? "";
    if (value === "${{ github.token }}") value = GH_TOKEN;
    env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] = value;
  }
  return env;
}

function dotenv(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([k, v]) => {
      if (/["'\n\\#]/.test(v)) throw new Error(`${k}: a value this test does not quote`);
      return `${k}=${v}`;
    })
    .join("\n");
}

let runs = 0;
async function localAction(o: {
  workspace: string;
  repo: string;
  event: object;
  withs: Record<string, string>;
}) {
  const dir = join(h.tmp, `la-run${++runs}`);
  mkdirSync(dir);
  writeFileSync(join(dir, "event.json"), JSON.stringify(o.event));
  writeFileSync(join(dir, "output"), "");
  writeFileSync(join(dir, "summary"), "");
  const sha = h.git(o.workspace, "rev-parse", "HEAD");
  writeFileSync(
    join(dir, ".env"),
    dotenv({
      ...inputEnv(o.withs),
      GITHUB_ACTIONS: "true",
      CI: "true",
      GITHUB_WORKSPACE: o.workspace,
      GITHUB_REPOSITORY: o.repo,
      GITHUB_REPOSITORY_OWNER: o.repo.split("/")[0]!,
      GITHUB_EVENT_NAME: "push",
      GITHUB_EVENT_PATH: join(dir, "event.json"),
      GITHUB_API_URL: h.gh.url,
      GITHUB_SERVER_URL: "https://github.example",
      GITHUB_OUTPUT: join(dir, "output"),
      GITHUB_STEP_SUMMARY: join(dir, "summary"),
      GITHUB_SHA: sha,
      GITHUB_REF: "refs/heads/main",
      GITHUB_RUN_ID: String(runs),
      RUNNER_TEMP: dir,
    }),
  );
  const bin = join(ROOT, "node_modules/@github/local-action/bin/local-action.js");
  const child = spawn(process.execPath, [bin, "run", ROOT, action.runs.main, join(dir, ".env")], {
    cwd: ROOT,
    env: { ...h.gitEnv, npm_config_offline: "true", npm_config_update_notifier: "false", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.on("close", r));
  return { code, out, outputs: parseGithubOutput(readFileSync(join(dir, "output"), "utf8")) };
}

const pushEvent = (repo: string, after: string) => ({
  ref: "refs/heads/main",
  before: "0000000000000000000000000000000000000000",
  after,
  repository: { full_name: repo, private: true, default_branch: "main", fork: false },
});

/** The template's sample config and data, as a data repository made from it holds them. */
function sampleFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const f of [
    "patron-sync.yml",
    "data/alma/patronlist_no_barcode.txt",
    "data/alma/library_barcode_full_list.txt",
    "data/infiniti/users.csv",
  ])
    files[f] = readFileSync(join(ROOT, f), "utf8");
  return files;
}

beforeAll(async () => {
  await h.start();
  for (const u of demoUsers()) h.alma.addUser(u);
}, TIMEOUT);
afterAll(() => h.stop());

describe("the committed bundle under @github/local-action", () => {
  it("action.yml runs dist/ on node24, and local-action finds what it names", () => {
    expect(action.runs.using).toBe("node24");
    expect(relative(ROOT, join(ROOT, action.runs.main))).toBe("dist/index.js");
  });

  it(
    "validate, then plan against the simulators: exit 0, every output action.yml declares is set, and the pull request is opened",
    async () => {
      const REPO = "library/patron-data";
      const remote = h.makeRemote("la", sampleFiles());
      const ws = h.checkout(remote);
      const head = h.git(ws, "rev-parse", "HEAD");

      const validate = await localAction({
        workspace: ws,
        repo: REPO,
        event: pushEvent(REPO, head),
        withs: { command: "validate" },
      });
      expect(validate.code, validate.out).toBe(0);
      expect(validate.out).toContain("Running Action"); // local-action's own banner: it ran the bundle
      expect(validate.out).toContain("All input files are valid.");
      expect(Object.keys(validate.outputs).sort()).toEqual(Object.keys(action.outputs).sort());
      expect(validate.outputs["pull-request-operation"]).toBe("none");

      const plan = await localAction({
        workspace: h.checkout(remote),
        repo: REPO,
        event: pushEvent(REPO, head),
        withs: {
          command: "plan",
          "alma-api-key": API_KEY,
          "alma-base-url": h.alma.url,
          "infiniti-url": h.infiniti.url,
        },
      });
      expect(plan.code, plan.out).toBe(0);
      expect(Object.keys(plan.outputs).sort()).toEqual(Object.keys(action.outputs).sort());
      const o = plan.outputs;
      expect(o["plan-dir"]).toMatch(/^plans\/\d{8}T\d{6}Z$/);
      expect(Number(o.changes)).toBeGreaterThan(0);
      expect(o["pull-request-operation"]).toBe("created");
      expect(o["auto-apply"]).toBe("false");
      expect(o["artifact-retention-days"]).toBe("30");
      const pulls = h.gh.pulls.get(REPO) ?? [];
      expect(pulls).toHaveLength(1);
      expect(o["pull-request-number"]).toBe(String(pulls[0]!.number));
      expect(o["pull-request-url"]).toBe(pulls[0]!.html_url);
      expect(pulls[0]!.title).toMatch(/^Patron sync plan: Alma \d+ add/);
      expect(pulls[0]!.head.ref).toBe("patron-sync/plan");
      expect(h.treeFiles(remote, "refs/heads/patron-sync/plan")).toContain(`${o["plan-dir"]}/plan.json`);
      // The plan only reads Alma.
      expect(h.alma.stats().byMethod.PUT ?? 0).toBe(0);
    },
    TIMEOUT,
  );
});
