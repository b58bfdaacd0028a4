/**
 * The Infiniti plan (offline: no call to Infiniti): validate the roster, compare it with the
 * applied state, and write `infiniti/import.csv` (the bytes to post) and `infiniti/plan.json`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "../core/errors.ts";
import type { RunContext, SectionPlan } from "../core/types.ts";
import { countActions, diffRoster } from "./diff.ts";
import {
  buildImportCsv,
  IMPORT_FILE,
  INFINITI_DIR,
  PLAN_FILE,
  planDirOf,
  ROW_NUMBERING,
  type InfinitiPlanFile,
} from "./planfile.ts";
import { infinitiChangesCsv } from "./changes.ts";
import { CHANGES_CSV, infinitiHeadline, renderInfinitiPlan, type PlanRenderInput } from "./render.ts";
import { readState } from "./state.ts";
import { validateInfiniti } from "./validate.ts";
import { sha256 } from "./values.ts";
import { infinitiConfigOf } from "./config.ts";

export async function planInfiniti(ctx: RunContext): Promise<SectionPlan> {
  const cfg = infinitiConfigOf(ctx.loaded);
  if (!cfg)
    throw new InputError({ file: ctx.loaded.path, message: "there is no 'infiniti' section in the config" });
  const roster = await validateInfiniti(ctx.loaded);
  const state = await readState(ctx.loaded);
  const { users, missing } = diffRoster(roster, state, {
    mode: cfg.mode,
    disableMissing: cfg.disable_missing,
    holds: ctx.holds,
  });
  const { csv, rows } = buildImportCsv(roster.header, users);
  const counts = countActions(users);
  const changes = rows.size;
  const importSha = sha256(csv);

  const plan: InfinitiPlanFile = {
    system: "infiniti",
    version: 1,
    created: new Date().toISOString(),
    mode: cfg.mode,
    disable_missing: cfg.disable_missing,
    roster: { file: roster.file, sha256: roster.sha256, users: roster.rows.length },
    state: {
      file: state.file,
      existed: state.exists,
      sha256: state.sha256 ?? null,
      users: state.users.size,
      missing,
    },
    import: {
      file: `${INFINITI_DIR}/${IMPORT_FILE}`,
      sha256: importSha,
      rows: changes,
      columns: roster.header,
      line_endings: "LF",
      row_numbering: ROW_NUMBERING,
    },
    counts,
    sent: changes,
    // No values here: plan.json never holds a password (changes carry ••• for it).
    users: users.map((u) => ({
      username: u.username,
      action: u.action,
      sent: u.sent,
      ...(rows.has(u) ? { import_row: rows.get(u) } : {}),
      ...(u.line !== undefined ? { line: u.line } : {}),
      changes: u.changes,
      ...(u.held_by !== undefined ? { held_by: u.held_by } : {}),
    })),
  };
  const dir = planDirOf(ctx.planDir);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, IMPORT_FILE), csv);
  await writeFile(join(dir, PLAN_FILE), JSON.stringify(plan, null, 1) + "\n");
  await writeFile(join(ctx.planDir, CHANGES_CSV), infinitiChangesCsv(roster.header, users).csv);

  const headline = infinitiHeadline(counts, changes, cfg.mode);
  ctx.log.info(
    `infiniti: ${headline}; ${Object.entries(counts)
      .map(([k, v]) => `${v} ${k}`)
      .join(", ")}`,
  );
  const view: PlanRenderInput = {
    rosterFile: roster.file,
    rosterUsers: roster.rows.length,
    stateFile: state.file,
    stateExists: state.exists,
    stateUsers: state.users.size,
    missing,
    mode: cfg.mode,
    disableMissing: cfg.disable_missing,
    counts,
    changes,
    importSha256: importSha,
    users,
    importRows: rows,
    columns: roster.header,
  };
  const render = (budget: number) => renderInfinitiPlan(view, budget);
  return {
    system: "infiniti",
    counts,
    changes,
    headline,
    markdown: render(ctx.markdownBudget ?? Infinity),
    render,
    files: [`${INFINITI_DIR}/${IMPORT_FILE}`, `${INFINITI_DIR}/${PLAN_FILE}`, CHANGES_CSV],
  };
}
