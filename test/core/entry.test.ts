/**
 * The entries' shared helper: the exit code and words for each kind of error, and the interrupt handling.
 */
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { endingFor, handleInterrupts, type SignalSource } from "../../src/core/entry.ts";
import { EXIT, EXIT_INTERRUPTED, InputError, InterruptedError } from "../../src/core/errors.ts";
import { BusyError } from "../../src/core/lock.ts";
import { memoryLogger } from "../../src/core/log.ts";

describe("endingFor", () => {
  it("bad input: exit 2, every problem, and that nothing was sent", () => {
    const e = new InputError([
      { file: "data/patrons.txt", line: 3, column: 1, message: "not an ID" },
      { file: "patron-sync.yml", message: "no alma section" },
    ]);
    expect(endingFor(e)).toEqual({
      code: 2,
      message:
        "2 problems in the input:\ndata/patrons.txt:3:1: not an ID\npatron-sync.yml: no alma section\nNothing was sent.",
    });
  });

  it("another apply holds the plan: exit 75, the holder, and that this run sent nothing", () => {
    const e = new BusyError("/plans/p1/.apply.lock", {
      pid: 42,
      host: "runner",
      started: "2026-01-01T00:00:00Z",
    });
    const ending = endingFor(e);
    expect(ending.code).toBe(EXIT.busy);
    expect(ending.code).toBe(75);
    expect(ending.message).toBe(`${e.message}\nNothing was sent by this run.`);
    expect(ending.message).toContain("pid 42 on runner");
  });

  it("interrupted: exit 130 and the message as it is", () => {
    const e = new InterruptedError("apply");
    expect(endingFor(e)).toEqual({ code: EXIT_INTERRUPTED, message: e.message });
    expect(EXIT_INTERRUPTED).toBe(130);
    expect(e.message).toMatch(/^apply was interrupted; /);
  });

  it("anything else: exit 1 and 'error: ' before the message", () => {
    expect(endingFor(new Error("Alma refused the key"))).toEqual({
      code: 1,
      message: "error: Alma refused the key",
    });
    expect(endingFor(new TypeError("x is undefined")).code).toBe(EXIT.failed);
  });
});

function fakeProcess() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  return {
    emitter,
    source: emitter as unknown as SignalSource,
    exits,
    exit: (c: number) => void exits.push(c),
  };
}

describe("handleInterrupts", () => {
  it("the first SIGINT warns and aborts the run's signal, without exiting", () => {
    const p = fakeProcess();
    const log = memoryLogger();
    const run = handleInterrupts(log, { source: p.source, exit: p.exit });
    expect(run.signal.aborted).toBe(false);
    p.emitter.emit("SIGINT", "SIGINT");
    expect(run.signal.aborted).toBe(true);
    expect(p.exits).toEqual([]);
    expect(log.lines).toEqual(["warning: SIGINT: finishing the calls in flight, then stopping"]);
    run.dispose();
  });

  it("SIGTERM does the same, with the entry's hint after the warning", () => {
    const p = fakeProcess();
    const log = memoryLogger();
    const run = handleInterrupts(log, {
      hint: " (press again to stop at once)",
      source: p.source,
      exit: p.exit,
    });
    p.emitter.emit("SIGTERM", "SIGTERM");
    expect(run.signal.aborted).toBe(true);
    expect(log.lines).toEqual([
      "warning: SIGTERM: finishing the calls in flight, then stopping (press again to stop at once)",
    ]);
    run.dispose();
  });

  it("a second signal exits at once with 130, and warns no more", () => {
    const p = fakeProcess();
    const log = memoryLogger();
    const run = handleInterrupts(log, { source: p.source, exit: p.exit });
    p.emitter.emit("SIGINT", "SIGINT");
    p.emitter.emit("SIGTERM", "SIGTERM");
    expect(p.exits).toEqual([130]);
    expect(log.lines).toHaveLength(1);
    run.dispose();
  });

  it("dispose removes both handlers: a later signal neither aborts nor exits", () => {
    const p = fakeProcess();
    const run = handleInterrupts(memoryLogger(), { source: p.source, exit: p.exit });
    expect(p.emitter.listenerCount("SIGINT")).toBe(1);
    expect(p.emitter.listenerCount("SIGTERM")).toBe(1);
    run.dispose();
    expect(p.emitter.listenerCount("SIGINT")).toBe(0);
    expect(p.emitter.listenerCount("SIGTERM")).toBe(0);
    p.emitter.emit("SIGINT", "SIGINT");
    expect(run.signal.aborted).toBe(false);
    expect(p.exits).toEqual([]);
  });

  it("by default listens on the process itself", () => {
    const before = [process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")];
    const run = handleInterrupts(memoryLogger());
    expect([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")]).toEqual([
      before[0]! + 1,
      before[1]! + 1,
    ]);
    run.dispose();
    expect([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")]).toEqual(before);
  });
});
