// The HubSpot emulator driven through the official SDK (@hubspot/api-client)
// pointed at it by basePath, as the connector will be; webhooks received by a
// local HTTP server and checked with the SDK's own signature validator.
import { Client } from '@hubspot/api-client';
import { Signature } from '@hubspot/api-client/lib/src/utils/signature';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { HubSpotEmulator, startHubSpotEmulator } from './emulator';

type SdkError = { code: number; body: { category?: string; message?: string }; headers: Record<string, string> };

async function sdkError(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (err) {
    return err as SdkError;
  }
  throw new Error('expected the SDK call to fail');
}

let emu: HubSpotEmulator;
let hubspot: Client;

const admin = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${emu.url()}/__emulator${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

beforeAll(async () => {
  emu = await startHubSpotEmulator({ port: 0, webhookBatchDelayMs: 20, webhookRetryBaseMs: 20 });
  hubspot = new Client({ accessToken: emu.config.privateAppToken, basePath: emu.url() });
});

afterAll(async () => {
  await emu.close();
});

beforeEach(async () => {
  await admin('POST', '/reset');
});

describe('contacts', () => {
  it('batch upserts by email, telling new contacts from existing ones', async () => {
    const first = await hubspot.crm.contacts.batchApi.upsert({
      inputs: [
        { id: 'Ada@Example.com', idProperty: 'email', properties: { firstname: 'Ada' } },
        { id: 'grace@example.com', idProperty: 'email', properties: { firstname: 'Grace' } },
      ],
    });
    expect(first.results.map((r) => r._new)).toEqual([true, true]);
    const again = await hubspot.crm.contacts.batchApi.upsert({
      inputs: [{ id: 'ada@example.com', idProperty: 'email', properties: { lastname: 'Lovelace' } }],
    });
    expect(again.results[0]!._new).toBe(false);
    expect(again.results[0]!.id).toBe(first.results[0]!.id);
    const ada = await hubspot.crm.contacts.basicApi.getById('ada@example.com', ['firstname', 'lastname'], undefined, undefined, false, 'email');
    expect(ada.properties).toMatchObject({ firstname: 'Ada', lastname: 'Lovelace' });
  });

  it('refuses more than 100 inputs and unknown properties with HubSpot error bodies', async () => {
    const inputs = Array.from({ length: 101 }, (_, i) => ({ id: `p${i}@example.com`, idProperty: 'email', properties: {} }));
    const tooMany = await sdkError(hubspot.crm.contacts.batchApi.upsert({ inputs }));
    expect(tooMany.code).toBe(400);
    expect(tooMany.body.category).toBe('VALIDATION_ERROR');

    const unknown = await sdkError(
      hubspot.crm.contacts.batchApi.upsert({ inputs: [{ id: 'x@example.com', idProperty: 'email', properties: { favourite_food: 'x' } }] }),
    );
    expect(unknown.code).toBe(400);
    expect(unknown.body.message).toContain('PROPERTY_DOESNT_EXIST');
    const created = await sdkError(hubspot.crm.contacts.basicApi.create({ properties: { nope: '1' }, associations: [] }));
    expect(created.body.message).toContain('PROPERTY_DOESNT_EXIST');
    expect((await admin('GET', '/contacts')).body.results).toHaveLength(0);
  });

  it('answers 207 with per-input errors when a custom unique idProperty batch partly fails', async () => {
    await admin('POST', '/properties', { name: 'external_id', hasUniqueValue: true });
    const res = await fetch(`${emu.url()}/crm/v3/objects/contacts/batch/upsert`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emu.config.privateAppToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [
          { id: 'e-1', idProperty: 'external_id', properties: { email: 'ok@example.com' } },
          { id: 'e-2', idProperty: 'external_id', properties: { email: 'not-an-email' } },
        ],
      }),
    });
    expect(res.status).toBe(207);
    const body = (await res.json()) as { results: unknown[]; numErrors: number; errors: Array<{ context: { ids: string[] } }> };
    expect(body.results).toHaveLength(1);
    expect(body.numErrors).toBe(1);
    expect(body.errors[0].context.ids).toEqual(['e-2']);
  });

  it('creates, reads by id or email, updates, archives and pages through contacts', async () => {
    const created = await hubspot.crm.contacts.basicApi.create({ properties: { email: 'lin@example.com', firstname: 'Lin' }, associations: [] });
    expect(created.properties.hs_object_id).toBe(created.id);
    const conflict = await sdkError(hubspot.crm.contacts.basicApi.create({ properties: { email: 'lin@example.com' }, associations: [] }));
    expect(conflict.code).toBe(409);

    await hubspot.crm.contacts.basicApi.update('lin@example.com', { properties: { lastname: 'Yu' } }, 'email');
    const read = await hubspot.crm.contacts.basicApi.getById(created.id, ['lastname'], ['lastname']);
    expect(read.properties.lastname).toBe('Yu');
    expect(read.propertiesWithHistory?.lastname?.[0]?.value).toBe('Yu');

    for (let i = 0; i < 24; i++)
      await hubspot.crm.contacts.basicApi.create({ properties: { email: `p${i}@example.com` }, associations: [] });
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await hubspot.crm.contacts.basicApi.getPage(10, after, ['email']);
      seen.push(...page.results.map((r) => r.properties.email!));
      after = page.paging?.next?.after;
    } while (after);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);

    await hubspot.crm.contacts.basicApi.archive(created.id);
    expect((await sdkError(hubspot.crm.contacts.basicApi.getById(created.id))).code).toBe(404);
  });

  it('searches by email and lastmodifieddate, at most 200 a page', async () => {
    await hubspot.crm.contacts.basicApi.create({ properties: { email: 'old@example.com' }, associations: [] });
    await new Promise((r) => setTimeout(r, 5));
    const since = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    await hubspot.crm.contacts.basicApi.create({ properties: { email: 'new@example.com' }, associations: [] });

    const byEmail = await hubspot.crm.contacts.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ' as never, value: 'OLD@example.com' }] }],
      properties: ['email'],
      limit: 10,
    });
    expect(byEmail.total).toBe(1);
    expect(byEmail.results[0]!.properties.email).toBe('old@example.com');

    const recent = await hubspot.crm.contacts.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE' as never, value: String(since) }] }],
      sorts: ['lastmodifieddate'],
      limit: 10,
    });
    expect(recent.results.map((r) => r.properties.email)).toEqual(['new@example.com']);

    const tooBig = await sdkError(hubspot.crm.contacts.searchApi.doSearch({ filterGroups: [], limit: 201 }));
    expect(tooBig.code).toBe(400);
  });

  it('reads a batch by email, reporting the missing ones with 207, and archives a batch', async () => {
    const a = await hubspot.crm.contacts.basicApi.create({ properties: { email: 'r1@example.com', firstname: 'R' }, associations: [] });
    const read = await hubspot.crm.contacts.batchApi.read({
      idProperty: 'email',
      inputs: [{ id: 'r1@example.com' }, { id: 'nobody@example.com' }],
      properties: ['firstname'],
      propertiesWithHistory: [],
    });
    expect(read.results.map((r) => r.id)).toEqual([a.id]);
    expect((read as { numErrors?: number }).numErrors).toBe(1);
    await hubspot.crm.contacts.batchApi.archive({ inputs: [{ id: a.id }] });
    expect((await sdkError(hubspot.crm.contacts.basicApi.getById(a.id))).code).toBe(404);
  });

  it('deletes for GDPR by email', async () => {
    const c = await hubspot.crm.contacts.basicApi.create({ properties: { email: 'gone@example.com' }, associations: [] });
    await hubspot.crm.contacts.basicApi.purge({ objectId: 'gone@example.com', idProperty: 'email' });
    expect((await admin('GET', '/contacts')).body.results.map((r: { id: string }) => r.id)).not.toContain(c.id);
  });
});

describe('notes, lists and properties', () => {
  it('creates a note associated with a contact and requires hs_timestamp', async () => {
    const c = await hubspot.crm.contacts.basicApi.create({ properties: { email: 'n@example.com' }, associations: [] });
    const association = { to: { id: c.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 202 }] };
    const note = await hubspot.crm.objects.notes.basicApi.create({
      properties: { hs_timestamp: new Date().toISOString(), hs_note_body: 'Registered for the webinar' },
      associations: [association],
    });
    expect(note.properties.hs_note_body).toBe('Registered for the webinar');
    const missing = await sdkError(
      hubspot.crm.objects.notes.basicApi.create({ properties: { hs_note_body: 'x' }, associations: [association] }),
    );
    expect(missing.code).toBe(400);
    const stored = (await admin('GET', '/notes')).body.results;
    expect(stored).toHaveLength(1);
    expect(stored[0].associations.contacts.results[0].id).toBe(c.id);
  });

  it('adds and removes list members, reporting missing records', async () => {
    const c = await hubspot.crm.contacts.basicApi.create({ properties: { email: 'l@example.com' }, associations: [] });
    const { list } = await hubspot.crm.lists.listsApi.create({ name: 'Webinar', objectTypeId: '0-1', processingType: 'MANUAL' });
    const added = await hubspot.crm.lists.membershipsApi.add(list.listId, [c.id, '999999']);
    expect(added.recordsIdsAdded).toEqual([c.id]);
    expect(added.recordIdsMissing).toEqual(['999999']);
    expect((await admin('GET', '/lists')).body.results[0].memberIds).toEqual([c.id]);
    const removed = await hubspot.crm.lists.membershipsApi.remove(list.listId, [c.id]);
    expect(removed.recordIdsRemoved).toEqual([c.id]);
  });

  it('lists contact properties', async () => {
    const all = await hubspot.crm.properties.coreApi.getAll('contacts');
    expect(all.results.map((p) => p.name)).toEqual(expect.arrayContaining(['email', 'firstname', 'lastmodifieddate']));
  });
});

describe('authentication and limits', () => {
  it('exchanges codes and refresh tokens; a revoked refresh token is BAD_REFRESH_TOKEN; expired tokens are 401', async () => {
    const { clientId, clientSecret, refreshToken, authorizationCode } = emu.config;
    const fromCode = await hubspot.oauth.tokensApi.create('authorization_code', authorizationCode, 'https://app.example/cb', clientId, clientSecret);
    expect(fromCode.expiresIn).toBe(1800);
    const reused = await sdkError(hubspot.oauth.tokensApi.create('authorization_code', authorizationCode, 'https://app.example/cb', clientId, clientSecret));
    expect(reused.code).toBe(400);

    const token = await hubspot.oauth.tokensApi.create('refresh_token', undefined, undefined, clientId, clientSecret, refreshToken);
    expect(token.refreshToken).toBe(refreshToken);
    const oauthClient = new Client({ accessToken: token.accessToken, basePath: emu.url() });
    await oauthClient.crm.contacts.basicApi.getPage(1);

    await admin('POST', '/tokens/expire');
    const expired = await sdkError(oauthClient.crm.contacts.basicApi.getPage(1));
    expect(expired.code).toBe(401);
    expect(expired.body.category).toBe('EXPIRED_AUTHENTICATION');

    await admin('POST', '/tokens/revoke', { refreshToken });
    const revoked = await fetch(`${emu.url()}/oauth/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken }),
    });
    expect(revoked.status).toBe(400);
    expect(((await revoked.json()) as { status: string }).status).toBe('BAD_REFRESH_TOKEN');
  });

  it('answers 429 past the ten-second limit with HubSpot headers, and counts it', async () => {
    await admin('PATCH', '/config', { rateLimitMax: 3, rateLimitIntervalMs: 600_000 });
    try {
      for (let i = 0; i < 3; i++) await hubspot.crm.contacts.basicApi.getPage(1);
      const limited = await sdkError(hubspot.crm.contacts.basicApi.getPage(1));
      expect(limited.code).toBe(429);
      expect(limited.body.message).toBe('You have reached your ten_secondly_rolling limit.');
      expect(limited.headers['x-hubspot-ratelimit-max']).toBe('3');
      expect(limited.headers['x-hubspot-ratelimit-remaining']).toBe('0');
      const stats = (await admin('GET', '/stats')).body;
      expect(stats.status429).toBe(1);
      expect(stats.byEndpoint['GET /crm/v3/objects/contacts'].count).toBe(4);
      expect(stats.peakPerRollingWindow[`private-app:${emu.config.appId}`]).toBe(3);
    } finally {
      await admin('PATCH', '/config', { rateLimitMax: 190, rateLimitIntervalMs: 10_000 });
    }
  });

  it('limits search to its own rate, apart from the general limit', async () => {
    // A long interval, so that the test does not depend on how fast the machine is.
    await admin('PATCH', '/config', { searchPerSecond: 5, searchIntervalMs: 600_000 });
    try {
      for (let i = 0; i < 5; i++) await hubspot.crm.contacts.searchApi.doSearch({ filterGroups: [], limit: 1 });
      const limited = await sdkError(hubspot.crm.contacts.searchApi.doSearch({ filterGroups: [], limit: 1 }));
      expect(limited.code).toBe(429);
      expect(limited.body.message).toBe('You have reached your secondly limit.');
      await expect(hubspot.crm.contacts.basicApi.getPage(1)).resolves.toBeDefined();
    } finally {
      await admin('PATCH', '/config', { searchIntervalMs: 1000 });
    }
  });

  it('injects faults for the next N requests', async () => {
    await admin('POST', '/faults', { status: 503, count: 1 });
    expect((await sdkError(hubspot.crm.contacts.basicApi.getPage(1))).code).toBe(503);
    await expect(hubspot.crm.contacts.basicApi.getPage(1)).resolves.toBeDefined();
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
        res.writeHead(answers.shift() ?? 204);
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/hubspot?x=1`;
  });

  afterAll(async () => {
    await new Promise((r) => receiver.close(r));
  });

  beforeEach(async () => {
    received = [];
    answers = [];
    await admin('PUT', '/webhooks', { targetUrl: receiverUrl, clientSecret: 'webhook-test-secret' });
  });

  const events = () => received.flatMap((r) => JSON.parse(r.body) as Array<Record<string, unknown>>);

  it('sends signed batches for CRM-user edits and for the connector’s own API writes', async () => {
    const created = (await admin('POST', '/contacts', { properties: { email: 'hook@example.com', firstname: 'Hook' } })).body;
    await admin('POST', '/webhooks/flush');
    const first = received[0]!;
    expect(
      Signature.isValid({
        signatureVersion: 'v3',
        signature: first.headers['x-hubspot-signature-v3'] as string,
        clientSecret: 'webhook-test-secret',
        requestBody: first.body,
        url: receiverUrl,
        method: 'POST',
        timestamp: Number(first.headers['x-hubspot-request-timestamp']),
      }),
    ).toBe(true);
    expect(events()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ subscriptionType: 'contact.creation', objectId: Number(created.id), changeSource: 'CRM_UI', portalId: emu.config.portalId, attemptNumber: 0 }),
        expect.objectContaining({ subscriptionType: 'contact.propertyChange', propertyName: 'firstname', propertyValue: 'Hook' }),
      ]),
    );

    received = [];
    await hubspot.crm.contacts.basicApi.update(created.id, { properties: { lastname: 'Api' } });
    await admin('POST', '/webhooks/flush');
    expect(events()).toEqual([
      expect.objectContaining({ subscriptionType: 'contact.propertyChange', propertyName: 'lastname', propertyValue: 'Api', changeSource: 'INTEGRATION', sourceId: String(emu.config.appId) }),
    ]);
  });

  it('sends merges and deletions', async () => {
    const a = (await admin('POST', '/contacts', { properties: { email: 'a@example.com' } })).body;
    const b = (await admin('POST', '/contacts', { properties: { email: 'b@example.com', firstname: 'B' } })).body;
    await admin('POST', '/contacts/merge', { primaryObjectId: a.id, objectIdToMerge: b.id });
    await admin('DELETE', `/contacts/${a.id}`);
    await admin('POST', '/webhooks/flush');
    const types = events().map((e) => e.subscriptionType);
    expect(types).toEqual(expect.arrayContaining(['contact.merge', 'contact.deletion']));
    expect(events().find((e) => e.subscriptionType === 'contact.merge')).toMatchObject({
      primaryObjectId: Number(a.id),
      mergedObjectIds: [Number(b.id)],
    });
  });

  it('retries a failed delivery with the next attemptNumber, drops and duplicates on request', async () => {
    answers = [500];
    await admin('POST', '/contacts', { properties: { email: 'retry@example.com' } });
    await admin('POST', '/webhooks/flush');
    expect(received).toHaveLength(2);
    expect((JSON.parse(received[1]!.body) as Array<{ attemptNumber: number }>)[0]!.attemptNumber).toBe(1);

    received = [];
    await admin('POST', '/webhooks/drop', { count: 1 });
    await admin('POST', '/contacts', { properties: { email: 'dropped@example.com' } });
    await admin('POST', '/webhooks/flush');
    expect(received).toHaveLength(0);

    await admin('POST', '/webhooks/duplicate', { enabled: true });
    await admin('POST', '/contacts', { properties: { email: 'twice@example.com' } });
    await admin('POST', '/webhooks/flush');
    expect(received).toHaveLength(2);
    expect(received[0]!.body).toBe(received[1]!.body);
  });
});
