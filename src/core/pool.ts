/**
 * Runs `work(i)` for i in [0, total) with at most `concurrency` at once. Stops taking new items
 * when `shouldStop()` turns true or the signal aborts; items in flight finish.
 * (Pacing is the transport's job; this only bounds how much is in flight and in memory.)
 */
export async function runPool(
  total: number,
  concurrency: number,
  work: (i: number) => Promise<void>,
  opts: { signal?: AbortSignal; shouldStop?: () => boolean; skip?: (i: number) => boolean } = {},
): Promise<{ started: number }> {
  let next = 0;
  let started = 0;
  const worker = async () => {
    for (;;) {
      if (opts.signal?.aborted || opts.shouldStop?.()) return;
      const i = next++;
      if (i >= total) return;
      if (opts.skip?.(i)) continue;
      started++;
      await work(i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, total)) }, worker));
  return { started };
}
