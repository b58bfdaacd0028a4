/**
 * The action's inputs (action.yml), read once and checked, and the environment handed to the core.
 * Secrets reach the core only through that environment object, never through files.
 */
import * as core from "@actions/core";
import { InputError } from "../core/errors.ts";
import { proxySecrets } from "../core/proxy.ts";
import { settingsFromEnv, SYSTEM_NAMES, type Settings } from "../systems.ts";

export type Command = "plan" | "apply" | "revert" | "validate";
const COMMANDS: readonly Command[] = ["plan", "apply", "revert", "validate"];

export interface ActionInputs {
  command: Command;
  config: string;
  /** One system, or both when undefined. */
  only?: string;
  almaApiKey: string;
  /** plan and validate: a read-only Alma key, used instead of almaApiKey when given. */
  almaReadApiKey: string;
  infinitiUsername: string;
  infinitiPassword: string;
  githubToken: string;
  /** apply: the plan directory (relative to the workspace); empty: found from the event. revert: the applied plan directory to undo. */
  planDir: string;
  almaBaseUrl: string;
  infinitiUrl: string;
  /** apply: the plan was chosen by the auto_apply policy; apply checks it again and says so. */
  autoApply: boolean;
}

/** Parses the inputs with a getter (core.getInput in the action, a map in tests). */
export function parseInputs(get: (name: string) => string): ActionInputs {
  const problems: { file: string; message: string }[] = [];
  const command = get("command").trim().toLowerCase();
  if (!COMMANDS.includes(command as Command)) {
    problems.push({
      file: "action input 'command'",
      message: command
        ? `must be plan, apply, revert or validate, not '${command}'`
        : "is required: plan, apply, revert or validate",
    });
  }
  const onlyRaw = get("only").trim().toLowerCase();
  let only: string | undefined;
  if (SYSTEM_NAMES.includes(onlyRaw)) only = onlyRaw;
  else if (onlyRaw !== "" && onlyRaw !== "both") {
    problems.push({
      file: "action input 'only'",
      message: `must be ${SYSTEM_NAMES.join(", ")} or empty (${SYSTEM_NAMES.length === 2 ? "both" : "all"}), not '${onlyRaw}'`,
    });
  }
  if (problems.length) throw new InputError(problems);
  return {
    command: command as Command,
    config: get("config").trim() || "patron-sync.yml",
    only,
    almaApiKey: get("alma-api-key").trim(),
    almaReadApiKey: get("alma-read-api-key").trim(),
    infinitiUsername: get("infiniti-username").trim(),
    infinitiPassword: get("infiniti-password"),
    githubToken: get("github-token").trim(),
    planDir: get("plan-dir").trim(),
    almaBaseUrl: get("alma-base-url").trim(),
    infinitiUrl: get("infiniti-url").trim(),
    autoApply: get("auto-apply").trim().toLowerCase() === "true",
  };
}

export function readInputs(): ActionInputs {
  return parseInputs((name) => core.getInput(name));
}

export function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/**
 * Every secret and every value derived from one that could end up in a log: the Infiniti Basic
 * auth header and its base64, and the git Basic auth header made from the GitHub token.
 */
export function secretValues(inputs: ActionInputs): string[] {
  const out = new Set<string>();
  const add = (v: string) => {
    if (v) out.add(v);
  };
  add(inputs.almaApiKey);
  add(inputs.almaReadApiKey);
  add(inputs.infinitiPassword);
  add(inputs.githubToken);
  if (inputs.infinitiUsername || inputs.infinitiPassword) {
    const b = base64(`${inputs.infinitiUsername}:${inputs.infinitiPassword}`);
    add(b);
    add(`Basic ${b}`);
  }
  if (inputs.githubToken) {
    const b = base64(`x-access-token:${inputs.githubToken}`);
    add(b);
    add(`basic ${b}`);
  }
  return [...out];
}

/** Registers every secret with the runner so that it is shown as *** in the log. */
export function maskSecrets(inputs: ActionInputs, env: NodeJS.ProcessEnv = process.env): void {
  for (const s of [...secretValues(inputs), ...proxySecrets(env)]) core.setSecret(s);
}

/**
 * The systems' settings (credentials, addresses, proxies), resolved once: each input overrides the job's
 * environment variable of the same meaning. plan and validate read Alma only, so they use the read-only key
 * when one is given (input alma-read-api-key, else env ALMA_READ_API_KEY), falling back to the read/write
 * key; a refusal then names ALMA_READ_API_KEY (never showing it).
 */
export function actionSettings(inputs: ActionInputs, base: NodeJS.ProcessEnv = process.env): Settings {
  const env = settingsFromEnv(base);
  const readKey =
    inputs.command !== "apply" ? inputs.almaReadApiKey || base.ALMA_READ_API_KEY?.trim() || "" : "";
  return {
    alma: {
      ...env.alma,
      apiKey: readKey || inputs.almaApiKey || env.alma.apiKey,
      keyName: readKey ? "ALMA_READ_API_KEY" : "ALMA_API_KEY",
      baseUrl: inputs.almaBaseUrl || env.alma.baseUrl,
    },
    infiniti: {
      ...env.infiniti,
      username: inputs.infinitiUsername || env.infiniti.username,
      password: inputs.infinitiPassword || env.infiniti.password,
      url: inputs.infinitiUrl || env.infiniti.url,
    },
  };
}
