// Rate limit for requests that fail authentication (no key, a malformed
// key, an unknown or revoked one), per client address. Such a request has
// no API key bucket to spend (TokenBuckets is per key), and each unknown
// key costs a PostgreSQL lookup, so without this anyone could make the
// gateway query its database as fast as they can send random keys.
//
// Each address has a token bucket (burst, then perSecond) spent by every
// failed authentication. While it is empty, ApiKeyGuard answers 429 to that
// address without looking anything up, except for a key it already holds
// in memory as valid: a client behind the same NAT as an attacker keeps
// working as long as its key is cached.
//
// The client address is the connection's peer, or, when that peer is one of
// GATEWAY_TRUSTED_PROXIES (a load balancer in front of the gateway), the
// nearest X-Forwarded-For entry that is not a trusted proxy (clientAddress()).
// IPv6 addresses are counted per /64, the block one host is usually given.
// At most maxAddresses buckets are held (the least recently failed go
// first), so a flood from many addresses cannot grow memory without bound.

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class FailedAuthLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    /** Milliseconds from a monotonic clock; tests pass their own. */
    private readonly now: () => number = () => performance.now(),
    private readonly maxAddresses = 100_000,
  ) {}

  /** Seconds until this address may present an unchecked key again; 0 if it may now. */
  retryAfterSeconds(address: string): number {
    const bucket = this.buckets.get(address);
    if (!bucket) return 0;
    const tokens = this.refilled(bucket);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.perSecond);
  }

  /** A request from this address failed authentication: spend one token. */
  recordFailure(address: string): void {
    const bucket = this.buckets.get(address);
    const tokens = bucket ? this.refilled(bucket) : this.burst;
    this.buckets.delete(address); // re-inserted last: the Map's order is the eviction order
    if (this.buckets.size >= this.maxAddresses) {
      const oldest = this.buckets.keys().next();
      if (!oldest.done) this.buckets.delete(oldest.value);
    }
    this.buckets.set(address, { tokens: Math.max(0, tokens - 1), updatedAt: this.now() });
  }

  get size(): number {
    return this.buckets.size;
  }

  private refilled(bucket: Bucket): number {
    const elapsedSeconds = (this.now() - bucket.updatedAt) / 1000;
    return Math.min(this.burst, bucket.tokens + elapsedSeconds * this.perSecond);
  }
}

/**
 * Who sent the request: the connection's peer, unless it is a trusted proxy;
 * then X-Forwarded-For read from the right (each proxy appends the address
 * it received from), skipping trusted proxies, since anything further left
 * was written by the client and proves nothing.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: ReadonlySet<string>,
): string | undefined {
  if (peer === undefined || trustedProxies.size === 0 || !trustedProxies.has(plain(peer))) {
    return peer;
  }
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? ''))
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    client = hops[i]!;
    if (!trustedProxies.has(plain(client))) break;
  }
  return client;
}

/** An address without the IPv4-mapped prefix, as GATEWAY_TRUSTED_PROXIES lists it. */
function plain(address: string): string {
  return address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
}

/**
 * The key a client address is limited by: IPv4 as it is (also when written
 * IPv4-mapped, ::ffff:a.b.c.d), IPv6 by its first 64 bits.
 */
export function addressKey(remoteAddress: string | undefined): string {
  if (!remoteAddress) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress);
  if (mapped) return mapped[1]!;
  if (!remoteAddress.includes(':')) return remoteAddress;
  const address = remoteAddress.replace(/%.*$/, '').toLowerCase(); // zone id
  const [head = '', tail] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(Math.max(0, missing)).fill('0'), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
