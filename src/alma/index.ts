/**
 * Alma barcode repair as a patron-sync system (src/core/system.ts): read the listed patrons from the
 * Alma Users API, plan each barcode change (alma/plan.json, changes.csv, the XML as fetched and as it
 * will be sent), and PUT each changed user back after re-reading it.
 */
import { withStreamingHeap } from "../core/heap.ts";
import type { System } from "../core/system.ts";
import { applyAlma, type AlmaApplyDeps } from "./apply.ts";
import { ALMA_CHANGING, ALMA_LISTED_ONLY, almaConfigOf, almaSection } from "./config.ts";
import { planAlma, readAlmaInputs, type AlmaPlanDeps } from "./plan.ts";
import { planRecordIds } from "./planfile.ts";
import { prepareAlmaApply } from "./preflight.ts";
import type { AlmaDerivation } from "./rederive.ts";
import { patronsLabel } from "./report-patrons.ts";
import { almaRevertHolds, almaWritten, checkAlmaRevert, planAlmaRevert } from "./revert.ts";
import { updatesSummary } from "./updates.ts";
import { NO_ALMA_SETTINGS, type AlmaSettings } from "./settings.ts";

/** Test and benchmark seams: inject the transport, the inputs, the Analytics wait. */
export type AlmaDeps = AlmaPlanDeps & AlmaApplyDeps;

/** The Alma system, with its settings (credentials, address, proxies) resolved at the edge. */
export function almaSystem(
  settings: AlmaSettings = NO_ALMA_SETTINGS,
  deps: AlmaDeps = {},
): System<AlmaDerivation | undefined> {
  return {
    name: "alma",
    label: "Alma",
    longLabel: "Alma",
    config: almaSection,
    changing: ALMA_CHANGING,
    listedOnly: ALMA_LISTED_ONLY,
    // The users as fetched and as they would be written, and an Analytics report's rows (names, user groups).
    recordFiles: ["all_patrons.xml", "processed_results.xml", "patrons.csv"],
    promise: "each Alma user is re-read first and skipped if it changed since",
    idLabel: "Primary ID",
    inputFiles(loaded) {
      const alma = almaConfigOf(loaded);
      if (!alma) return [];
      return [
        // An Analytics report (alma.patrons: { analytics }) is no file: its rows are kept in the plan directory.
        ...(typeof alma.patrons === "string" ? [{ role: "alma.patrons", path: alma.patrons }] : []),
        ...(alma.barcodes ? [{ role: "alma.barcodes", path: alma.barcodes }] : []),
        ...(alma.updates ? [{ role: "alma.updates", path: alma.updates }] : []),
      ];
    },
    // Reading 100,000 rows makes much short-lived garbage: under V8's default heap growth the heap
    // reached 274 MB here, before the plan began (src/core/heap.ts).
    validate: (loaded) => withStreamingHeap(() => validateAlma(loaded)),
    plan: (ctx) => withStreamingHeap(() => planAlma(ctx, settings, deps)),
    preflight: (ctx, { data, revert }) =>
      withStreamingHeap(() => prepareAlmaApply(ctx, data, revert, settings)),
    apply: (ctx, derivation) => withStreamingHeap(() => applyAlma(ctx, derivation, settings, deps)),
    planRecordIds,
    revert: { plan: planAlmaRevert, check: checkAlmaRevert, holds: almaRevertHolds, written: almaWritten },
  };
}

async function validateAlma(loaded: Parameters<System["validate"]>[0]): Promise<string> {
  const alma = almaConfigOf(loaded)!;
  const { patrons, barcodes, updates } = await readAlmaInputs(loaded);
  const parts: string[] = [];
  if (alma.patrons)
    parts.push(
      `${patronsLabel(alma)}: ` +
        (patrons
          ? `${patrons.entries.length} patrons` +
            (patrons.duplicates.length ? ` (${patrons.duplicates.length} listed more than once)` : "")
          : "read from Alma when planning"),
    );
  if (barcodes)
    parts.push(
      `${alma.barcodes}: ${barcodes.count} barcodes` +
        (barcodes.conflicts.size
          ? ` (${barcodes.conflicts.size} employee IDs in conflict, not applied)`
          : ""),
    );
  if (updates) parts.push(updatesSummary(updates));
  return parts.join("; ");
}
