import { RateLimiter, TokenBucket } from '../rate-limit/token-bucket';
import type { CallFailure } from '../retry/retry-policy';
import { CrmCallError, CrmCaller } from './crm-caller';

class HttpError extends Error {
  constructor(readonly status: number, readonly retryAfter: number | null = null) {
    super(`HTTP ${status}`);
  }
}

function caller(opts: { maxAttempts?: number } = {}) {
  const slept: number[] = [];
  const tokens: boolean[] = [];
  const limiter = new RateLimiter([new TokenBucket({ requests: 1000, intervalMs: 1000 })]);
  const crm = new CrmCaller({
    limiter,
    accessToken: async (force) => {
      tokens.push(force);
      return force ? 'fresh' : 'old';
    },
    describe: (e): CallFailure | null =>
      e instanceof HttpError ? { kind: 'http', status: e.status, retryAfterSeconds: e.retryAfter, message: e.message } : null,
    policy: { maxAttempts: opts.maxAttempts ?? 3, baseDelayMs: 10, maxDelayMs: 100, defaultRetryAfterMs: 1000 },
    sleep: async (ms) => {
      slept.push(ms);
    },
  });
  return { crm, slept, tokens };
}

describe('CrmCaller', () => {
  it('waits out 429s without counting them as attempts', async () => {
    const { crm, slept } = caller({ maxAttempts: 2 });
    let calls = 0;
    const result = await crm.call(async () => {
      calls++;
      if (calls <= 5) throw new HttpError(429, 2);
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(slept).toEqual([2000, 2000, 2000, 2000, 2000]);
    expect(crm.stats).toMatchObject({ requests: 6, rateLimited: 5 });
  });

  it('dead-letters after the last attempt on 5xx', async () => {
    const { crm, slept } = caller({ maxAttempts: 3 });
    await expect(crm.call(async () => Promise.reject(new HttpError(503)))).rejects.toMatchObject({
      action: 'dead-letter',
    });
    expect(slept).toHaveLength(2);
  });

  it('fails at once on a refused request', async () => {
    const { crm } = caller();
    const error = await crm.call(async () => Promise.reject(new HttpError(400))).catch((e) => e);
    expect(error).toBeInstanceOf(CrmCallError);
    expect(error.action).toBe('fail');
    expect(crm.stats.requests).toBe(1);
  });

  it('refreshes the token once after a 401', async () => {
    const { crm, tokens } = caller();
    const seen: string[] = [];
    await crm.call(async (token) => {
      seen.push(token);
      if (seen.length === 1) throw new HttpError(401);
      return 'ok';
    });
    expect(tokens).toEqual([false, true, false]);
  });

  it('rethrows what is not a call failure', async () => {
    const { crm } = caller();
    await expect(crm.call(async () => Promise.reject(new TypeError('bug')))).rejects.toThrow(TypeError);
  });
});
