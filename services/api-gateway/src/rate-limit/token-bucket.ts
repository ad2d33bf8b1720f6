// Per-API-key token buckets: each key may make `burst` requests at once and
// `perSecond` requests a second on average after that.
//
// The buckets live in this process's memory. With one gateway instance that
// is exact and costs nothing per request. With several instances behind a
// load balancer each would grant the full rate, so a client could get N
// times its limit: then keep the buckets in a shared store (a Redis script
// that refills and takes a token atomically, or a PostgreSQL row updated
// with UPDATE ... RETURNING), or route each key to one instance.

export interface BucketDecision {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Seconds until a request would be allowed again (0 if allowed). */
  retryAfterSeconds: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    /** Milliseconds from a monotonic clock; tests pass their own. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  take(key: string): BucketDecision {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, updatedAt: now };
    const elapsedSeconds = (now - bucket.updatedAt) / 1000;
    bucket.tokens = Math.min(this.burst, bucket.tokens + elapsedSeconds * this.perSecond);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);

    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    return {
      allowed,
      remaining: Math.floor(bucket.tokens),
      retryAfterSeconds: allowed ? 0 : Math.ceil((1 - bucket.tokens) / this.perSecond),
      resetSeconds: Math.ceil((this.burst - bucket.tokens) / this.perSecond),
    };
  }
}
