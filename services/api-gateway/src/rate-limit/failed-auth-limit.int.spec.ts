import { request } from 'node:http';
import { generateApiKey } from '../api-keys/api-key';
import { startGateway, UpstreamStandIn, type TestGateway } from '../testing/gateway-harness';

/** A GET from a chosen loopback address (Linux routes all of 127/8 to lo). */
function getFrom(
  localAddress: string,
  url: string,
  key: string | undefined,
  forwardedFor?: string,
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  return new Promise((resolve, reject) => {
    const sent = request(
      url,
      {
        localAddress,
        headers: {
          ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
          ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    sent.on('error', reject);
    sent.end();
  });
}

describe('requests failing authentication, per client address', () => {
  let upstream: UpstreamStandIn;
  let gateway: TestGateway;

  beforeAll(async () => {
    upstream = await UpstreamStandIn.start();
    // Three failed attempts, then one every 100 s: the test never sees a refill.
    gateway = await startGateway({
      upstreams: { contacts: upstream.url },
      authFailureBurst: 3,
      authFailurePerSecond: 0.01,
    });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  it('answers 429 with Retry-After once an address has spent its failures, still serving keys known valid', async () => {
    const contacts = `${gateway.url}/api/contacts`;
    const known = await gateway.createKey(['read']);
    const notYetUsed = await gateway.createKey(['read']);
    expect((await getFrom('127.0.0.1', contacts, known.key)).status).toBe(200); // now cached

    const failures = [
      await getFrom('127.0.0.1', contacts, generateApiKey()),
      await getFrom('127.0.0.1', contacts, 'not a key at all'), // malformed
      await getFrom('127.0.0.1', contacts, undefined),
    ];
    expect(failures.map((r) => r.status)).toEqual([401, 401, 401]);

    const refused = await getFrom('127.0.0.1', contacts, generateApiKey());
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/problem\+json/);
    expect(Number(refused.headers['retry-after'])).toBe(100);
    expect(JSON.parse(refused.body)).toMatchObject({
      status: 429,
      code: 'too-many-failed-authentications',
    });
    expect((await getFrom('127.0.0.1', contacts, undefined)).status).toBe(429);

    // A key the gateway holds as valid still works from that address...
    const answered = upstream.apiRequests.length;
    expect((await getFrom('127.0.0.1', contacts, known.key)).status).toBe(200);
    expect(upstream.apiRequests.length).toBe(answered + 1);
    // ...one it would have to look up waits like the rest,
    expect((await getFrom('127.0.0.1', contacts, notYetUsed.key)).status).toBe(429);
    // and other addresses are not affected.
    expect((await getFrom('127.0.0.2', contacts, notYetUsed.key)).status).toBe(200);
    expect((await getFrom('127.0.0.2', contacts, generateApiKey())).status).toBe(401);
  });

  it('never limits health probes', async () => {
    expect((await getFrom('127.0.0.1', `${gateway.url}/health`, undefined)).status).toBe(200);
  });
});

describe('behind a trusted proxy', () => {
  let upstream: UpstreamStandIn;
  let gateway: TestGateway;

  beforeAll(async () => {
    upstream = await UpstreamStandIn.start();
    gateway = await startGateway({
      upstreams: { contacts: upstream.url },
      authFailureBurst: 2,
      authFailurePerSecond: 0.01,
      trustedProxies: ['127.0.0.1'],
    });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  it('limits the client X-Forwarded-For names, and only believes it from the proxy', async () => {
    const contacts = `${gateway.url}/api/contacts`;
    const viaProxy = (client: string) =>
      getFrom('127.0.0.1', contacts, generateApiKey(), `forged, ${client}`);
    expect([
      (await viaProxy('198.51.100.1')).status,
      (await viaProxy('198.51.100.1')).status,
    ]).toEqual([401, 401]);
    expect((await viaProxy('198.51.100.1')).status).toBe(429);
    // Another client behind the same proxy is not affected...
    expect((await viaProxy('198.51.100.2')).status).toBe(401);
    // ...and a client connecting directly cannot pass itself off as another one.
    const direct = (forwardedFor: string) =>
      getFrom('127.0.0.2', contacts, generateApiKey(), forwardedFor);
    expect([(await direct('198.51.100.3')).status, (await direct('198.51.100.4')).status]).toEqual([
      401, 401,
    ]);
    expect((await direct('198.51.100.5')).status).toBe(429);
  });
});
