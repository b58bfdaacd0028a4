/**
 * Links each call's own signal to the caller's, with ONE listener on the caller's signal however many calls
 * share it (a run passes the same signal to every call; Node warns past 10 listeners on one signal).
 */
export class SignalLinks {
  private readonly links = new Map<AbortSignal, { calls: Set<AbortController>; onAbort: () => void }>();

  link(outer: AbortSignal | undefined): { signal: AbortSignal | undefined; unlink: () => void } {
    if (!outer) return { signal: undefined, unlink: () => undefined };
    const ac = new AbortController();
    if (outer.aborted) {
      ac.abort(outer.reason);
      return { signal: ac.signal, unlink: () => undefined };
    }
    let entry = this.links.get(outer);
    if (!entry) {
      const calls = new Set<AbortController>();
      const onAbort = () => {
        this.links.delete(outer);
        for (const c of calls) c.abort(outer.reason);
      };
      entry = { calls, onAbort };
      this.links.set(outer, entry);
      outer.addEventListener("abort", onAbort, { once: true });
    }
    const { calls, onAbort } = entry;
    calls.add(ac);
    return {
      signal: ac.signal,
      unlink: () => {
        calls.delete(ac);
        if (calls.size === 0 && this.links.get(outer)?.calls === calls) {
          this.links.delete(outer);
          outer.removeEventListener("abort", onAbort);
        }
      },
    };
  }
}
