// A service running as several instances behind the gateway: requests are
// spread over them, one that stops is skipped, and nothing that may have
// reached an instance is sent twice unless it is a GET.
import {
  bearer,
  startGateway,
  UpstreamStandIn,
  type TestGateway,
} from '../testing/gateway-harness';

const get = (gateway: TestGateway, path = '/api/contacts') =>
  fetch(`${gateway.url}${path}`, { headers: bearer(gateway.adminKey) });

const post = (gateway: TestGateway) =>
  fetch(`${gateway.url}/api/contacts`, {
    method: 'POST',
    headers: { ...bearer(gateway.adminKey), 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ada@example.com' }),
  });

const count = (standIn: UpstreamStandIn, method: string) =>
  standIn.apiRequests.filter((r) => r.method === method).length;

describe('several instances of an upstream', () => {
  let first: UpstreamStandIn;
  let second: UpstreamStandIn;
  let gateway: TestGateway;

  beforeAll(async () => {
    first = await UpstreamStandIn.start();
    second = await UpstreamStandIn.start();
    gateway = await startGateway({
      upstreams: { contacts: `${first.url},${second.url}` },
      upstreamHealthIntervalMs: 100,
    });
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([first.close(), second.close()]);
  });

  it('spreads requests round-robin over the instances', async () => {
    for (let i = 0; i < 4; i++) expect((await get(gateway)).status).toBe(200);
    expect(count(first, 'GET')).toBe(2);
    expect(count(second, 'GET')).toBe(2);
  });

  it('keeps answering from the other instance when one stops, and uses it again once it is back', async () => {
    const port = Number(new URL(first.url).port);
    await first.close();
    const before = second.apiRequests.length;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await get(gateway)).status);
    for (let i = 0; i < 3; i++) statuses.push((await post(gateway)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 201, 201, 201]);
    expect(second.apiRequests.length - before).toBe(9);
    expect((await fetch(`${gateway.url}/ready`)).status).toBe(200);

    // Back on its port: a health check finds it up, and it gets requests again.
    first = await UpstreamStandIn.start(port);
    for (let attempt = 0; attempt < 100 && first.apiRequests.length === 0; attempt++) {
      expect((await get(gateway)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(first.apiRequests.length).toBeGreaterThan(0);
  });
});

describe('an instance dropping connections after reading the request', () => {
  let dropping: UpstreamStandIn;
  let healthy: UpstreamStandIn;
  let gateway: TestGateway;

  beforeAll(async () => {
    dropping = await UpstreamStandIn.start();
    healthy = await UpstreamStandIn.start();
    // Health probes pass: it looks fine until a request reaches it.
    dropping.handler = (request, response) => {
      if (request.url === '/health') return false;
      response.socket?.destroy();
      return true;
    };
    gateway = await startGateway({
      upstreams: { contacts: `${dropping.url},${healthy.url}` },
      upstreamHealthIntervalMs: 100,
    });
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([dropping.close(), healthy.close()]);
  });

  it('sends a GET once more, to the other instance', async () => {
    const statuses = [(await get(gateway)).status, (await get(gateway)).status];
    expect(statuses).toEqual([200, 200]);
    expect(count(dropping, 'GET')).toBeGreaterThanOrEqual(1);
    expect(count(healthy, 'GET')).toBe(2);
  });

  it('never sends a POST twice: the one that reached the dropping instance is a 502', async () => {
    const statuses = [(await post(gateway)).status, (await post(gateway)).status];
    expect(statuses.sort()).toEqual([201, 502]);
    expect(count(dropping, 'POST')).toBe(1);
    expect(count(healthy, 'POST')).toBe(1);
  });
});

describe('an instance refusing connections before a health check noticed', () => {
  let stopped: UpstreamStandIn;
  let running: UpstreamStandIn;
  let gateway: TestGateway;

  beforeAll(async () => {
    stopped = await UpstreamStandIn.start();
    running = await UpstreamStandIn.start();
    // The first health check (at start) finds both up; the next is a minute away.
    gateway = await startGateway({
      upstreams: { contacts: `${stopped.url},${running.url}` },
      upstreamHealthIntervalMs: 60_000,
    });
    await stopped.close();
  });
  afterAll(async () => {
    await gateway.close();
    await running.close();
  });

  it('sends every request, POSTs too, to the other instance: nothing reached the refusing one', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(gateway)).status);
    for (let i = 0; i < 3; i++) statuses.push((await get(gateway)).status);
    expect(statuses).toEqual([201, 201, 201, 200, 200, 200]);
    expect(count(running, 'POST')).toBe(3);
    expect(count(running, 'GET')).toBe(3);
  });
});
