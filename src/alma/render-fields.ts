/**
 * The field updates (alma.updates) in plan.md: counts by field for the headline, then the changes that
 * alter a patron's rights or lifetime first ("Look at these first": status to INACTIVE, user group, an
 * expiry or purge date moved earlier), then the others, from bounded samples within the budget.
 */
import { Budget, budgetTable, code, md, num, plural, ROW_LIMIT } from "../core/markdown.ts";
import { riskOf, writes } from "./field-plan.ts";
import type { AlmaPlanEntry } from "./planfile.ts";
import { UPDATE_FIELDS, type UpdateField } from "./update-fields.ts";
import { CHANGES_CSV } from "./render.ts";

export class FieldTables {
  /** Users with at least one field written. */
  users = 0;
  changed: Partial<Record<UpdateField, number>> = {};
  unchanged: Partial<Record<UpdateField, number>> = {};
  external = 0;
  risky: { e: AlmaPlanEntry; why: string }[] = [];
  riskyCount = 0;
  others: AlmaPlanEntry[] = [];
  othersCount = 0;
  private today = new Date();

  add(e: AlmaPlanEntry): void {
    if (!e.fields?.length || e.action === "failed") return;
    for (const f of e.fields) {
      if (writes(f)) this.changed[f.field] = (this.changed[f.field] ?? 0) + 1;
      else if (f.unchanged) this.unchanged[f.field] = (this.unchanged[f.field] ?? 0) + 1;
    }
    if (!e.fields.some(writes)) return;
    this.users++;
    if (e.override?.length || e.warning?.startsWith("EXTERNAL")) this.external++;
    const why = e.fields
      .map((f) => riskOf(f, this.today))
      .filter(Boolean)
      .join("; ");
    if (why) {
      this.riskyCount++;
      if (this.risky.length < ROW_LIMIT) this.risky.push({ e, why });
    } else {
      this.othersCount++;
      if (this.others.length < ROW_LIMIT) this.others.push(e);
    }
  }

  /**
   * What auto_apply checks (core/auto-apply.ts): the barcode actions as counted, and each field's
   * changes as `update:<field>` (a user counted under every field it changes).
   */
  policyCounts(counts: Record<string, number>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const a of ["add", "deactivate", "replace"]) if (counts[a]) out[a] = counts[a];
    for (const f of UPDATE_FIELDS) if (this.changed[f]) out[`update:${f}`] = this.changed[f];
    return out;
  }

  /** "1,204 update: expiry_date 1,204 · user_group 37 · email 12". */
  headline(): string {
    const by = UPDATE_FIELDS.filter((f) => this.changed[f]).map((f) => `${f} ${num(this.changed[f]!)}`);
    return `${num(this.users)} update${by.length ? `: ${by.join(" · ")}` : ""}`;
  }

  render(budget: Budget = new Budget(Infinity), reserve = 0, file = "", codesNote?: string): string[] {
    const out: string[] = [];
    const put = (l: string) => (budget.force(l), out.push(l));
    put(`### Field updates from ${code(file)}: ${this.headline()}\n`);
    const same = UPDATE_FIELDS.filter((f) => this.unchanged[f]).map((f) => `${f} ${num(this.unchanged[f]!)}`);
    if (same.length) put(`Already at the asked value (\`unchanged\`, not sent): ${same.join(" · ")}.\n`);
    put(
      "Each user is re-read before the write; a field changed in Alma since this plan is skipped (`changed-since-plan`), never overwritten. Only these fields differ in what is sent: roles, PIN, identifiers and every other field go back exactly as Alma has them.\n",
    );
    if (codesNote) put(`${codesNote}\n`);
    if (this.external)
      put(
        `⚠ ${plural(this.external, "EXTERNAL user")} (loaded from the SIS): a later SIS load may restore the fields changed here; correct them in the SIS too (the \`warning\` column of \`${CHANGES_CSV}\`).\n`,
      );
    const row = (e: AlmaPlanEntry, why?: string) =>
      `| ${md(e.primary_id)} | ${md(e.name) || "—"} | ${md(e.user_group) || "—"} |${why === undefined ? "" : ` ${md(why)} |`} ${md(
        e
          .fields!.filter(writes)
          .map((f) => `${f.field}: ${f.before || "(empty)"} → ${f.after}`)
          .join("; "),
      )} |`;
    const section = (title: string, header: string[], rows: string[], total: number) => {
      if (!total) return;
      put(`#### ${title} (${num(total)})\n`);
      const t = budgetTable(header, rows, budget, reserve + 200);
      out.push(...t.lines);
      const more = total - t.shown;
      if (more)
        put(
          `\n${t.shown ? `… and ${num(more)} more` : `${plural(more, "row")}, not shown here`}: see \`${CHANGES_CSV}\`.`,
        );
      put("");
    };
    section(
      "Look at these first: deactivated, user group changed, expiry or purge date moved earlier",
      ["Primary ID", "Name", "User group", "Why", "Fields before → after"],
      this.risky.map(({ e, why }) => row(e, why)),
      this.riskyCount,
    );
    section(
      "Other field updates",
      ["Primary ID", "Name", "User group", "Fields before → after"],
      this.others.map((e) => row(e)),
      this.othersCount,
    );
    return out;
  }
}
