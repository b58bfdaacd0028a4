/**
 * The plan sends the API key with every GET: an Alma address over plain http to a host that is not
 * loopback is refused before the first call, as apply's preflight refuses it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.ts";
import { memoryLogger } from "../../src/core/log.ts";
import { runPlan } from "../../src/run.ts";
import { startTestProxy, type TestProxy } from "../helpers/proxy.ts";

const KEY = "alma-key-plain-http-9c41";
let dir = "";
let proxy: TestProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = "";
});

describe("plan: the Alma address", () => {
  it("plain http to a host that is not loopback: exit-2 refusal, and the key never leaves (the proxy sees nothing)", async () => {
    dir = mkdtempSync(join(tmpdir(), "ps-alma-address-"));
    mkdirSync(join(dir, "data"), { recursive: true });
    writeFileSync(join(dir, "data", "patrons.txt"), "E00417\n");
    writeFileSync(join(dir, "data", "barcodes.txt"), "E00417|21234000123456\n");
    writeFileSync(
      join(dir, "patron-sync.yml"),
      "alma:\n  patrons: data/patrons.txt\n  barcodes: data/barcodes.txt\n  min_remaining: 0\n  max_attempts: 1\n",
    );
    proxy = await startTestProxy();
    const env = { ALMA_API_KEY: KEY, ALMA_BASE_URL: "http://alma.example.edu", HTTP_PROXY: proxy.url };
    const err = await runPlan({ cwd: dir, env, log: memoryLogger(), out: "plans/p1" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).problems).toEqual([
      {
        file: "ALMA_BASE_URL",
        message:
          "the Alma address must start with https:// (plain http:// only to 127.0.0.1, ::1 or localhost): the API key would travel unencrypted",
      },
    ]);
    expect(proxy.seen).toEqual([]);
  });
});
