// The GoHighLevel emulator driven through the official SDK
// (@gohighlevel/api-client). The SDK has no base-URL option; every call goes
// through its axios instance, so the base URL is set there. Webhooks are
// received by a local HTTP server and checked with the SDK's own verifiers.
import { GHLError, HighLevel } from '@gohighlevel/api-client';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GhlEmulator, startGhlEmulator } from './emulator';
import { PUBLIC_KEY_FILE } from './webhooks';

const VERSION = '2021-07-28';
let emu: GhlEmulator;
let ghl: HighLevel;
let dataDir: string;

function sdkFor(config: ConstructorParameters<typeof HighLevel>[0]): HighLevel {
  const client = new HighLevel({ apiVersion: VERSION, logLevel: 'none', ...config });
  client.getHttpClient().defaults.baseURL = emu.url();
  return client;
}

async function ghlError(promise: Promise<unknown>): Promise<GHLError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof GHLError) return err;
    throw err;
  }
  throw new Error('expected the SDK call to fail');
}

const admin = async (method: string, p: string, body?: unknown) => {
  const res = await fetch(`${emu.url()}/__emulator${p}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
};

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'ghl-emulator-'));
  emu = await startGhlEmulator({ port: 0, dataDir, webhookRetryBaseMs: 20 });
  ghl = sdkFor({ privateIntegrationToken: emu.config.privateIntegrationToken });
});

afterAll(async () => {
  await emu.close();
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await admin('POST', '/reset');
});

describe('contacts', () => {
  it('upserts by email, then by phone, answering {new, contact, traceId}', async () => {
    const locationId = emu.config.locationId;
    const created = await ghl.contacts.upsertContact({ locationId, email: 'Ada@Example.com', firstName: 'Ada', tags: ['Webinar'] });
    expect(created.new).toBe(true);
    expect(created.traceId).toEqual(expect.any(String));
    expect(created.contact).toMatchObject({ email: 'ada@example.com', tags: ['webinar'], locationId });

    const byEmail = await ghl.contacts.upsertContact({ locationId, email: 'ada@example.com', lastName: 'Lovelace', phone: '(555) 010-0001' });
    expect(byEmail.new).toBe(false);
    expect(byEmail.contact!.id).toBe(created.contact!.id);

    const byPhone = await ghl.contacts.upsertContact({ locationId, phone: '+15550100001', companyName: 'Analytical' });
    expect(byPhone.new).toBe(false);
    expect(byPhone.contact).toMatchObject({ id: created.contact!.id, phone: '+15550100001', companyName: 'Analytical' });
  });

  it('finds a duplicate by email or phone', async () => {
    const locationId = emu.config.locationId;
    const { contact } = await ghl.contacts.createContact({ locationId, email: 'dup@example.com', phone: '+15550100002' });
    expect((await ghl.contacts.getDuplicateContact({ locationId, email: 'DUP@example.com' })).contact?.id).toBe(contact!.id);
    expect((await ghl.contacts.getDuplicateContact({ locationId, number: '555-010-0002' })).contact?.id).toBe(contact!.id);
    expect((await ghl.contacts.getDuplicateContact({ locationId, email: 'none@example.com' })).contact).toBeNull();
  });

  it('requires locationId and refuses unknown fields with 422', async () => {
    const missing = await ghlError(ghl.contacts.upsertContact({ email: 'x@example.com' } as never));
    expect(missing.statusCode).toBe(422);
    expect(missing.response.message).toContain('locationId should not be empty');
    const unknown = await ghlError(ghl.contacts.createContact({ locationId: emu.config.locationId, email: 'y@example.com', favourite: 1 } as never));
    expect(unknown.statusCode).toBe(422);
    expect(unknown.response.message).toContain('property favourite should not exist');
  });

  it('creates, refuses duplicates, reads, updates and deletes', async () => {
    const locationId = emu.config.locationId;
    const { contact } = await ghl.contacts.createContact({ locationId, email: 'lin@example.com', firstName: 'Lin' });
    const dup = await ghlError(ghl.contacts.createContact({ locationId, email: 'lin@example.com' }));
    expect(dup.statusCode).toBe(400);
    expect(dup.response.meta).toMatchObject({ contactId: contact!.id, matchingField: 'email' });

    const updated = await ghl.contacts.updateContact({ contactId: contact!.id! }, { lastName: 'Yu' });
    expect(updated.contact).toMatchObject({ firstName: 'Lin', lastName: 'Yu' });
    const read = await ghl.contacts.getContact({ contactId: contact!.id! });
    expect(read.contact!.lastName).toBe('Yu');
    await ghl.contacts.deleteContact({ contactId: contact!.id! });
    expect((await ghlError(ghl.contacts.getContact({ contactId: contact!.id! }))).statusCode).toBe(400);
  });

  it('pages through GET /contacts/ with startAfter/startAfterId, and searches with page or searchAfter', async () => {
    const locationId = emu.config.locationId;
    for (let i = 0; i < 25; i++) await ghl.contacts.createContact({ locationId, email: `p${i}@example.com`, tags: i % 2 ? ['odd'] : [] });
    const seen: string[] = [];
    let params: { startAfter?: number; startAfterId?: string } = {};
    for (;;) {
      const page = (await ghl.contacts.getContacts({ locationId, limit: 10, ...params })) as {
        contacts: Array<{ email: string }>;
        meta: { startAfter: number | null; startAfterId: string | null };
      };
      seen.push(...page.contacts.map((c) => c.email));
      if (!page.meta.startAfterId) break;
      params = { startAfter: page.meta.startAfter!, startAfterId: page.meta.startAfterId };
    }
    expect(new Set(seen).size).toBe(25);

    const odd = (await ghl.contacts.searchContactsAdvanced({
      locationId,
      pageLimit: 5,
      filters: [{ field: 'tags', operator: 'eq', value: 'odd' }],
    } as never)) as { contacts: Array<{ searchAfter: [number, string] }>; total: number };
    expect(odd.total).toBe(12);
    const next = (await ghl.contacts.searchContactsAdvanced({
      locationId,
      pageLimit: 5,
      filters: [{ field: 'tags', operator: 'eq', value: 'odd' }],
      searchAfter: odd.contacts[4]!.searchAfter,
    } as never)) as { contacts: unknown[] };
    expect(next.contacts).toHaveLength(5);
  });

  it('adds and removes tags and notes', async () => {
    const { contact } = await ghl.contacts.createContact({ locationId: emu.config.locationId, email: 't@example.com' });
    const id = contact!.id!;
    expect((await ghl.contacts.addTags({ contactId: id }, { tags: ['VIP', 'webinar'] })).tags).toEqual(['vip', 'webinar']);
    expect((await ghl.contacts.removeTags({ contactId: id }, { tags: ['vip'] })).tags).toEqual(['webinar']);
    const { note } = await ghl.contacts.createNote({ contactId: id }, { body: 'Attended the webinar' });
    expect(note).toMatchObject({ body: 'Attended the webinar', contactId: id });
    expect((await admin('GET', '/tags')).body.tags).toEqual({ webinar: [id] });
    expect((await admin('GET', '/notes')).body.notes).toHaveLength(1);
  });
});

describe('headers, tokens and limits', () => {
  it('answers 400 without the Version header, and 403 for another location', async () => {
    const res = await fetch(`${emu.url()}/contacts/?locationId=${emu.config.locationId}`, {
      headers: { authorization: `Bearer ${emu.config.privateIntegrationToken}` },
    });
    expect(res.status).toBe(400);
    const other = await ghlError(ghl.contacts.getContacts({ locationId: 'SomeOtherLocation001' }));
    expect(other.statusCode).toBe(403);
  });

  it('exchanges a code, rotates refresh tokens (each works once) and refuses expired tokens', async () => {
    const oauth = sdkFor({ clientId: emu.config.clientId, clientSecret: emu.config.clientSecret });
    const first = await oauth.oauth.getAccessToken({
      client_id: emu.config.clientId,
      client_secret: emu.config.clientSecret,
      grant_type: 'authorization_code',
      code: emu.config.authorizationCode,
      user_type: 'Location',
    });
    expect(first).toMatchObject({ locationId: emu.config.locationId, userType: 'Location', expires_in: 86_399 });
    const second = await oauth.oauth.refreshToken(first.refresh_token!, emu.config.clientId, emu.config.clientSecret, 'refresh_token', 'Location');
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const reused = await ghlError(oauth.oauth.refreshToken(first.refresh_token!, emu.config.clientId, emu.config.clientSecret, 'refresh_token', 'Location'));
    expect(reused.statusCode).toBe(400);
    expect(reused.response.error).toBe('invalid_grant');

    const withToken = sdkFor({ clientId: emu.config.clientId, clientSecret: emu.config.clientSecret, locationAccessToken: second.access_token! });
    await withToken.contacts.getContacts({ locationId: emu.config.locationId });
    await admin('POST', '/tokens/expire');
    expect((await ghlError(withToken.contacts.getContacts({ locationId: emu.config.locationId }))).statusCode).toBe(401);
  });

  it('answers 429 past the burst limit with the X-RateLimit headers, and counts it', async () => {
    await admin('PATCH', '/config', { rateLimitMax: 2, rateLimitIntervalMs: 600_000 });
    try {
      const locationId = emu.config.locationId;
      await ghl.contacts.getContacts({ locationId });
      await ghl.contacts.getContacts({ locationId });
      const limited = await ghlError(ghl.contacts.getContacts({ locationId }));
      expect(limited.statusCode).toBe(429);
      expect((limited as GHLError & { rateLimit: { scope: string; max: number; remaining: number } }).rateLimit).toMatchObject({
        scope: 'burst',
        max: 2,
        remaining: 0,
      });
      const stats = (await admin('GET', '/stats')).body;
      expect(stats.status429).toBe(1);
      expect(stats.byEndpoint['GET /contacts'].count).toBe(3);
    } finally {
      await admin('PATCH', '/config', { rateLimitMax: 100, rateLimitIntervalMs: 10_000 });
    }
  });

  it('injects faults', async () => {
    await admin('POST', '/faults', { status: 502, count: 1, pathPrefix: '/contacts' });
    expect((await ghlError(ghl.contacts.getContacts({ locationId: emu.config.locationId }))).statusCode).toBe(502);
    await expect(ghl.contacts.getContacts({ locationId: emu.config.locationId })).resolves.toBeDefined();
  });
});

describe('webhooks', () => {
  let receiver: Server;
  let receiverUrl: string;
  let received: Array<{ body: string; headers: IncomingMessage['headers'] }>;
  let answers: number[];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
        res.writeHead(answers.shift() ?? 200);
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/ghl`;
  });

  afterAll(async () => {
    await new Promise((r) => receiver.close(r));
  });

  beforeEach(async () => {
    received = [];
    answers = [];
    await admin('PUT', '/webhooks', { targetUrl: receiverUrl, legacySignature: false });
  });

  const bodies = () => received.map((r) => JSON.parse(r.body) as Record<string, unknown>);

  it('signs with Ed25519 (public key on the admin API and in the data folder) for user edits and API writes', async () => {
    const pem = (await admin('GET', '/webhooks/public-key')).body as string;
    expect(readFileSync(path.join(dataDir, PUBLIC_KEY_FILE), 'utf8')).toBe(pem);

    const { contact } = (await admin('POST', '/contacts', { email: 'hook@example.com', firstName: 'Hook' })).body;
    await admin('POST', `/contacts/${contact.id}/tags`, { tags: ['vip'] });
    await ghl.contacts.updateContact({ contactId: contact.id }, { lastName: 'Api' });
    await admin('PUT', `/contacts/${contact.id}`, { dnd: true });
    await admin('DELETE', `/contacts/${contact.id}`);
    await admin('POST', '/webhooks/flush');

    // One POST each, sent as they happen: they may arrive in any order.
    expect(bodies().map((b) => b.type).sort()).toEqual(['ContactCreate', 'ContactDelete', 'ContactDndUpdate', 'ContactTagUpdate', 'ContactUpdate']);
    expect(bodies().find((b) => b.type === 'ContactCreate')).toMatchObject({
      locationId: emu.config.locationId,
      id: contact.id,
      email: 'hook@example.com',
      appId: emu.auth.appId(),
    });
    for (const r of received) {
      const body = JSON.parse(r.body);
      expect(body.webhookId).toEqual(expect.any(String));
      expect(Date.parse(body.timestamp)).not.toBeNaN();
      expect(ghl.webhooks.verifyEd25519Signature(r.body, r.headers['x-ghl-signature'] as string, pem)).toBe(true);
    }
    expect(ghl.webhooks.verifyEd25519Signature(received[0]!.body + ' ', received[0]!.headers['x-ghl-signature'] as string, pem)).toBe(false);
  });

  it('adds the legacy X-WH-Signature when switched on', async () => {
    await admin('PUT', '/webhooks', { legacySignature: true });
    const rsaPem = (await admin('GET', '/webhooks/legacy-public-key')).body as string;
    await admin('POST', '/contacts', { email: 'legacy@example.com' });
    await admin('POST', '/webhooks/flush');
    expect(ghl.webhooks.verifySignature(received[0]!.body, received[0]!.headers['x-wh-signature'] as string, rsaPem)).toBe(true);
  });

  it('retries with the same webhookId, drops and duplicates on request', async () => {
    answers = [503];
    await admin('POST', '/contacts', { email: 'retry@example.com' });
    await admin('POST', '/webhooks/flush');
    expect(received).toHaveLength(2);
    expect(bodies()[1]!.webhookId).toBe(bodies()[0]!.webhookId);

    received = [];
    await admin('POST', '/webhooks/drop', { count: 1 });
    await admin('POST', '/contacts', { email: 'dropped@example.com' });
    await admin('POST', '/webhooks/flush');
    expect(received).toHaveLength(0);

    await admin('POST', '/webhooks/duplicate', { enabled: true });
    await admin('POST', '/contacts', { email: 'twice@example.com' });
    await admin('POST', '/webhooks/flush');
    expect(received).toHaveLength(2);
    expect(received[0]!.body).toBe(received[1]!.body);
  });
});
