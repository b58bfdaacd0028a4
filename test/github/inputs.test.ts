import { describe, expect, it, vi } from "vitest";
import { InputError } from "../../src/core/errors.ts";
import { actionSettings, base64, maskSecrets, parseInputs, secretValues } from "../../src/github/inputs.ts";

const getter = (values: Record<string, string>) => (name: string) => values[name] ?? "";

describe("parseInputs", () => {
  it("reads the inputs with their defaults", () => {
    const i = parseInputs(getter({ command: "plan" }));
    expect(i).toMatchObject({ command: "plan", config: "patron-sync.yml", only: undefined, planDir: "" });
  });
  it("maps only: both and empty to both systems, alma and infiniti to one", () => {
    expect(parseInputs(getter({ command: "apply", only: "both" })).only).toBeUndefined();
    expect(parseInputs(getter({ command: "apply", only: "ALMA" })).only).toBe("alma");
    expect(parseInputs(getter({ command: "apply", only: "infiniti" })).only).toBe("infiniti");
  });
  it("reports every bad input at once as an input error (exit 2)", () => {
    try {
      parseInputs(getter({ command: "deploy", only: "koha" }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).problems.map((p) => p.file)).toEqual([
        "action input 'command'",
        "action input 'only'",
      ]);
    }
  });
});

describe("secrets", () => {
  const inputs = parseInputs(
    getter({
      command: "apply",
      "alma-api-key": "l8xx-secret",
      "infiniti-username": "autoimport",
      "infiniti-password": "pa55:word",
      "github-token": "ghs_token",
    }),
  );
  it("masks each secret and each value derived from one", () => {
    const s = secretValues(inputs);
    const basic = base64("autoimport:pa55:word");
    expect(s).toEqual(
      expect.arrayContaining([
        "l8xx-secret",
        "pa55:word",
        "ghs_token",
        basic,
        `Basic ${basic}`,
        base64("x-access-token:ghs_token"),
      ]),
    );
    expect(s).not.toContain("");
  });
  it("registers the proxy's password from HTTPS_PROXY with the runner too", () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      maskSecrets(parseInputs(getter({ command: "plan" })), {
        HTTPS_PROXY: "http://u:pr0xy-s3cret@proxy:3128",
      });
    } finally {
      spy.mockRestore();
    }
    expect(written.join("")).toContain("::add-mask::pr0xy-s3cret");
  });

  it("resolves the settings once: each input over the job's variable, and no environment written", () => {
    const env: NodeJS.ProcessEnv = {
      PATH: "/bin",
      ALMA_API_KEY: "old",
      INFINITI_URL: "https://env.concordinfiniti.com",
      HTTPS_PROXY: "http://proxy:3128",
    };
    const before = { ...env };
    const s = actionSettings({ ...inputs, almaBaseUrl: "http://127.0.0.1:1" }, env);
    expect(s.alma).toMatchObject({
      apiKey: "l8xx-secret",
      keyName: "ALMA_API_KEY",
      baseUrl: "http://127.0.0.1:1",
    });
    expect(s.alma.proxies.https?.href).toBe("http://proxy:3128/");
    expect(s.infiniti).toMatchObject({
      username: "autoimport",
      password: "pa55:word",
      url: "https://env.concordinfiniti.com", // no input: the job's variable
    });
    expect(env).toEqual(before);
  });
  it("plan and validate use the read-only Alma key when one is given; apply never does", () => {
    const withRead = { ...inputs, almaReadApiKey: "l8xx-read-only" };
    const key = (i: typeof inputs, env: NodeJS.ProcessEnv = {}) => actionSettings(i, env).alma;
    expect(key({ ...withRead, command: "plan" })).toMatchObject({
      apiKey: "l8xx-read-only",
      keyName: "ALMA_READ_API_KEY",
    });
    expect(key({ ...withRead, command: "validate" }).apiKey).toBe("l8xx-read-only");
    expect(key({ ...withRead, command: "apply" })).toMatchObject({
      apiKey: "l8xx-secret",
      keyName: "ALMA_API_KEY",
    });
    // Without the input: the job's ALMA_READ_API_KEY, else the read/write key.
    expect(key({ ...inputs, command: "plan" }, { ALMA_READ_API_KEY: "env-read" }).apiKey).toBe("env-read");
    expect(key({ ...inputs, command: "plan" })).toMatchObject({
      apiKey: "l8xx-secret",
      keyName: "ALMA_API_KEY",
    });
    expect(secretValues(withRead)).toContain("l8xx-read-only");
  });
});
