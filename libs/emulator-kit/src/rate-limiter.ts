// Rolling-window rate limits as the CRM providers document them: at most
// `max` accepted requests in any window of `intervalMs` per key, plus a daily
// allowance per key. Refused requests do not use up the allowance. Pure
// bookkeeping over a `now` the caller passes, so tests need no clock.

export interface WindowLimit {
  max: number;
  intervalMs: number;
}

export interface LimitDecision {
  allowed: boolean;
  max: number;
  remaining: number;
  intervalMs: number;
  /** Milliseconds until one more request would be accepted (0 when allowed). */
  retryAfterMs: number;
}

export class RollingWindowLimiter {
  private readonly accepted = new Map<string, number[]>();
  /** Highest number of accepted requests seen in one rolling window, per key. */
  private readonly peaks = new Map<string, number>();

  constructor(private limit: WindowLimit) {}

  setLimit(limit: WindowLimit): void {
    this.limit = limit;
  }

  getLimit(): WindowLimit {
    return this.limit;
  }

  take(key: string, now: number): LimitDecision {
    const { max, intervalMs } = this.limit;
    const times = this.prune(key, now);
    if (times.length >= max) {
      const retryAfterMs = Math.max(1, times[times.length - max]! + intervalMs - now);
      return { allowed: false, max, remaining: 0, intervalMs, retryAfterMs };
    }
    times.push(now);
    if (times.length > (this.peaks.get(key) ?? 0)) this.peaks.set(key, times.length);
    return { allowed: true, max, remaining: max - times.length, intervalMs, retryAfterMs: 0 };
  }

  peak(): Record<string, number> {
    return Object.fromEntries(this.peaks);
  }

  reset(): void {
    this.accepted.clear();
    this.peaks.clear();
  }

  private prune(key: string, now: number): number[] {
    let times = this.accepted.get(key);
    if (!times) {
      times = [];
      this.accepted.set(key, times);
    }
    const from = now - this.limit.intervalMs;
    let drop = 0;
    while (drop < times.length && times[drop]! <= from) drop++;
    if (drop > 0) times.splice(0, drop);
    return times;
  }
}

/** Requests per key per UTC day. */
export class DailyCounter {
  private readonly counts = new Map<string, { day: number; count: number }>();

  constructor(private max: number) {}

  setMax(max: number): void {
    this.max = max;
  }

  getMax(): number {
    return this.max;
  }

  /** Counts the request if the day's allowance is not used up. */
  take(key: string, now: number): { allowed: boolean; max: number; remaining: number; resetMs: number } {
    const day = Math.floor(now / 86_400_000);
    let entry = this.counts.get(key);
    if (!entry || entry.day !== day) {
      entry = { day, count: 0 };
      this.counts.set(key, entry);
    }
    const resetMs = (day + 1) * 86_400_000 - now;
    if (entry.count >= this.max) return { allowed: false, max: this.max, remaining: 0, resetMs };
    entry.count++;
    return { allowed: true, max: this.max, remaining: this.max - entry.count, resetMs };
  }

  /** Gives back a request counted by `take` that another limit then refused. */
  untake(key: string): void {
    const entry = this.counts.get(key);
    if (entry && entry.count > 0) entry.count--;
  }

  reset(): void {
    this.counts.clear();
  }
}
