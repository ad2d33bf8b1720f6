import { decideRetry, DEFAULT_RETRY_POLICY, parseRetryAfter, type RetryPolicy } from './retry-policy';

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000, defaultRetryAfterMs: 10_000 };
const http = (status: number, retryAfterSeconds: number | null = null) =>
  ({ kind: 'http', status, retryAfterSeconds, message: 'boom' }) as const;

describe('decideRetry', () => {
  it('waits what Retry-After says on a 429', () => {
    expect(decideRetry(http(429, 7), 1, policy)).toEqual({
      action: 'retry',
      delayMs: 7_000,
      reason: 'HTTP 429: boom',
      rateLimited: true,
    });
  });

  it('waits the default window on a 429 without Retry-After', () => {
    expect(decideRetry(http(429), 2, policy)).toMatchObject({ action: 'retry', delayMs: 10_000 });
  });

  it('backs off exponentially with jitter on 5xx and timeouts, capped', () => {
    const top = () => 1; // the jitter's upper bound
    expect(decideRetry(http(503), 1, policy, top)).toMatchObject({ action: 'retry', delayMs: 100 });
    expect(decideRetry(http(500), 3, policy, top)).toMatchObject({ delayMs: 400 });
    expect(decideRetry({ kind: 'timeout', message: 't' }, 4, policy, top)).toMatchObject({ delayMs: 800 });
    expect(decideRetry({ kind: 'network', message: 'reset' }, 4, { ...policy, maxAttempts: 9 }, top)).toMatchObject({
      delayMs: 800,
    });
    expect(decideRetry(http(502), 4, { ...policy, maxAttempts: 20 }, top)).toMatchObject({ delayMs: 800 });
    expect(decideRetry(http(502), 8, { ...policy, maxAttempts: 20 }, top)).toMatchObject({ delayMs: 1_000 });
    // The sure half of each wait.
    expect(decideRetry(http(502), 8, { ...policy, maxAttempts: 20 }, () => 0)).toMatchObject({ delayMs: 500 });
  });

  it('waits at least two minutes in all before dead-lettering with the default policy', () => {
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      const decision = decideRetry(http(503), attempt, DEFAULT_RETRY_POLICY, () => 0);
      if (decision.action !== 'retry') break;
      waited += decision.delayMs;
    }
    expect(waited).toBeGreaterThan(120_000);
  });

  it('does not retry a client error', () => {
    expect(decideRetry(http(400), 1, policy)).toEqual({ action: 'fail', reason: 'HTTP 400: boom' });
    expect(decideRetry(http(404), 1, policy)).toMatchObject({ action: 'fail' });
  });

  it('dead-letters after the last attempt, with the reason', () => {
    expect(decideRetry(http(503), 5, policy)).toEqual({
      action: 'dead-letter',
      reason: 'HTTP 503: boom (gave up after 5 attempts)',
    });
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3);
    expect(parseRetryAfter('Fri, 04 Dec 2026 20:00:10 GMT', Date.parse('2026-12-04T20:00:00Z'))).toBe(10);
    expect(parseRetryAfter(undefined)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
  });
});
