/**
 * The Alma simulator's rate and quota: the per-second threshold and the daily threshold that
 * X-Exl-Api-Remaining counts down.
 *
 * DOCUMENTED: 25 calls a second per institution and X-Exl-Api-Remaining (calls left today) [Developer
 * Network "API threshold" page, as the project brief records it]; 429 PER_SECOND_THRESHOLD [fixtures
 * errors/per_second_threshold.*].
 * ASSUMPTIONS: the rolling one-second window for the per-second limit; how X-Exl-Api-Remaining counts
 * down; the DAILY_THRESHOLD status (429). See alma.ts for the full list.
 */
export class RateLimits {
  perSecondLimit: number;
  dailyLimit: number;
  remaining: number;
  private day: number;
  /** Times of the last `perSecondLimit` accepted calls (a ring). */
  private window: number[] = [];
  private windowNext = 0;

  constructor(perSecondLimit: number, dailyLimit: number, now: number) {
    this.perSecondLimit = perSecondLimit;
    this.dailyLimit = dailyLimit;
    this.remaining = dailyLimit;
    this.day = Math.floor(now / 86_400_000);
  }

  /** Per-second threshold: at most `perSecondLimit` accepted calls in any rolling second. */
  underPerSecondLimit(now: number): boolean {
    if (this.perSecondLimit <= 0) return false;
    if (this.window.length < this.perSecondLimit) {
      this.window.push(now);
      return true;
    }
    const oldest = this.window[this.windowNext]!;
    if (now - oldest < 1000) return false;
    this.window[this.windowNext] = now;
    this.windowNext = (this.windowNext + 1) % this.perSecondLimit;
    return true;
  }

  rollDay(now: number): void {
    const d = Math.floor(now / 86_400_000);
    if (d !== this.day) {
      this.day = d;
      this.remaining = this.dailyLimit;
    }
  }

  /** Changes the limits; `remaining` sets the calls left today. */
  set(l: { perSecondLimit?: number; dailyLimit?: number; remaining?: number }): void {
    if (l.perSecondLimit !== undefined) {
      this.perSecondLimit = l.perSecondLimit;
      this.window = [];
      this.windowNext = 0;
    }
    if (l.dailyLimit !== undefined) {
      this.dailyLimit = l.dailyLimit;
      this.remaining = Math.min(this.remaining, this.dailyLimit);
    }
    if (l.remaining !== undefined) this.remaining = l.remaining;
  }
}
