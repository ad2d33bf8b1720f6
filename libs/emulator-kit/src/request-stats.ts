// Counters the emulators keep of what they received, for benchmarks that must
// show a client stayed within the provider's budget: requests per endpoint and
// status, per fixed 10-second window (aligned on the epoch) and per rate-limit
// key, and how many 429s were sent (by the limiter, or injected).

export interface WindowStats {
  start: string;
  count: number;
  status429: number;
  byKey: Record<string, number>;
}

export class RequestStats {
  private since = Date.now();
  private total = 0;
  private readonly byEndpoint = new Map<string, { count: number; byStatus: Record<string, number> }>();
  private readonly windows = new Map<number, WindowStats>();
  private status429 = 0;
  private rateLimited = 0;

  constructor(private readonly windowMs = 10_000) {}

  record(entry: { endpoint: string; status: number; key: string | null; now: number; rateLimited: boolean }): void {
    this.total++;
    let e = this.byEndpoint.get(entry.endpoint);
    if (!e) {
      e = { count: 0, byStatus: {} };
      this.byEndpoint.set(entry.endpoint, e);
    }
    e.count++;
    e.byStatus[entry.status] = (e.byStatus[entry.status] ?? 0) + 1;
    const w0 = Math.floor(entry.now / this.windowMs) * this.windowMs;
    let w = this.windows.get(w0);
    if (!w) {
      w = { start: new Date(w0).toISOString(), count: 0, status429: 0, byKey: {} };
      this.windows.set(w0, w);
    }
    w.count++;
    if (entry.key) w.byKey[entry.key] = (w.byKey[entry.key] ?? 0) + 1;
    if (entry.status === 429) {
      w.status429++;
      this.status429++;
    }
    if (entry.rateLimited) this.rateLimited++;
  }

  snapshot(peakPerRollingWindow: Record<string, number>) {
    return {
      since: new Date(this.since).toISOString(),
      windowMs: this.windowMs,
      total: this.total,
      status429: this.status429,
      rateLimited: this.rateLimited,
      peakPerRollingWindow,
      byEndpoint: Object.fromEntries(this.byEndpoint),
      windows: [...this.windows.entries()].sort((a, b) => a[0] - b[0]).map(([, w]) => w),
    };
  }

  reset(): void {
    this.since = Date.now();
    this.total = 0;
    this.byEndpoint.clear();
    this.windows.clear();
    this.status429 = 0;
    this.rateLimited = 0;
  }
}
