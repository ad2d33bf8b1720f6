import { verifyServiceToken } from '@engagement/service-auth';
import { createServer } from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  bearer,
  startGateway,
  UpstreamStandIn,
  type TestGateway,
} from '../testing/gateway-harness';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

/** A port nobody listens on: bound, noted, released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('proxy', () => {
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

  it('forwards method, path, query, body and content-type, and sets who and which request', async () => {
    const body = '{"email":"user@example.com","firstName":"Austin","tags":["hot-lead"]}';
    const response = await fetch(`${gateway.url}/api/contacts?source=test&x=%20y`, {
      method: 'POST',
      headers: {
        ...bearer(writer.key),
        'content-type': 'application/json',
        'x-actor': 'someone-else',
        'x-correlation-id': 'corr-123',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        cookie: 'session=abc',
      },
      body,
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toMatch(/^\/contacts\//);
    expect(response.headers.get('x-correlation-id')).toBe('corr-123');
    expect(await response.json()).toMatchObject({
      id: expect.stringMatching(UUID),
      position: '42',
    });

    const received = upstream.apiRequests.at(-1)!;
    expect(received.method).toBe('POST');
    expect(received.url).toBe('/contacts?source=test&x=%20y');
    expect(received.body.toString()).toBe(body);
    expect(received.headers['content-type']).toBe('application/json');
    // Who asks travels only as a token signed for the upstream: the client's x-actor stays behind.
    expect(received.headers['x-actor']).toBeUndefined();
    const token = /^Bearer (.+)$/.exec(received.headers.authorization ?? '')?.[1] ?? '';
    const claims = verifyServiceToken(gateway.config.serviceTokenKey, token, 'contacts');
    expect(claims).toMatchObject({
      subject: `apikey:${writer.id}`,
      actor: writer.id,
      scopes: ['write'],
      requestId: 'corr-123',
    });
    expect(() => verifyServiceToken(gateway.config.serviceTokenKey, token, 'events')).toThrow(
      'token is not for events',
    );
    expect(received.headers['x-correlation-id']).toBe('corr-123');
    expect(received.headers.traceparent).toBe(
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    );
    expect(received.headers.authorization).not.toContain(writer.key);
    expect(received.headers.cookie).toBeUndefined();
  });

  it('starts a correlation id and a trace when the client sent none (or nonsense)', async () => {
    const response = await fetch(`${gateway.url}/api/tags/t1`, {
      headers: {
        ...bearer(writer.key),
        traceparent: 'garbage',
        'x-correlation-id': 'no spaces allowed',
      },
    });
    expect(response.status).toBe(200);
    const received = upstream.apiRequests.at(-1)!;
    expect(received.url).toBe('/tags/t1');
    expect(received.headers['x-correlation-id']).toMatch(UUID);
    expect(response.headers.get('x-correlation-id')).toBe(received.headers['x-correlation-id']);
    expect(received.headers.traceparent).toMatch(TRACEPARENT);
  });

  it('routes the seed examples: POST /api/contacts and POST /api/activities', async () => {
    const activity = await fetch(`${gateway.url}/api/activities`, {
      method: 'POST',
      headers: { ...bearer(writer.key), 'content-type': 'application/json' },
      body: JSON.stringify({ contactId: 'c1', activityType: 'page_viewed' }),
    });
    expect(activity.status).toBe(200);
    expect(upstream.apiRequests.at(-1)).toMatchObject({ method: 'POST', url: '/activities' });
  });

  it('passes upstream errors back with their status and problem+json body', async () => {
    const response = await fetch(`${gateway.url}/api/contacts/missing`, {
      headers: bearer(writer.key),
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toEqual({
      type: 'about:blank',
      status: 404,
      code: 'contact-not-found',
    });

    upstream.handler = (_request, res) => {
      res.writeHead(422, { 'content-type': 'application/problem+json' });
      res.end(
        '{"status":422,"code":"validation-failed","errors":[{"field":"email","message":"bad"}]}',
      );
      return true;
    };
    const invalid = await fetch(`${gateway.url}/api/contacts`, {
      method: 'POST',
      headers: { ...bearer(writer.key), 'content-type': 'application/json' },
      body: '{"email":"nope"}',
    });
    expect(invalid.status).toBe(422);
    expect(await invalid.json()).toMatchObject({ errors: [{ field: 'email' }] });
  });

  it('answers an unknown /api route with 404 problem+json without calling upstream', async () => {
    const before = upstream.apiRequests.length;
    const response = await fetch(`${gateway.url}/api/nothing-here`, {
      headers: bearer(writer.key),
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/problem\+json/);
    expect(await response.json()).toMatchObject({ code: 'route-not-found' });
    expect(upstream.apiRequests.length).toBe(before);
  });

  it('refuses a body over 1 MB with 413, but lets imports carry more', async () => {
    const big = JSON.stringify({ email: 'a@example.com', note: 'x'.repeat(1024 * 1024) });
    const refused = await fetch(`${gateway.url}/api/contacts`, {
      method: 'POST',
      headers: { ...bearer(writer.key), 'content-type': 'application/json' },
      body: big,
    });
    expect(refused.status).toBe(413);
    expect(await refused.json()).toMatchObject({ code: 'body-too-large' });

    const lines = Array.from({ length: 40_000 }, (_, i) => `{"email":"c${i}@example.com"}`).join(
      '\n',
    );
    expect(lines.length).toBeGreaterThan(1024 * 1024);
    upstream.handler = (request, res) => {
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ bytes: request.body.length }));
      return true;
    };
    const accepted = await fetch(`${gateway.url}/api/contacts/imports`, {
      method: 'POST',
      headers: { ...bearer(writer.key), 'content-type': 'application/x-ndjson' },
      body: lines,
    });
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toEqual({ bytes: Buffer.byteLength(lines) });
    expect(upstream.apiRequests.at(-1)!.headers['content-type']).toBe('application/x-ndjson');
  });

  it('answers a body it cannot read (broken gzip, unknown encoding) with 4xx, not 500', async () => {
    const send = (encoding: string) =>
      fetch(`${gateway.url}/api/contacts`, {
        method: 'POST',
        headers: {
          ...bearer(writer.key),
          'content-type': 'application/json',
          'content-encoding': encoding,
        },
        body: 'definitely not gzip',
      });
    const broken = await send('gzip');
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ code: 'unreadable-body' });
    expect((await send('x-unknown')).status).toBe(415);
  });

  it('answers 504 when the upstream is too slow', async () => {
    const slow = await startGateway({
      upstreams: { contacts: upstream.url },
      upstreamTimeoutMs: 200,
    });
    try {
      upstream.handler = async (_request, res) => {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        res.end('{}');
        return true;
      };
      const response = await fetch(`${slow.url}/api/contacts`, { headers: bearer(slow.adminKey) });
      expect(response.status).toBe(504);
      expect(await response.json()).toMatchObject({ code: 'upstream-timeout' });
    } finally {
      await slow.close();
    }
  });

  it('keeps connections to the upstream open and reuses them', async () => {
    const ports = new Set<number>();
    upstream.handler = (_request, res) => {
      ports.add(res.socket!.remotePort!);
      return false;
    };
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${gateway.url}/api/contacts/c${i}`, {
        headers: bearer(writer.key),
      });
      expect(response.status).toBe(200);
    }
    expect(ports.size).toBe(1);
  });

  it('sends no Accept-Encoding and an explicit length, also for an empty POST', async () => {
    const response = await fetch(`${gateway.url}/api/contacts/c1/restore`, {
      method: 'POST',
      headers: bearer(writer.key),
    });
    expect(response.status).toBe(200);
    const received = upstream.apiRequests.at(-1)!;
    expect(received.headers['accept-encoding']).toBeUndefined();
    expect(received.headers['content-length']).toBe('0');
    expect(received.headers['transfer-encoding']).toBeUndefined();
  });

  it('decodes an answer the upstream compressed unasked', async () => {
    const json = JSON.stringify({ id: 'c1', note: 'x'.repeat(2_000) });
    upstream.handler = (_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(json));
      return true;
    };
    const response = await fetch(`${gateway.url}/api/contacts/c1`, {
      headers: bearer(writer.key),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(await response.text()).toBe(json);
  });

  it('answers 502 when the upstream breaks off its answer', async () => {
    upstream.handler = (_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 20);
      return true;
    };
    const response = await fetch(`${gateway.url}/api/contacts/c1`, {
      headers: bearer(writer.key),
    });
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ code: 'upstream-unreachable' });
  });

  it('answers 504 when the answer starts but its body does not arrive in time', async () => {
    const slow = await startGateway({
      upstreams: { contacts: upstream.url },
      upstreamTimeoutMs: 200,
    });
    try {
      upstream.handler = (_request, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{');
        setTimeout(() => res.end('}'), 1_000);
        return true;
      };
      const response = await fetch(`${slow.url}/api/contacts`, { headers: bearer(slow.adminKey) });
      expect(response.status).toBe(504);
      expect(await response.json()).toMatchObject({ code: 'upstream-timeout' });
    } finally {
      await slow.close();
    }
  });

  it('keeps the path of an upstream base URL', async () => {
    const prefixed = await startGateway({ upstreams: { contacts: `${upstream.url}/v1/` } });
    try {
      const response = await fetch(`${prefixed.url}/api/contacts/c1?x=1`, {
        headers: bearer(prefixed.adminKey),
      });
      expect(response.status).toBe(200);
      expect(upstream.apiRequests.at(-1)!.url).toBe('/v1/contacts/c1?x=1');
    } finally {
      await prefixed.close();
    }
  });

  describe('with the upstream down', () => {
    let down: TestGateway;
    beforeAll(async () => {
      down = await startGateway({
        upstreams: { contacts: `http://127.0.0.1:${await closedPort()}` },
      });
    });
    afterAll(() => down.close());

    it('answers 502 problem+json', async () => {
      const response = await fetch(`${down.url}/api/contacts`, { headers: bearer(down.adminKey) });
      expect(response.status).toBe(502);
      expect(response.headers.get('content-type')).toMatch(/problem\+json/);
      expect(await response.json()).toMatchObject({ code: 'upstream-unreachable' });
    });

    it('is alive but not ready', async () => {
      expect((await fetch(`${down.url}/health`)).status).toBe(200);
      const ready = await fetch(`${down.url}/ready`);
      expect(ready.status).toBe(503);
      expect(ready.headers.get('content-type')).toMatch(/problem\+json/);
    });
  });

  it('is ready when its database and upstream are', async () => {
    const response = await fetch(`${gateway.url}/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ready',
      checks: [
        { name: 'database', ok: true },
        { name: 'contacts', ok: true },
      ],
    });
  });
});
