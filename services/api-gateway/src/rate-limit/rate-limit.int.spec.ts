import {
  bearer,
  startGateway,
  UpstreamStandIn,
  type TestGateway,
} from '../testing/gateway-harness';

describe('rate limit', () => {
  let upstream: UpstreamStandIn;
  let gateway: TestGateway;
  // The buckets' clock: it moves only when the test says, however slow the machine.
  let nowMs = 1_000_000;

  beforeAll(async () => {
    upstream = await UpstreamStandIn.start();
    // One request a second after a burst of three.
    gateway = await startGateway(
      { upstreams: { contacts: upstream.url }, rateLimitPerSecond: 1, rateLimitBurst: 3 },
      undefined,
      () => nowMs,
    );
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  it('answers 429 with Retry-After once a key has spent its burst, per key', async () => {
    const { key } = await gateway.createKey(['read']);
    const get = (apiKey: string) =>
      fetch(`${gateway.url}/api/contacts`, { headers: bearer(apiKey) });

    const allowed = [await get(key), await get(key), await get(key)];
    expect(allowed.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(allowed.map((r) => r.headers.get('ratelimit-remaining'))).toEqual(['2', '1', '0']);
    expect(allowed[0]!.headers.get('ratelimit-limit')).toBe('3');

    const refused = await get(key);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(refused.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({ code: 'rate-limited', retryAfterSeconds: 1 });

    const other = await gateway.createKey(['read']);
    expect((await get(other.key)).status).toBe(200);

    nowMs += 999;
    expect((await get(key)).status).toBe(429);
    nowMs += 1;
    expect((await get(key)).status).toBe(200);
  });

  it('never limits health probes', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 10 }, async () => (await fetch(`${gateway.url}/health`)).status),
    );
    expect(new Set(statuses)).toEqual(new Set([200]));
  });
});
