import { describe, expect, it, vi } from "vitest";
import { InputError } from "../../src/core/errors.ts";
import { base64, coreEnv, maskSecrets, parseInputs, secretValues } from "../../src/github/inputs.ts";

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

  it("hands secrets to the core only through the env object", () => {
    const env = coreEnv(
      { ...inputs, almaBaseUrl: "http://127.0.0.1:1" },
      { PATH: "/bin", ALMA_API_KEY: "old" },
    );
    expect(env).toMatchObject({
      PATH: "/bin",
      ALMA_API_KEY: "l8xx-secret",
      ALMA_BASE_URL: "http://127.0.0.1:1",
      INFINITI_USERNAME: "autoimport",
      INFINITI_PASSWORD: "pa55:word",
    });
    expect(env.INFINITI_URL).toBeUndefined();
  });
  it("plan and validate use the read-only Alma key when one is given; apply never does", () => {
    const withRead = { ...inputs, almaReadApiKey: "l8xx-read-only" };
    expect(coreEnv({ ...withRead, command: "plan" }, {}).ALMA_API_KEY).toBe("l8xx-read-only");
    expect(coreEnv({ ...withRead, command: "validate" }, {}).ALMA_API_KEY).toBe("l8xx-read-only");
    expect(coreEnv({ ...withRead, command: "apply" }, {}).ALMA_API_KEY).toBe("l8xx-secret");
    // Without the input: the job's ALMA_READ_API_KEY, else the read/write key.
    expect(coreEnv({ ...inputs, command: "plan" }, { ALMA_READ_API_KEY: "env-read" }).ALMA_API_KEY).toBe(
      "env-read",
    );
    expect(coreEnv({ ...inputs, command: "plan" }, {}).ALMA_API_KEY).toBe("l8xx-secret");
    expect(secretValues(withRead)).toContain("l8xx-read-only");
  });
});
