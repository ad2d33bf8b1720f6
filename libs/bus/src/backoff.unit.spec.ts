import { backoffDelay, sleep } from './backoff';

describe('backoffDelay', () => {
  const options = { initialMs: 100, maxMs: 5_000 };

  it('doubles from the initial delay, with at most 20 % jitter below', () => {
    for (const [attempt, full] of [
      [1, 100],
      [2, 200],
      [3, 400],
      [6, 3_200],
    ]) {
      const delay = backoffDelay(attempt, options);
      expect(delay).toBeLessThanOrEqual(full);
      expect(delay).toBeGreaterThanOrEqual(full * 0.8);
    }
  });

  it('never exceeds the cap, even after very many attempts', () => {
    expect(backoffDelay(7, options)).toBeLessThanOrEqual(5_000);
    expect(backoffDelay(10_000, options)).toBeLessThanOrEqual(5_000);
    expect(backoffDelay(10_000, options)).toBeGreaterThanOrEqual(4_000);
  });
});

describe('sleep', () => {
  it('ends early when its signal aborts', async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await expect(slept).resolves.toBeUndefined();
  });
});
