/**
 * "Did you mean …?": the known name nearest to a misspelt one (a roster column, a config key), by edit
 * distance, when exactly one is near enough to be a plausible slip.
 */

/** Levenshtein edit distance (insertions, deletions, substitutions each cost 1). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (!a.length) return b.length;
  if (!b.length) return a.length;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The one known name within `maxDistance(name, known)` edits of `name` (at most 2, or a quarter of the
 * longer name's letters), or undefined when none is, or when two or more are equally near.
 */
export function nearestName(
  name: string,
  known: Iterable<string>,
  maxDistance = (a: string, b: string) => Math.max(2, Math.floor(Math.max(a.length, b.length) / 4)),
): string | undefined {
  let best: string[] = [];
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d > maxDistance(name, k)) continue;
    if (d < bestDistance) [best, bestDistance] = [[k], d];
    else if (d === bestDistance) best.push(k);
  }
  return best.length === 1 ? best[0] : undefined;
}
