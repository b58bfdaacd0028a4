/**
 * The plan's warning for External barcodes: where a change sets INACTIVE or removes a barcode whose
 * segment_type is External (it came from the SIS load), a later SIS load may restore it. Shown in
 * plan.md after the Alma tables, and per patron in alma/plan.json (`warning`, `external_affected`).
 */
import type { AlmaPlanEntry } from "./planfile.ts";
import { Budget, budgetTable, md, num, plural, ROW_LIMIT } from "../core/markdown.ts";

/** Collected while the plan streams: the count, and the first ROW_LIMIT rows already rendered. */
export class ExternalWarnings {
  private rows: string[] = [];
  count = 0;
  add(e: AlmaPlanEntry): void {
    if (!e.warning || !e.external_affected?.length) return;
    this.count++;
    if (this.rows.length < ROW_LIMIT)
      this.rows.push(
        `| ${md(e.primary_id)} | ${md(e.name) || "—"} | \`${e.action}\` | ${md(e.external_affected.join(", "))} | ${md(e.new_barcode)} |`,
      );
  }
  headline(): string {
    const n = this.count;
    return `${plural(n, "change")} ${n === 1 ? "sets INACTIVE or removes" : "set INACTIVE or remove"} an External barcode (from the SIS load): a later SIS load may restore ${n === 1 ? "it" : "them"}; correct the barcodes in the SIS too`;
  }
  /** The plan.md section within `budget` (keeping `reserve` free), or [] when no change touches an External barcode. */
  render(budget: Budget = new Budget(Infinity), reserve = 0): string[] {
    if (!this.count) return [];
    const head = [
      `### ⚠ External barcodes: a SIS load may restore them (${num(this.count)})\n`,
      `${this.headline()}. External identifiers are loaded from the student information system; this plan changes them only in Alma.\n`,
    ];
    head.forEach((h) => budget.force(h));
    const t = budgetTable(
      ["Primary ID", "Name", "Action", "External barcode(s)", "New barcode"],
      this.rows,
      budget,
      // At most a third of what is left: the other risky rows must still have room.
      reserve + Math.floor((budget.left - reserve) * (2 / 3)),
    );
    const out = [...head, ...t.lines];
    const more = this.count - t.shown;
    if (more) {
      const line = `\n${t.shown ? `… and ${num(more)} more` : `${plural(more, "change")}, not shown here`}: see the \`warning\` column of \`alma/changes.csv\`.`;
      budget.force(line);
      out.push(line);
    }
    out.push("");
    return out;
  }
}
