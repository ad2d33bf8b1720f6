import { TokenBuckets } from './token-bucket';

describe('TokenBuckets', () => {
  it('allows a burst, then refills at the configured rate', () => {
    let now = 0;
    const buckets = new TokenBuckets(2, 3, () => now);
    expect([1, 2, 3].map(() => buckets.take('k').allowed)).toEqual([true, true, true]);
    const refused = buckets.take('k');
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 1 });

    now += 500; // half a second at 2/s: one token back
    expect(buckets.take('k').allowed).toBe(true);
    expect(buckets.take('k').allowed).toBe(false);

    now += 60_000; // never more than the burst
    expect(buckets.take('k')).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('keeps one bucket per key', () => {
    const buckets = new TokenBuckets(1, 1, () => 0);
    expect(buckets.take('a').allowed).toBe(true);
    expect(buckets.take('a').allowed).toBe(false);
    expect(buckets.take('b').allowed).toBe(true);
  });

  it('says how long to wait when the rate is below one a second', () => {
    const buckets = new TokenBuckets(0.25, 1, () => 0);
    buckets.take('k');
    expect(buckets.take('k').retryAfterSeconds).toBe(4);
  });
});
