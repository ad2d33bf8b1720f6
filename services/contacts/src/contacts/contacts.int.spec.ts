// The /contacts API end to end in-process: HTTP → handler → decider →
// event store → projection → read model, against the real PostgreSQL.
import { ConflictError } from '@engagement/decider';
import { Client } from 'pg';
import { systemContext } from '../shared/command-context';
import {
  SEED_CREATE_CONTACT,
  startTestApp,
  testDatabaseUrl,
  uniqueEmail,
  type TestApp,
} from '../shared/test-app.testing';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

async function create(body: Record<string, unknown>) {
  const response = await t.request('POST', '/contacts', body);
  expect(response.status).toBe(201);
  return response.body as { id: string; position: string; revision: number };
}

async function read(id: string, position: string) {
  const response = await t.request('GET', `/contacts/${id}?waitForPosition=${position}`);
  expect(response.status).toBe(200);
  return response.body;
}

describe('POST /contacts', () => {
  it("takes the seed's example exactly as written", async () => {
    const response = await t.request('POST', '/contacts', SEED_CREATE_CONTACT);
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      position: expect.stringMatching(/^\d+$/),
      revision: expect.any(Number),
    });
    const { id, position } = response.body;

    const contact = await read(id, position);
    expect(contact).toMatchObject({
      id,
      email: 'user@example.com',
      firstName: 'Austin',
      lastName: 'Mao',
      status: 'active',
      lifecycleStage: 'lead',
      leadScore: 0,
      properties: { company: 'Ceremonia', job_title: 'Founder', industry: 'SaaS' },
      tags: ['hot-lead', 'webinar-attendee'],
    });

    // The tags did not exist: they were created, by slug.
    const tags = await t.request('GET', `/tags?waitForPosition=${position}`);
    expect(tags.body.items.map((tag: { slug: string }) => tag.slug)).toEqual(
      expect.arrayContaining(['hot-lead', 'webinar-attendee']),
    );

    // One append for the contact: its creation, properties and tags together.
    const events = await t.storedEvents(`contact-${id}`);
    expect(events.map((e) => e.event_type)).toEqual([
      'ContactCreated',
      'ContactPropertySet',
      'ActivityRecorded',
      'ContactPropertySet',
      'ActivityRecorded',
      'ContactPropertySet',
      'ActivityRecorded',
      'ContactTagAdded',
      'ActivityRecorded',
      'ContactTagAdded',
      'ActivityRecorded',
    ]);
    expect(events[0].data.syncToCrms).toEqual(['gohighlevel', 'hubspot']);
    // Stored encrypted: no plaintext personal data in the event store.
    expect(events[0].data_text).not.toContain('user@example.com');
    expect(events[0].data_text).not.toContain('Austin');
  });

  it('answers 409 with the holder when the email is taken, in any spelling', async () => {
    const email = uniqueEmail();
    const { id } = await create({ email });
    const before = await t.eventCount();
    const again = await t.request('POST', '/contacts', { email: ` ${email.toUpperCase()} ` });
    expect(again.status).toBe(409);
    expect(again.contentType).toContain('application/problem+json');
    expect(again.body).toMatchObject({ code: 'email-taken', details: { contactId: id } });
    expect(await t.eventCount()).toBe(before);
  });

  it('refuses invalid values with 422 naming the field, writing nothing', async () => {
    const before = await t.eventCount();
    const response = await t.request('POST', '/contacts', {
      email: uniqueEmail(),
      phone: '12345',
      tags: ['ok-tag'],
    });
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ code: 'invalid-phone', details: { field: 'phone' } });
    expect(await t.eventCount()).toBe(before);
  });
});

describe('PUT /contacts (upsert by email)', () => {
  it('creates (201), then updates the same contact (200)', async () => {
    const email = uniqueEmail();
    const first = await t.request('PUT', '/contacts', {
      email,
      firstName: 'Ann',
      properties: { plan: 'free' },
    });
    expect(first.status).toBe(201);
    const second = await t.request('PUT', '/contacts', {
      email,
      lastName: 'Lee',
      properties: { plan: 'pro', seats: 3 },
      tags: ['customer-upsert'],
    });
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    const contact = await read(first.body.id, second.body.position);
    expect(contact).toMatchObject({
      firstName: 'Ann',
      lastName: 'Lee',
      properties: { plan: 'pro', seats: 3 },
      tags: ['customer-upsert'],
    });
  });
});

describe('changing a contact', () => {
  it('changes identity fields and moves the email reservation', async () => {
    const oldEmail = uniqueEmail('old');
    const newEmail = uniqueEmail('new');
    const { id } = await create({ email: oldEmail, firstName: 'Ann' });
    const patched = await t.request('PATCH', `/contacts/${id}`, {
      email: newEmail,
      phone: '+1 (415) 555-0100',
      timezone: 'Europe/Berlin',
      firstName: null,
    });
    expect(patched.status).toBe(200);
    const contact = await read(id, patched.body.position);
    expect(contact).toMatchObject({
      email: newEmail,
      phone: '+14155550100',
      timezone: 'Europe/Berlin',
      firstName: null,
    });
    // The new address is held, the old one is free again.
    expect((await t.request('POST', '/contacts', { email: newEmail })).status).toBe(409);
    expect((await t.request('POST', '/contacts', { email: oldEmail })).status).toBe(201);
  });

  it('refuses an email another contact holds', async () => {
    const taken = uniqueEmail();
    const holder = await create({ email: taken });
    const { id } = await create({ email: uniqueEmail() });
    const response = await t.request('PATCH', `/contacts/${id}`, { email: taken });
    expect(response.status).toBe(409);
    expect(response.body.details.contactId).toBe(holder.id);
  });

  it('sets and removes tags, typed properties, consent, stage, status and CRM links', async () => {
    const { id } = await create({ email: uniqueEmail() });
    const steps: [string, string, unknown?][] = [
      ['POST', `/contacts/${id}/tags`, { tags: ['VIP Customers', 'newsletter'] }],
      ['DELETE', `/contacts/${id}/tags/newsletter`],
      [
        'PUT',
        `/contacts/${id}/properties/plan`,
        { value: 'gold', type: 'enum', enumOptions: ['silver', 'gold'] },
      ],
      ['PUT', `/contacts/${id}/properties/seats`, { value: '12', type: 'number' }],
      ['PUT', `/contacts/${id}/properties/birthday`, { value: '1990-02-28', type: 'date' }],
      ['PUT', `/contacts/${id}/properties/temp`, { value: true }],
      ['DELETE', `/contacts/${id}/properties/temp`],
      ['PUT', `/contacts/${id}/consent/email`, { granted: true, ip: '203.0.113.7' }],
      ['PUT', `/contacts/${id}/consent/sms`, { granted: false }],
      ['PUT', `/contacts/${id}/lifecycle-stage`, { stage: 'mql' }],
      ['PUT', `/contacts/${id}/status`, { status: 'unsubscribed' }],
      [
        'PUT',
        `/contacts/${id}/external-mappings/hubspot`,
        {
          externalId: '12345',
          url: 'https://app.hubspot.com/contacts/12345',
          syncDirection: 'bidirectional',
        },
      ],
      [
        'PUT',
        `/contacts/${id}/external-mappings/gohighlevel`,
        { externalId: 'abc', syncDirection: 'push_only' },
      ],
      ['DELETE', `/contacts/${id}/external-mappings/gohighlevel`],
    ];
    let position = '';
    for (const [method, path, body] of steps) {
      const response = await t.request(method, path, body);
      expect({ path, status: response.status, body: response.body }).toMatchObject({ status: 200 });
      position = response.body.position;
    }
    const contact = await read(id, position);
    expect(contact).toMatchObject({
      tags: ['vip-customers'],
      properties: { plan: 'gold', seats: 12, birthday: '1990-02-28' },
      consent: { email: { granted: true, ip: '203.0.113.7' }, sms: { granted: false } },
      lifecycleStage: 'mql',
      status: 'unsubscribed',
      externalMappings: [{ provider: 'hubspot', id: '12345', syncDirection: 'bidirectional' }],
    });
    const enumRefused = await t.request('PUT', `/contacts/${id}/properties/plan`, {
      value: 'bronze',
    });
    expect(enumRefused.status).toBe(422);
    expect(enumRefused.body.details.field).toBe('value');

    const activities = await t.request(
      'GET',
      `/contacts/${id}/activities?waitForPosition=${position}&limit=200`,
    );
    const types = activities.body.items.map((a: { activityType: string }) => a.activityType);
    expect(types).toEqual(
      expect.arrayContaining([
        'tag_added',
        'tag_removed',
        'property_changed',
        'lifecycle_stage_changed',
      ]),
    );
  });

  it('soft-deletes: the contact stays readable with status deleted and refuses changes', async () => {
    const { id } = await create({ email: uniqueEmail() });
    const deleted = await t.request('DELETE', `/contacts/${id}`);
    expect(deleted.status).toBe(200);
    const contact = await read(id, deleted.body.position);
    expect(contact.status).toBe('deleted');
    expect((await t.request('PATCH', `/contacts/${id}`, { firstName: 'X' })).status).toBe(409);
  });

  it('answers 404 for unknown contacts, on reads and writes alike', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await t.request('GET', `/contacts/${unknown}`)).status).toBe(404);
    expect((await t.request('PATCH', `/contacts/${unknown}`, { firstName: 'X' })).status).toBe(404);
    expect((await t.request('GET', '/contacts/not-an-id')).status).toBe(404);
    expect((await t.request('GET', `/contacts/${unknown}/history`)).status).toBe(404);
  });
});

describe('reads', () => {
  it('a GET by id right after the create answers the contact without ?waitForPosition, even with the read model behind', async () => {
    // The projection cannot write its row while this transaction holds the
    // table (reads still go through): the read model is behind for sure.
    const blocker = new Client({ connectionString: testDatabaseUrl() });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`LOCK TABLE "${t.schema}".contacts IN EXCLUSIVE MODE`);
    let id: string;
    let pending: Promise<Awaited<ReturnType<typeof t.request>>>;
    try {
      const email = uniqueEmail('own-write');
      ({ id } = await create({ email, firstName: 'Mine' }));
      pending = t.request('GET', `/contacts/${id}`);
      // Let the GET find no row before the read model may catch up.
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await blocker.query('COMMIT');
      await blocker.end();
    }
    const response = await pending!;
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: id!, firstName: 'Mine' });
  });

  it('lists with filters and a cursor', async () => {
    const tag = `list-${Date.now()}`;
    let position = '';
    for (let i = 0; i < 5; i++) {
      const created = await create({
        email: uniqueEmail('list'),
        tags: [tag],
        lifecycleStage: i < 3 ? 'sql' : 'lead',
      });
      position = created.position;
    }
    const page1 = await t.request(
      'GET',
      `/contacts?tag=${tag}&lifecycleStage=sql&limit=2&waitForPosition=${position}`,
    );
    expect(page1.status).toBe(200);
    expect(page1.body.items).toHaveLength(2);
    const page2 = await t.request(
      'GET',
      `/contacts?tag=${tag}&lifecycleStage=sql&limit=2&cursor=${page1.body.nextCursor}`,
    );
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.nextCursor).toBeNull();
    expect((await t.request('GET', '/contacts?limit=0')).status).toBe(422);
    expect((await t.request('GET', '/contacts?cursor=forged')).status).toBe(422);
    expect((await t.request('GET', '/contacts?unknown=1')).status).toBe(422);
  });

  it('gives the history with metadata and personal fields decrypted', async () => {
    const email = uniqueEmail();
    const { id } = await create({ email, firstName: 'Hist' });
    const history = await t.request('GET', `/contacts/${id}/history`, undefined, {
      'x-correlation-id': 'corr-1',
    });
    expect(history.status).toBe(200);
    expect(history.body.events[0]).toMatchObject({
      type: 'ContactCreated',
      data: { email, firstName: 'Hist' },
      metadata: { actor: 'test', occurredAt: expect.any(String) },
    });
  });

  it('answers 504 when the read model cannot reach the position in time', async () => {
    const far = (2n ** 62n).toString();
    const response = await t.request('GET', `/contacts?waitForPosition=${far}`);
    expect(response.status).toBe(504);
    expect(response.body.code).toBe('read-model-behind');
  }, 15_000);

  it('serves its OpenAPI document, health and readiness', async () => {
    const document = await t.request('GET', '/openapi.json');
    expect(document.status).toBe(200);
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining([
        '/contacts',
        '/contacts/{id}',
        '/tags',
        '/activities',
        '/contacts/imports',
      ]),
    );
    expect(document.body.components.schemas.CreateContactDto.properties).toHaveProperty(
      'syncToCrms',
    );
    expect((await t.request('GET', '/health')).body).toEqual({ status: 'ok' });
    expect((await t.request('GET', '/ready')).status).toBe(200);
  });

  it('carries the verified caller and the gateway headers into the event metadata', async () => {
    const response = await t.request(
      'POST',
      '/contacts',
      { email: uniqueEmail() },
      {
        authorization: t.tokenFor({ actor: 'apikey:abc', scopes: ['write'] }),
        // A plain header never names the actor: only the signed token does.
        'x-actor': 'someone-else',
        'x-correlation-id': 'corr-42',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
    );
    const history = await t.request('GET', `/contacts/${response.body.id}/history`);
    expect(history.body.events[0].metadata).toMatchObject({
      actor: 'apikey:abc',
      correlationId: 'corr-42',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
  });
});

describe('concurrency', () => {
  it('50 concurrent creates of one email make one contact; the others get 409 with its id', async () => {
    const email = uniqueEmail('race');
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        t.request('POST', '/contacts', { email, firstName: `R${i}` }),
      ),
    );
    const created = responses.filter((r) => r.status === 201);
    const conflicts = responses.filter((r) => r.status === 409);
    expect(created).toHaveLength(1);
    expect(conflicts).toHaveLength(49);
    const id = created[0].body.id;
    for (const conflict of conflicts) expect(conflict.body.details.contactId).toBe(id);
    const creations = (await t.storedEvents('contact-')).filter(
      (e) => e.event_type === 'ContactCreated' && e.stream_id === `contact-${id}`,
    );
    expect(creations).toHaveLength(1);
    await read(id, created[0].body.position);
    const rows = await t.query(`SELECT id FROM "${t.schema}".contacts WHERE email = $1`, [email]);
    expect(rows).toEqual([{ id }]);
  }, 60_000);

  it('50 concurrent upserts of one email make one contact', async () => {
    const email = uniqueEmail('upsert-race');
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        t.request('PUT', '/contacts', { email, firstName: 'Same', tags: ['racer'] }),
      ),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    const refused = responses.filter((r) => r.status !== 200 && r.status !== 201);
    expect(refused.map((r) => r.body)).toEqual([]);
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    const creations = (await t.storedEvents('contact-')).filter(
      (e) => e.event_type === 'ContactCreated' && e.stream_id === `contact-${responses[0].body.id}`,
    );
    expect(creations).toHaveLength(1);
  }, 60_000);

  it('concurrent changes of one contact never lose an update', async () => {
    const { id } = await create({ email: uniqueEmail('busy') });
    const changes = [
      ...Array.from(
        { length: 20 },
        (_, i) => ['PUT', `/contacts/${id}/properties/p${i}`, { value: `v${i}` }] as const,
      ),
      ['PATCH', `/contacts/${id}`, { firstName: 'First' }] as const,
      ['PATCH', `/contacts/${id}`, { lastName: 'Last' }] as const,
      ['PATCH', `/contacts/${id}`, { timezone: 'Asia/Tokyo' }] as const,
      ['PATCH', `/contacts/${id}`, { locale: 'de-DE' }] as const,
      ['PATCH', `/contacts/${id}`, { phone: '+442071838750' }] as const,
    ];
    const responses = await Promise.all(
      changes.map(([method, path, body]) => t.request(method, path, body)),
    );
    for (const response of responses) expect([200, 409]).toContain(response.status);
    const applied = changes.filter((_, i) => responses[i].status === 200);
    // The retries are generous enough that a burst of this size all lands.
    expect(applied.length).toBe(changes.length);
    const position = responses
      .map((r) => BigInt(r.body.position ?? 0))
      .reduce((a, b) => (a > b ? a : b));
    const contact = await read(id, position.toString());
    for (let i = 0; i < 20; i++) expect(contact.properties[`p${i}`]).toBe(`v${i}`);
    expect(contact).toMatchObject({
      firstName: 'First',
      lastName: 'Last',
      timezone: 'Asia/Tokyo',
      locale: 'de-DE',
      phone: '+442071838750',
    });
  }, 60_000);

  it('a create that skips reading its stream (a new email) still never writes over a contact', async () => {
    // The create path appends without reading when the email was never
    // reserved before; should the contact id exist after all, the append is
    // refused and the ordinary path decides on the stream as it is.
    const existing = await create({ email: uniqueEmail('existing') });
    const before = await t.storedEvents(`contact-${existing.id}`);
    const attempt = t.runtime.createContact.execute(
      {
        input: { email: uniqueEmail('brand-new'), source: 'api' },
        tags: [],
        mode: 'create',
        contactId: existing.id,
      },
      systemContext('test', 'decide-new'),
    );
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toMatchObject({ code: 'email-taken' });
    expect(await t.storedEvents(`contact-${existing.id}`)).toEqual(before);
  });
});
