// Injected faults: "the next N requests answer 429", "every request fails
// with 503 for 2 s". A fault applies to API and OAuth requests (never to the
// admin API) whose path starts with its prefix; the oldest active fault wins.

export interface FaultSpec {
  status: number;
  /** How many requests it answers; absent with durationMs = all of them until it ends. */
  count?: number;
  durationMs?: number;
  /** Retry-After (seconds) on a 429. */
  retryAfterSeconds?: number;
  pathPrefix?: string;
}

export interface Fault extends FaultSpec {
  id: number;
  remaining: number;
  until: number | null;
}

export class Faults {
  private faults: Fault[] = [];
  private nextId = 1;

  add(spec: FaultSpec, now: number): Fault {
    const fault: Fault = {
      ...spec,
      id: this.nextId++,
      remaining: spec.count ?? (spec.durationMs === undefined ? 1 : Number.POSITIVE_INFINITY),
      until: spec.durationMs === undefined ? null : now + spec.durationMs,
    };
    this.faults.push(fault);
    return fault;
  }

  /** The fault this request meets, if any (it uses up one of the fault's requests). */
  take(path: string, now: number): Fault | null {
    this.faults = this.faults.filter((f) => f.remaining > 0 && (f.until === null || f.until > now));
    const fault = this.faults.find((f) => path.startsWith(f.pathPrefix ?? '/'));
    if (!fault) return null;
    fault.remaining -= 1;
    return fault;
  }

  list(): Fault[] {
    return [...this.faults];
  }

  clear(): void {
    this.faults = [];
  }
}

/** Validates an admin request body into a fault spec, or says what is wrong. */
export function parseFaultSpec(body: Record<string, unknown>): FaultSpec | string {
  const { status, count, durationMs, retryAfterSeconds, pathPrefix } = body;
  if (typeof status !== 'number' || status < 400 || status > 599)
    return 'status must be a number from 400 to 599';
  if (count !== undefined && (!Number.isInteger(count) || (count as number) < 1))
    return 'count must be a positive integer';
  if (durationMs !== undefined && (typeof durationMs !== 'number' || durationMs <= 0))
    return 'durationMs must be a positive number';
  if (
    retryAfterSeconds !== undefined &&
    (typeof retryAfterSeconds !== 'number' || retryAfterSeconds < 0)
  )
    return 'retryAfterSeconds must be a number ≥ 0';
  if (pathPrefix !== undefined && typeof pathPrefix !== 'string')
    return 'pathPrefix must be a string';
  return {
    status,
    count: count as number | undefined,
    durationMs: durationMs as number | undefined,
    retryAfterSeconds: retryAfterSeconds as number | undefined,
    pathPrefix: pathPrefix as string | undefined,
  };
}
