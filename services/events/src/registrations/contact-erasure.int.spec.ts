// ContactErased (appended here to the contact's stream, as the contacts
// service does) blanks the personal fields of the contact's registrations
// in the read model, a rebuild blanks them too (the projection reads the
// event in order), and the service leaves its erasure receipt. The answers
// were sealed with the contact's data key in the event store all along, and
// open as null once the key is destroyed: an audit after the erasure finds
// the rows the live projection left.
import { randomUUID } from 'node:crypto';
import { ERASURE_APPLIED, erasureStreamId, parseEnvelope } from '@engagement/personal-data';
import { auditProjection } from '@engagement/projections';
import { eventsReadable } from '../operator';
import { createEventsReadModelProjection } from '../read-model/events-read-model.projection';
import { openEvent, startTestApp, type TestApp } from '../shared/test-app.testing';
import { registrantDataKeys } from './sealed-registration-fields';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

it("blanks an erased contact's registrations and leaves a receipt", async () => {
  const eventId = await openEvent(t);
  const registered = await t.request('POST', '/registrations', {
    email: `erase.${Date.now()}@example.com`,
    eventId,
    formData: { company: 'Acme Corp', phone_note: 'call me at +1 415 555 0100' },
    utmParams: { source: 'linkedin' },
    sourceUrl: 'https://example.com/landing?who=ada',
  });
  const { id, contactId } = registered.body;
  await t.settle();
  // In clear in the read model, sealed in the store (and so on the topic).
  expect((await t.request('GET', `/registrations/${id}`)).body).toMatchObject({
    formData: { company: 'Acme Corp', phone_note: 'call me at +1 415 555 0100' },
    utmParams: { source: 'linkedin' },
    sourceUrl: 'https://example.com/landing?who=ada',
  });
  const [created] = await t.runtime.streams.store.readStream(`registration-${id}`);
  expect(created.type).toBe('RegistrationCreated');
  for (const field of ['formData', 'utmParams', 'sourceUrl']) {
    expect(parseEnvelope(created.data[field])?.keyId).toBe('k1');
  }
  expect(JSON.stringify(created.data)).not.toMatch(/Acme|555|linkedin|ada/);
  // The operators' tools (npm run history) read them with the service's own keys.
  const operatorEnv = {
    ...process.env,
    CONTACTS_URL: t.contacts.url,
    PLATFORM_TOKEN_SECRET: t.runtime.config.serviceTokenKey.toString('base64'),
  };
  expect((await eventsReadable(operatorEnv)(created)).data.formData).toEqual({
    company: 'Acme Corp',
    phone_note: 'call me at +1 415 555 0100',
  });

  // The contacts service destroys the key, then appends ContactErased.
  t.contacts.erase(contactId);
  await t.runtime.streams.store.appendToStream(
    `contact-${contactId}`,
    [
      {
        id: randomUUID(),
        type: 'ContactErased',
        schemaVersion: 1,
        data: { contactId, erasedAt: new Date().toISOString() },
        metadata: {
          correlationId: randomUUID(),
          causationId: null,
          traceparent: null,
          actor: 'test',
          occurredAt: new Date().toISOString(),
        },
      },
    ],
    { expectedRevision: 'any' },
  );
  const deadline = Date.now() + 15_000;
  let receipts = await t.runtime.streams.store.readStream(erasureStreamId(contactId));
  while (receipts.length === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    receipts = await t.runtime.streams.store.readStream(erasureStreamId(contactId));
  }
  expect(receipts.map((r) => [r.type, r.data.service])).toEqual([[ERASURE_APPLIED, 'events']]);
  const read = await t.request('GET', `/registrations/${id}`);
  expect(read.body).toMatchObject({
    status: 'registered',
    formData: {},
    utmParams: null,
    sourceUrl: null,
  });
  const [event] = await t.query<{ current_registrations: number }>(
    `SELECT current_registrations FROM "${t.schema}".events WHERE id = $1`,
    [eventId],
  );
  expect(event.current_registrations).toBe(1);

  expect((await eventsReadable(operatorEnv)(created)).data).toMatchObject({
    formData: null,
    utmParams: null,
    sourceUrl: null,
  });

  // A rebuild opens the answers as null, and ContactErased blanks the same fields.
  const audit = await auditProjection(
    { store: t.runtime.base.eventStore, pool: t.runtime.base.pool, progress: quiet },
    createEventsReadModelProjection(t.schema, registrantDataKeys(t.runtime.config)),
  );
  expect(audit.rebuild.rowsWritten).toBeGreaterThan(0);
  expect(audit.differences).toEqual([]);
});

const quiet = () => ({ update: () => undefined, finish: () => undefined });
