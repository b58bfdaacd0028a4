import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.ts";
import { decideAutoApply as decideWith } from "../../src/core/auto-apply.ts";
import { builtInSystems } from "../../src/systems.ts";

const decideAutoApply = (
  policy: Parameters<typeof decideWith>[0],
  sections: Parameters<typeof decideWith>[1],
  opts?: Parameters<typeof decideWith>[3],
) => decideWith(policy, sections, builtInSystems(), opts);

const policyOf = (yaml: string) => parseConfig(yaml, "patron-sync.yml").auto_apply;
const POLICY = policyOf(
  "auto_apply:\n  alma: { max_changes: 50, actions: [add] }\n  infiniti: { max_changes: 100, actions: [create, update] }\n",
);
const alma = (counts: Record<string, number>) => ({
  system: "alma" as const,
  counts,
  changes: (counts.add ?? 0) + (counts.deactivate ?? 0) + (counts.replace ?? 0),
});
const infiniti = (counts: Record<string, number>, changes?: number) => ({
  system: "infiniti" as const,
  counts,
  changes: changes ?? (counts.create ?? 0) + (counts.update ?? 0) + (counts.disable ?? 0),
});

describe("decideAutoApply", () => {
  it("applies a plan whose every change fits its system's rule, and names the rule", () => {
    const d = decideAutoApply(POLICY, [
      alma({ add: 12, unchanged: 3, "not-found": 1, conflict: 2 }),
      infiniti({ create: 4, update: 6, unchanged: 90 }),
    ]);
    expect(d).toEqual({
      apply: true,
      rule: "alma: 12 add (allowed: add; at most 50); infiniti: 4 create, 6 update (allowed: create, update; at most 100)",
    });
  });

  it("no policy, an empty policy, or a public repository: never", () => {
    expect(decideAutoApply(undefined, [alma({ add: 1 })])).toMatchObject({
      apply: false,
      reason: "there is no auto_apply policy in the config",
    });
    expect(decideAutoApply(policyOf("auto_apply: {}\n"), [alma({ add: 1 })]).apply).toBe(false);
    expect(decideAutoApply(POLICY, [alma({ add: 1 })], { publicRepo: true })).toMatchObject({
      apply: false,
      reason: "the repository is public, where apply is refused",
    });
  });

  it("nothing to change is not applied", () => {
    expect(decideAutoApply(POLICY, [alma({ unchanged: 5 })])).toMatchObject({
      apply: false,
      reason: "the plan has nothing to change",
    });
  });

  it("deactivate, replace and disable are never covered unless listed", () => {
    expect(decideAutoApply(POLICY, [alma({ add: 2, deactivate: 1 })])).toMatchObject({
      apply: false,
      reason: "the Alma plan has 1 deactivate, which auto_apply.alma.actions does not list",
    });
    expect(decideAutoApply(POLICY, [infiniti({ create: 1, disable: 3 })]).reason).toBe(
      "the Infiniti plan has 3 disable, which auto_apply.infiniti.actions does not list",
    );
    const listed = policyOf("auto_apply:\n  alma: { max_changes: 5, actions: [add, deactivate] }\n");
    expect(decideAutoApply(listed, [alma({ add: 2, deactivate: 1 })]).apply).toBe(true);
    // The default actions of a rule that lists none: add for Alma, create and update for Infiniti.
    const defaults = policyOf("auto_apply:\n  alma: { max_changes: 5 }\n  infiniti: { max_changes: 5 }\n");
    expect(defaults).toEqual({
      alma: { max_changes: 5, actions: ["add"] },
      infiniti: { max_changes: 5, actions: ["create", "update"] },
    });
    expect(decideAutoApply(defaults, [alma({ replace: 1 })]).apply).toBe(false);
  });

  it("more than max_changes, or a system without a rule, opens the pull request", () => {
    expect(decideAutoApply(POLICY, [alma({ add: 51 })])).toMatchObject({
      apply: false,
      reason: "the Alma plan sends 51 records, more than auto_apply.alma.max_changes (50)",
    });
    expect(decideAutoApply(POLICY, [alma({ add: 50 })]).apply).toBe(true);
    const almaOnly = policyOf("auto_apply:\n  alma: { max_changes: 50 }\n");
    expect(decideAutoApply(almaOnly, [alma({ add: 1 }), infiniti({ create: 1 })])).toMatchObject({
      apply: false,
      reason: "Infiniti changes are planned and auto_apply has no 'infiniti' rule",
    });
    // A system with a rule but nothing to change does not stand in the way.
    expect(decideAutoApply(almaOnly, [alma({ add: 1 }), infiniti({ unchanged: 9 })]).apply).toBe(true);
  });

  it("an incomplete plan, or records sent beyond the listed actions (full mode), is not applied", () => {
    expect(decideAutoApply(POLICY, [alma({ add: 3, pending: 10 })]).reason).toBe(
      "the Alma plan is not complete (10 pending)",
    );
    expect(decideAutoApply(POLICY, [alma({ add: 3, failed: 1 })]).reason).toBe(
      "the Alma plan is not complete (1 failed)",
    );
    expect(decideAutoApply(POLICY, [infiniti({ create: 1, unchanged: 40 }, 41)])).toMatchObject({
      apply: false,
      reason:
        "the Infiniti plan sends 41 records but only 1 are create/update (the others are not covered by the policy)",
    });
  });

  it("the config refuses an unknown action and a rule without max_changes", () => {
    expect(() => policyOf("auto_apply:\n  alma: { max_changes: 5, actions: [delete] }\n")).toThrow(/actions/);
    expect(() => policyOf("auto_apply:\n  alma: { actions: [add] }\n")).toThrow(/max_changes/);
  });
});

describe("decideAutoApply: Alma field updates (issue #20 §6)", () => {
  const fields = (policyCounts: Record<string, number>, changes: number, counts = { update: changes }) => ({
    system: "alma" as const,
    counts,
    changes,
    policyCounts,
  });

  it("allows field updates by field and count", () => {
    const policy = policyOf("auto_apply:\n  alma: { max_changes: 200, actions: [update:expiry_date] }\n");
    expect(decideAutoApply(policy, [fields({ "update:expiry_date": 150 }, 150)])).toEqual({
      apply: true,
      rule: "alma: 150 update:expiry_date (allowed: update:expiry_date; at most 200)",
    });
    expect(decideAutoApply(policy, [fields({ "update:expiry_date": 250 }, 250)])).toMatchObject({
      apply: false,
      reason: "the Alma plan sends 250 records, more than auto_apply.alma.max_changes (200)",
    });
    expect(
      decideAutoApply(policy, [fields({ "update:expiry_date": 10, "update:email": 2 }, 10)]),
    ).toMatchObject({
      apply: false,
      reason: "the Alma plan has 2 update:email, which auto_apply.alma.actions does not list",
    });
  });

  it("a user group change or a status change is never auto-applied unless listed by name", () => {
    const general = policyOf("auto_apply:\n  alma: { max_changes: 200, actions: [add, update] }\n");
    expect(
      decideAutoApply(general, [fields({ add: 2, "update:expiry_date": 5, "update:purge_date": 5 }, 7)]),
    ).toMatchObject({ apply: true });
    expect(
      decideAutoApply(general, [
        fields({ "update:expiry_date": 5, "update:status": 1, "update:user_group": 3 }, 5),
      ]),
    ).toEqual({
      apply: false,
      reason:
        "the Alma plan has 1 update:status, 3 update:user_group, which auto_apply.alma.actions does not list (update:status, update:user_group must be listed by name)",
    });
    const named = policyOf(
      "auto_apply:\n  alma: { max_changes: 200, actions: [update, update:user_group] }\n",
    );
    expect(
      decideAutoApply(named, [fields({ "update:expiry_date": 5, "update:user_group": 3 }, 5)]),
    ).toMatchObject({
      apply: true,
    });
  });

  it("the config knows the field actions and refuses others", () => {
    expect(
      policyOf("auto_apply:\n  alma: { max_changes: 5, actions: [update:campus_code] }\n")?.alma?.actions,
    ).toEqual(["update:campus_code"]);
    expect(() => policyOf("auto_apply:\n  alma: { max_changes: 5, actions: [update:colour] }\n")).toThrow();
  });
});
