// Fault injection for the emulators' admin API: "answer the next N requests
// with 503", "answer 429 for the next 5 seconds". Each fault may be limited to
// paths starting with a prefix. Faults are consumed in the order they were set.

export interface FaultSpec {
  /** HTTP status to answer with (429, 500, 502, 503, 504, ...). */
  status: number;
  /** Answer this many matching requests (default 1 when durationMs is unset). */
  count?: number;
  /** Or: answer every matching request for this long. */
  durationMs?: number;
  /** Only requests whose path starts with this. */
  pathPrefix?: string;
}

interface ActiveFault {
  status: number;
  remaining: number | null;
  until: number | null;
  pathPrefix: string | null;
}

export function parseFaultSpec(input: unknown): FaultSpec | string {
  if (typeof input !== 'object' || input === null) return 'body must be a JSON object';
  const o = input as Record<string, unknown>;
  if (!Number.isInteger(o.status) || (o.status as number) < 400 || (o.status as number) > 599)
    return 'status must be an HTTP error status (400-599)';
  if (o.count !== undefined && (!Number.isInteger(o.count) || (o.count as number) < 1))
    return 'count must be a positive integer';
  if (o.durationMs !== undefined && (typeof o.durationMs !== 'number' || o.durationMs <= 0))
    return 'durationMs must be a positive number';
  if (o.pathPrefix !== undefined && typeof o.pathPrefix !== 'string')
    return 'pathPrefix must be a string';
  return {
    status: o.status as number,
    count: o.count as number | undefined,
    durationMs: o.durationMs as number | undefined,
    pathPrefix: o.pathPrefix as string | undefined,
  };
}

export class FaultInjector {
  private faults: ActiveFault[] = [];
  private injected = 0;

  add(spec: FaultSpec, now: number): void {
    const count = spec.count ?? (spec.durationMs === undefined ? 1 : undefined);
    this.faults.push({
      status: spec.status,
      remaining: count ?? null,
      until: spec.durationMs === undefined ? null : now + spec.durationMs,
      pathPrefix: spec.pathPrefix ?? null,
    });
  }

  /** The status to fail this request with, if a fault applies (and consumes it). */
  take(path: string, now: number): number | null {
    this.faults = this.faults.filter((f) => (f.until === null || f.until > now) && f.remaining !== 0);
    const fault = this.faults.find((f) => f.pathPrefix === null || path.startsWith(f.pathPrefix));
    if (!fault) return null;
    if (fault.remaining !== null) fault.remaining--;
    this.injected++;
    return fault.status;
  }

  list(now: number) {
    return this.faults
      .filter((f) => (f.until === null || f.until > now) && f.remaining !== 0)
      .map((f) => ({
        status: f.status,
        remaining: f.remaining,
        untilMs: f.until === null ? null : f.until - now,
        pathPrefix: f.pathPrefix,
      }));
  }

  injectedCount(): number {
    return this.injected;
  }

  clear(): void {
    this.faults = [];
  }

  reset(): void {
    this.faults = [];
    this.injected = 0;
  }
}
