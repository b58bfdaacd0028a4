/**
 * The plan's warning for External barcodes: where a change sets INACTIVE or removes a barcode whose
 * segment_type is External (it came from the SIS load), a later SIS load may restore it. Shown in
 * plan.md after the Alma tables, and per patron in alma/plan.json (`warning`, `external_affected`).
 */
import type { AlmaPlanEntry } from "./planfile.ts";
import { md, ROW_LIMIT } from "./render.ts";

export class ExternalWarnings {
  private rows: AlmaPlanEntry[] = [];
  count = 0;
  add(e: AlmaPlanEntry): void {
    if (!e.warning || !e.external_affected?.length) return;
    this.count++;
    if (this.rows.length < ROW_LIMIT) this.rows.push(e);
  }
  headline(): string {
    const n = this.count;
    return `${n} change${n === 1 ? "" : "s"} set INACTIVE or remove an External barcode (from the SIS load): a later SIS load may restore ${n === 1 ? "it" : "them"}; correct the barcodes in the SIS too`;
  }
  /** The plan.md section, or "" when no change touches an External barcode. */
  render(): string {
    if (!this.count) return "";
    const out = [
      "### ⚠ External barcodes: a SIS load may restore them\n",
      `${this.headline()}. External identifiers are loaded from the student information system; this plan changes them only in Alma.\n`,
      "| Primary ID | Action | External barcode(s) | New barcode |",
      "|---|---|---|---|",
      ...this.rows.map(
        (e) =>
          `| ${md(e.primary_id)} | \`${e.action}\` | ${md(e.external_affected!.join(", "))} | ${md(e.new_barcode)} |`,
      ),
    ];
    if (this.count > this.rows.length)
      out.push(`\n… and ${this.count - this.rows.length} more: see \`warning\` in \`alma/plan.json\`.`);
    return out.join("\n") + "\n";
  }
}
