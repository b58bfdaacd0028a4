/**
 * Before the first call of an apply, every selected system's preflight passes: its credentials are
 * set, its addresses are allowed (and are the ones the plan showed), and its plan files follow from
 * the plan's data (src/core/integrity.ts; a revert plan's, from the reverted plan's results:
 * src/core/revert.ts). Every problem of every system is reported at once, as one
 * InputError (exit 2): then nothing at all has been sent.
 */
import { relative, resolve } from "node:path";
import { InputError } from "./errors.ts";
import { activeHolds, type Holds } from "./holds.ts";
import { openPlanData, type OpenPlanDataOptions, type PlanData } from "./integrity.ts";
import { readManifest, type Manifest } from "./plandir.ts";
import type { System } from "./system.ts";
import type { RunContext } from "./types.ts";

/** What each system's preflight returned, by system name: what its apply is given. */
export type Prepared = Map<string, unknown>;

export interface PreflightFrom {
  /** The plan's data, already opened (src/core/run.ts opens a plan made from a commit first). */
  data?: PlanData;
  /** A revert: the reverted plan directory as committed on the default branch (src/core/mainline.ts). */
  revertedDir?: string;
}

export async function preflight(
  ctx: RunContext,
  manifest: Manifest,
  systems: readonly System[],
  opts: OpenPlanDataOptions,
  from: PreflightFrom = {},
): Promise<Prepared> {
  let opened: Promise<PlanData> | undefined = from.data && Promise.resolve(from.data);
  const data = () => (opened ??= openPlanData(ctx.loaded, ctx.planDir, manifest, opts));
  const revert = manifest.kind === "revert";
  // A revert writes to the addresses the reverted plan wrote to.
  const endpoints = revert
    ? readManifest(from.revertedDir ?? resolve(ctx.loaded.root, manifest.reverts ?? "")).endpoints
    : manifest.endpoints;
  const prepared: Prepared = new Map();
  const problems: InputError[] = [];
  // The revert holds at the plan's data, so that a re-derivation skips what the plan skipped.
  const plansDir = relative(ctx.loaded.root, resolve(ctx.loaded.root, ctx.loaded.config.plans_dir));
  for (const s of systems) {
    let held: Promise<Holds> | undefined;
    const holds = () => (held ??= data().then((d) => activeHolds(d.tree, plansDir, s)));
    try {
      prepared.set(
        s.name,
        await s.preflight(ctx, { data, revert, plannedEndpoint: endpoints?.[s.name], holds }),
      );
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      // The same refusal of the plan's data is reported once, not once per system.
      if (!problems.some((p) => p.message === e.message)) problems.push(e);
    }
  }
  if (problems.length) throw new InputError(problems.flatMap((p) => p.problems));
  return prepared;
}
