// Crypto-shredding end to end: personal fields are stored encrypted under
// the contact's data key; export shows everything held; erasure destroys
// the key, so the stored events can no longer be read, and the read model
// keeps only placeholders.
import { randomUUID } from 'node:crypto';
import { DataKeyStore } from './data-keys';
import { PersonalDataEventStore } from './personal-data-event-store';
import { parseMasterKeys } from './master-keys';
import { startTestApp, uniqueEmail, type TestApp } from '../shared/test-app.testing';
import { erasedEmail } from '../read-model';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

const secrets = {
  firstName: 'Zelda',
  lastName: 'Quixotic',
  phone: '+14155550123',
  avatarUrl: 'https://example.com/zelda-avatar.png',
  company: 'Secret Company Ltd',
  page: '/very/private/page',
  ip: '198.51.100.23',
  crmId: 'hubspot-record-998877',
};

async function personWithEverything() {
  const email = uniqueEmail('zelda');
  const created = await t.request('POST', '/contacts', {
    email,
    firstName: secrets.firstName,
    lastName: secrets.lastName,
    phone: secrets.phone,
    avatarUrl: secrets.avatarUrl,
    properties: { company: secrets.company },
    tags: ['gdpr-test'],
  });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  const steps = [
    t.request('POST', '/activities', {
      contactId: id,
      activityType: 'page_viewed',
      activityData: { url: secrets.page },
    }),
    t.request('PUT', `/contacts/${id}/consent/email`, { granted: true, ip: secrets.ip }),
    t.request('PUT', `/contacts/${id}/external-mappings/hubspot`, {
      externalId: secrets.crmId,
      syncDirection: 'bidirectional',
    }),
  ];
  let position = created.body.position as string;
  for (const step of steps) {
    const response = await step;
    expect(response.status).toBeLessThan(300);
    if (BigInt(response.body.position) > BigInt(position)) position = response.body.position;
  }
  return { id, email, position };
}

function plaintextIn(text: string, email: string): string[] {
  return [email, ...Object.values(secrets)].filter((secret) => text.includes(secret));
}

describe('personal data', () => {
  it('is stored encrypted: the events table never holds it in clear', async () => {
    const { id, email } = await personWithEverything();
    const rows = await t.storedEvents(`contact-${id}`);
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) expect(plaintextIn(row.data_text, email)).toEqual([]);
    const created = rows.find((row) => row.event_type === 'ContactCreated')!;
    expect(created.data.email).toMatch(/^pd1:k1:/);
    // What is not personal stays readable, for counts and consumers.
    expect(created.data).toMatchObject({
      contactId: id,
      lifecycleStage: 'lead',
      timezone: 'America/Los_Angeles',
    });
  });

  it('exports everything held: read model rows and the decrypted history', async () => {
    const { id, email, position } = await personWithEverything();
    const response = await t.request('GET', `/contacts/${id}/export?waitForPosition=${position}`);
    expect(response.status).toBe(200);
    const text = JSON.stringify(response.body);
    expect(plaintextIn(text, email).sort()).toEqual([email, ...Object.values(secrets)].sort());
    expect(response.body.readModel.contact).toMatchObject({ email, firstName: secrets.firstName });
    expect(response.body.readModel.activities.length).toBeGreaterThan(0);
    expect(response.body.history[0]).toMatchObject({ type: 'ContactCreated', data: { email } });
  });

  it('erasure makes it unreadable everywhere, keeps the counts, and frees the address', async () => {
    const { id, email, position } = await personWithEverything();
    await t.request('GET', `/contacts/${id}?waitForPosition=${position}`);

    const erased = await t.request('POST', `/contacts/${id}/erase`);
    expect(erased.status).toBe(200);
    await t.runtime.projection.waitForPosition(BigInt(erased.body.position), 5_000);

    // The event store: the raw rows hold no plaintext, and the key to read the rest is gone.
    const rows = await t.storedEvents(`contact-${id}`);
    for (const row of rows) expect(plaintextIn(row.data_text, email)).toEqual([]);
    expect(rows.at(-1)!.event_type).toBe('ContactErased');
    const keys = await t.query(
      `SELECT wrapped_key, destroyed_at FROM "${t.schema}".personal_data_keys WHERE contact_id = $1`,
      [id],
    );
    expect(keys).toEqual([{ wrapped_key: null, destroyed_at: expect.any(Date) }]);

    // Reading the events back gives placeholders, not data.
    const history = await t.request('GET', `/contacts/${id}/history`);
    expect(plaintextIn(JSON.stringify(history.body), email)).toEqual([]);
    expect(history.body.events[0].data).toMatchObject({
      email: erasedEmail(id),
      firstName: null,
      lastName: null,
      phone: null,
    });

    // The read model: a placeholder row that still counts, no properties, activities without data.
    const [contact] = await t.query<Record<string, unknown>>(
      `SELECT * FROM "${t.schema}".contacts WHERE id = $1`,
      [id],
    );
    expect(contact).toMatchObject({
      email: erasedEmail(id),
      first_name: null,
      last_name: null,
      phone: null,
      avatar_url: null,
      status: 'deleted',
    });
    expect(plaintextIn(JSON.stringify(contact), email)).toEqual([]);
    const properties = await t.query(
      `SELECT * FROM "${t.schema}".contact_properties WHERE contact_id = $1`,
      [id],
    );
    expect(properties).toEqual([]);
    const activities = await t.query<{ activity_data: unknown }>(
      `SELECT activity_data FROM "${t.schema}".activities WHERE contact_id = $1`,
      [id],
    );
    expect(activities.length).toBeGreaterThan(0);
    expect(plaintextIn(JSON.stringify(activities), email)).toEqual([]);

    // Gone to every reader and every writer; the address can be used again.
    expect((await t.request('GET', `/contacts/${id}`)).status).toBe(404);
    expect((await t.request('GET', `/contacts/${id}/export`)).status).toBe(404);
    expect((await t.request('PATCH', `/contacts/${id}`, { firstName: 'Back' })).status).toBe(404);
    expect((await t.request('POST', `/contacts/${id}/erase`)).status).toBe(200);
    const again = await t.request('POST', '/contacts', { email });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(id);
  });

  it('decrypts for the projection with the same function, and erasing an unknown contact is a 404', async () => {
    expect((await t.request('POST', `/contacts/${randomUUID()}/erase`)).status).toBe(404);
    const { id, email } = await personWithEverything();
    const [stored] = await t.runtime.eventStore.readStream(`contact-${id}`, { maxCount: 1 });
    expect((await t.runtime.cipher.decryptEvent(stored)).data.email).toBe(email);
    await t.runtime.keys.destroy(id);
    expect((await t.runtime.cipher.decryptEvent(stored)).data.email).toBe(erasedEmail(id));
  });

  it('encrypts every contact stream of a multi-stream append, and passes the others through', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const [emailA, emailB] = [uniqueEmail('multi-a'), uniqueEmail('multi-b')];
    const event = (type: string, data: Record<string, string>) => ({
      id: randomUUID(),
      type,
      schemaVersion: 1,
      data,
      metadata: {
        correlationId: randomUUID(),
        causationId: null,
        traceparent: null,
        actor: 'test',
        occurredAt: new Date().toISOString(),
      },
    });
    const store = new PersonalDataEventStore(t.runtime.eventStore, t.runtime.cipher);
    const other = `note-${randomUUID()}`;
    await store.appendToStreams([
      {
        streamId: `contact-${a}`,
        events: [event('ContactCreated', { contactId: a, email: emailA })],
        expectedRevision: 'no_stream',
      },
      {
        streamId: `contact-${b}`,
        events: [event('ContactCreated', { contactId: b, email: emailB })],
        expectedRevision: 'no_stream',
      },
      {
        streamId: other,
        events: [event('NoteTaken', { text: 'plain' })],
        expectedRevision: 'no_stream',
      },
    ]);
    const rows = [
      ...(await t.storedEvents(`contact-${a}`)),
      ...(await t.storedEvents(`contact-${b}`)),
    ];
    expect(rows).toHaveLength(2);
    for (const row of rows)
      expect(plaintextIn(row.data_text, row.data.contactId === a ? emailA : emailB)).toEqual([]);
    expect((await store.readStream(`contact-${a}`))[0].data.email).toBe(emailA);
    expect((await t.runtime.eventStore.readStream(other))[0].data).toEqual({ text: 'plain' });
  });

  it('creates the first keys of many contacts at once: each its own, as stored, erased ones refused', async () => {
    const ids = Array.from({ length: 60 }, () => randomUUID());
    const erased = ids[7];
    await t.runtime.keys.destroy(erased);
    const asked = [...ids, ...ids].map((id) =>
      t.runtime.keys.currentKeyFor(id).then(
        (found) => found.key.export().toString('hex'),
        (error: { code?: string }) => `refused: ${error.code}`,
      ),
    );
    const keys = await Promise.all(asked);
    expect(keys[7]).toBe('refused: contact-erased');
    expect(keys.slice(0, 60)).toEqual(keys.slice(60));
    const live = keys.slice(0, 60).filter((_, i) => i !== 7);
    expect(new Set(live).size).toBe(59);
    // Another process, with nothing cached, reads the very same keys.
    const other = new DataKeyStore(
      t.runtime.pool,
      t.schema,
      parseMasterKeys(t.runtime.config.masterKeys!),
    );
    const reread = await Promise.all(
      ids.map((id) =>
        other
          .keysOf(id)
          .then((found) =>
            found.state === 'active'
              ? found.keys.get(found.currentKeyId)!.export().toString('hex')
              : found.state,
          ),
      ),
    );
    expect(reread).toEqual(keys.slice(0, 60).map((key, i) => (i === 7 ? 'destroyed' : key)));
  });
});
