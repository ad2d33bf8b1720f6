import { TokenBucket, type Clock } from './token-bucket';

/** A clock that only moves when a caller sleeps, so tests run instantly. */
function manualClock(): Clock & { t: number } {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

/** The most calls that went out in any window of `windowMs` (sliding). */
function maxInWindow(times: number[], windowMs: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('TokenBucket', () => {
  it.each([
    ['HubSpot', 190, 10_000],
    ['GoHighLevel', 100, 10_000],
    ['HubSpot search', 4, 1_000],
  ])('never lets more than 90%% of the %s budget through in any window', async (_name, requests, intervalMs) => {
    const clock = manualClock();
    const bucket = new TokenBucket({ requests, intervalMs }, 0.9, clock);
    const times: number[] = [];
    for (let i = 0; i < requests * 5; i++) {
      await bucket.take();
      times.push(clock.t);
    }
    const allowed = Math.floor(requests * 0.9);
    expect(maxInWindow(times, intervalMs)).toBeLessThanOrEqual(allowed);
    // ...and uses the share: the sustained rate is the share less the burst reserve.
    const perInterval = times.length / (clock.t / intervalMs);
    const burst = Math.max(1, Math.floor(allowed * 0.1));
    expect(perInterval).toBeGreaterThanOrEqual((allowed - burst) * 0.95);
  });

  it('refuses a share above 90% of the budget', () => {
    expect(() => new TokenBucket({ requests: 100, intervalMs: 1000 }, 1)).toThrow(/at most 90%/);
  });

  it('waits out a pause (Retry-After) before the next call', async () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ requests: 100, intervalMs: 10_000 }, 0.9, clock);
    await bucket.take();
    bucket.pause(3_000);
    expect(bucket.tryTake()).toBe(false);
    await bucket.take();
    expect(clock.t).toBeGreaterThanOrEqual(3_000);
  });

  it('serves waiting callers in order', async () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ requests: 10, intervalMs: 1_000 }, 0.9, clock);
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4, 5].map((n) => bucket.take().then(() => order.push(n))));
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });
});
