import { randomUUID } from 'node:crypto';
import {
  bearer,
  startGateway,
  UpstreamStandIn,
  type TestGateway,
} from '../testing/gateway-harness';

describe('Idempotency-Key', () => {
  let upstream: UpstreamStandIn;
  let gateway: TestGateway;
  let writer: { id: string; key: string };

  beforeAll(async () => {
    upstream = await UpstreamStandIn.start();
    gateway = await startGateway({ upstreams: { contacts: upstream.url } });
    writer = await gateway.createKey(['write']);
  });
  afterEach(() => {
    upstream.handler = () => false;
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  const post = (
    idempotencyKey: string,
    body: unknown,
    apiKey = writer.key,
    path = '/api/contacts',
  ) =>
    fetch(`${gateway.url}${path}`, {
      method: 'POST',
      headers: {
        ...bearer(apiKey),
        'content-type': 'application/json',
        'idempotency-key': idempotencyKey,
      },
      body: JSON.stringify(body),
    });
  const reaching = (idempotencyKey: string) =>
    upstream.apiRequests.filter((r) => r.body.includes(idempotencyKey));

  it('replays the stored response for the same key and body, calling upstream once', async () => {
    const key = randomUUID();
    const body = { email: `${key}@example.com` };
    const first = await post(key, body);
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const firstBody = await first.text();

    const second = await post(key, body);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    expect(second.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(await second.text()).toBe(firstBody);
    expect(reaching(key)).toHaveLength(1);
  });

  it('answers 422 when the key comes back with a different body', async () => {
    const key = randomUUID();
    expect((await post(key, { email: `${key}@example.com` })).status).toBe(201);
    const other = await post(key, { email: `other-${key}@example.com` });
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toMatch(/problem\+json/);
    expect(await other.json()).toMatchObject({ code: 'idempotency-key-reused' });
    expect(reaching(key)).toHaveLength(1);
  });

  it('answers 409 while the first request with the key is still running', async () => {
    const key = randomUUID();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const firstArrived = new Promise<void>((resolve) => (arrived = resolve));
    upstream.handler = async (request, res) => {
      if (!request.body.includes(key)) return false;
      arrived();
      await released;
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: key }));
      return true;
    };
    const body = { email: `${key}@example.com` };
    const first = post(key, body);
    await firstArrived;

    const concurrent = await post(key, body);
    expect(concurrent.status).toBe(409);
    expect(await concurrent.json()).toMatchObject({ code: 'idempotency-key-in-flight' });

    release();
    expect((await first).status).toBe(201);
    const after = await post(key, body);
    expect(after.status).toBe(201);
    expect(after.headers.get('idempotent-replayed')).toBe('true');
    expect(reaching(key)).toHaveLength(1);
  });

  it('does not store 5xx, 409 or 429 answers, so a retry reaches the upstream again', async () => {
    for (const status of [500, 503, 409, 429]) {
      const key = randomUUID();
      let calls = 0;
      upstream.handler = (request, res) => {
        if (!request.body.includes(key)) return false;
        calls += 1;
        res.writeHead(calls === 1 ? status : 201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ calls }));
        return true;
      };
      const body = { email: `${key}@example.com` };
      expect((await post(key, body)).status).toBe(status);
      const retry = await post(key, body);
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
      expect(calls).toBe(2);
    }
  });

  it('stores 4xx answers like 422 and replays them', async () => {
    const key = randomUUID();
    upstream.handler = (request, res) => {
      if (!request.body.includes(key)) return false;
      res.writeHead(422, { 'content-type': 'application/problem+json' });
      res.end('{"status":422,"code":"validation-failed"}');
      return true;
    };
    const body = { email: key };
    expect((await post(key, body)).status).toBe(422);
    const again = await post(key, body);
    expect(again.status).toBe(422);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('content-type')).toBe('application/problem+json');
    expect(reaching(key)).toHaveLength(1);
  });

  it('does not store a failed forward (upstream unreachable) either', async () => {
    const key = randomUUID();
    let fail = true;
    upstream.handler = (request, res) => {
      if (!request.body.includes(key) || !fail) return false;
      res.socket?.destroy();
      return true;
    };
    const body = { email: `${key}@example.com` };
    expect((await post(key, body)).status).toBe(502);
    fail = false;
    expect((await post(key, body)).status).toBe(201);
  });

  it('passes the key on to the service, so a retry after a 504 is recognised there', async () => {
    // A gateway that waits 300 ms: the first answer comes too late (504),
    // which is not recorded, so the retry goes to the service again, with
    // the same key for the service to recognise.
    const impatient = await startGateway({
      upstreams: { contacts: upstream.url },
      upstreamTimeoutMs: 300,
    });
    try {
      const impatientWriter = await impatient.createKey(['write']);
      const key = randomUUID();
      const body = JSON.stringify({ email: `${key}@example.com` });
      let calls = 0;
      upstream.handler = async (request, res) => {
        if (!request.body.includes(key)) return false;
        calls += 1;
        if (calls === 1) await new Promise((r) => setTimeout(r, 800));
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: key, calls }));
        return true;
      };
      const post = (headers: Record<string, string>) =>
        fetch(`${impatient.url}/api/contacts`, {
          method: 'POST',
          headers: {
            ...bearer(impatientWriter.key),
            'content-type': 'application/json',
            ...headers,
          },
          body,
        });
      expect((await post({ 'idempotency-key': key })).status).toBe(504);
      const retry = await post({ 'idempotency-key': key });
      expect(retry.status).toBe(201);
      const keysSent = reaching(key).map((r) => r.headers['idempotency-key']);
      expect(keysSent).toEqual([key, key]);
      // Without a key, none is made up.
      upstream.handler = () => false;
      expect((await post({})).status).toBe(201);
      expect(reaching(key).at(-1)?.headers['idempotency-key']).toBeUndefined();
    } finally {
      await impatient.close();
    }
  });

  it('keeps keys apart per API key', async () => {
    const key = randomUUID();
    const otherWriter = await gateway.createKey(['write']);
    const body = { email: `${key}@example.com` };
    expect((await post(key, body)).status).toBe(201);
    const fromOther = await post(key, body, otherWriter.key);
    expect(fromOther.status).toBe(201);
    expect(fromOther.headers.get('idempotent-replayed')).toBeNull();
    expect(reaching(key)).toHaveLength(2);
  });

  it('refuses keys longer than 255 characters and ignores the header on GET', async () => {
    const tooLong = await post('k'.repeat(256), { email: 'a@example.com' });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toMatchObject({ code: 'invalid-idempotency-key' });
    expect((await post('k'.repeat(255), { email: 'long-key@example.com' })).status).toBe(201);

    const get = () =>
      fetch(`${gateway.url}/api/contacts`, {
        headers: { ...bearer(writer.key), 'idempotency-key': 'get-key' },
      });
    expect((await get()).headers.get('idempotent-replayed')).toBeNull();
    expect((await get()).headers.get('idempotent-replayed')).toBeNull();
  });
});
