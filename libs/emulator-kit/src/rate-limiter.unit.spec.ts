import { DailyCounter, RollingWindowLimiter } from './rate-limiter';
import { FaultInjector } from './faults';

describe('RollingWindowLimiter', () => {
  it('accepts at most max requests in any rolling window and says when the next one fits', () => {
    const limiter = new RollingWindowLimiter({ max: 2, intervalMs: 1000 });
    expect(limiter.take('k', 0).allowed).toBe(true);
    expect(limiter.take('k', 400).remaining).toBe(0);
    const refused = limiter.take('k', 900);
    expect(refused).toMatchObject({ allowed: false, retryAfterMs: 100 });
    expect(limiter.take('other', 900).allowed).toBe(true);
    expect(limiter.take('k', 1000).allowed).toBe(true);
    expect(limiter.peak()).toEqual({ k: 2, other: 1 });
  });
});

describe('DailyCounter', () => {
  it('counts per UTC day and can give a request back', () => {
    const daily = new DailyCounter(1);
    expect(daily.take('k', 10).allowed).toBe(true);
    expect(daily.take('k', 20).allowed).toBe(false);
    daily.untake('k');
    expect(daily.take('k', 30).allowed).toBe(true);
    expect(daily.take('k', 86_400_000).allowed).toBe(true);
  });
});

describe('FaultInjector', () => {
  it('answers the next N matching requests, or every one for a duration', () => {
    const faults = new FaultInjector();
    faults.add({ status: 503, count: 2, pathPrefix: '/contacts' }, 0);
    expect(faults.take('/oauth/token', 0)).toBeNull();
    expect(faults.take('/contacts/1', 0)).toBe(503);
    expect(faults.take('/contacts/2', 0)).toBe(503);
    expect(faults.take('/contacts/3', 0)).toBeNull();
    faults.add({ status: 429, durationMs: 100 }, 0);
    expect(faults.take('/x', 99)).toBe(429);
    expect(faults.take('/x', 100)).toBeNull();
    expect(faults.injectedCount()).toBe(3);
  });
});
