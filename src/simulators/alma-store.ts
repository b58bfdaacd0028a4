/**
 * The Alma simulator's user store: lookup by primary ID or any identifier. ASSUMPTION: identifiers match
 * case-insensitively (true in Alma only for institutions whose first test load was after June 2018); see alma.ts.
 */
import { identifyingValues, normalizeUser, userFromJson, userFromXml, type AlmaUser } from "./alma-model.ts";
import type { SeedUser } from "./alma-seed.ts";

export class UserStore {
  /** Lower-cased primary ID → user. */
  private readonly users = new Map<string, AlmaUser>();
  /** Lower-cased identifying value (primary ID or identifier value) → lower-cased primary ID. */
  private readonly index = new Map<string, string>();

  get size(): number {
    return this.users.size;
  }

  all(): IterableIterator<AlmaUser> {
    return this.users.values();
  }

  keyOf(u: AlmaUser): string {
    return u.primaryId.trim().toLowerCase();
  }

  find(id: string, userIdType = "all_unique"): AlmaUser | undefined {
    const value = id.trim().toLowerCase();
    const owner = this.index.get(value);
    const user = owner === undefined ? undefined : this.users.get(owner);
    if (!user) return undefined;
    const type = userIdType.trim().toLowerCase();
    if (type === "" || type === "all_unique") return user;
    return user.identifiers.some(
      (i) => i.idType.trim().toLowerCase() === type && i.value.trim().toLowerCase() === value,
    )
      ? user
      : undefined;
  }

  /** The first identifying value of `u` held by a user other than `selfKey`. */
  conflict(u: AlmaUser, selfKey?: string): { value: string; type: string } | undefined {
    const candidates: { value: string; type: string }[] = [{ value: u.primaryId, type: "primary_id" }];
    for (const i of u.identifiers) candidates.push({ value: i.value, type: i.idType });
    for (const c of candidates) {
      const v = c.value.trim().toLowerCase();
      if (!v) continue;
      const owner = this.index.get(v);
      if (owner !== undefined && owner !== selfKey) return c;
    }
    return undefined;
  }

  /** Stores `u`, replacing the user stored under `oldKey` (if any). Call conflict() first. */
  put(u: AlmaUser, oldKey?: string): void {
    if (oldKey !== undefined) this.delete(oldKey);
    const key = this.keyOf(u);
    this.users.set(key, u);
    for (const v of identifyingValues(u)) if (!this.index.has(v)) this.index.set(v, key);
  }

  delete(key: string): boolean {
    const u = this.users.get(key);
    if (!u) return false;
    for (const v of identifyingValues(u)) if (this.index.get(v) === key) this.index.delete(v);
    this.users.delete(key);
    return true;
  }
}

export function seedToUser(seed: SeedUser): AlmaUser {
  if ("xml" in seed && typeof seed.xml === "string") return userFromXml(seed.xml);
  if ("json" in seed && seed.json !== undefined) return userFromJson(seed.json);
  return normalizeUser(seed as Parameters<typeof normalizeUser>[0]);
}
