// The email reservation across crashes: a process that died between
// reserving an email and writing the contact must not leave the address
// stuck, and taking a reservation over must never give one address to two
// contacts.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { toNewEvent } from '@engagement/decider';
import { AppendToStreamsNotSupportedError, type EventStore } from '@engagement/event-store';
import { CreateContactHandler } from '../contacts/create-contact.handler';
import { systemContext } from '../shared/command-context';
import { ContactStreams } from '../shared/contact-streams';
import { startTestApp, uniqueEmail, type TestApp } from '../shared/test-app.testing';
import { TagResolver } from '../tags/tag-resolver';
import { EmailReservations, emailReservationStreamId } from './email-reservation';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

/** What a crashed create leaves behind: the reservation, and no contact. */
async function danglingReservation(email: string, ageMs: number): Promise<string> {
  const holderId = randomUUID();
  const context = {
    now: new Date(Date.now() - ageMs),
    actor: 'crashed-process',
    correlationId: randomUUID(),
    causationId: null,
    traceparent: null,
  };
  const event = { type: 'KeyReserved', data: { holderId } };
  await t.runtime.eventStore.appendToStream(
    emailReservationStreamId(email, t.runtime.config.emailHashKey),
    [toNewEvent(event, context, { schemaVersionOf: () => 1 })],
    { expectedRevision: 'no_stream' },
  );
  return holderId;
}

/** The service's create handler over a store that has no appendToStreams (as on EventStoreDB). */
function handlerWithoutMultiStreamAppends(): {
  handler: CreateContactHandler;
  attempts: () => number;
} {
  let attempts = 0;
  const store: EventStore = Object.create(t.runtime.contactStore);
  store.appendToStreams = async () => {
    attempts++;
    throw new AppendToStreamsNotSupportedError('test', 'a store without multi-stream appends');
  };
  const contacts = new ContactStreams(store);
  const emails = new EmailReservations(contacts, t.runtime.keys, t.runtime.config.emailHashKey);
  const handler = new CreateContactHandler(contacts, emails, new TagResolver(t.runtime.tags));
  return { handler, attempts: () => attempts };
}

describe('email reservations', () => {
  it('a create writes the reservation and the contact in one append (one transaction)', async () => {
    const email = uniqueEmail('one-append');
    const response = await t.request('POST', '/contacts', { email, tags: ['one-append'] });
    expect(response.status).toBe(201);
    // The tag existed before the second create: only that one can be one append.
    const secondEmail = uniqueEmail('one-append-2');
    const second = await t.request('POST', '/contacts', {
      email: secondEmail,
      tags: ['one-append'],
    });
    expect(second.status).toBe(201);
    const rows = await t.query<{ stream_id: string; xid: string }>(
      `SELECT stream_id, xmin::text AS xid FROM "${t.eventStoreSchema}".events
        WHERE stream_id = ANY($1)`,
      [
        [
          `contact-${second.body.id}`,
          emailReservationStreamId(secondEmail, t.runtime.config.emailHashKey),
        ],
      ],
    );
    expect(new Set(rows.map((row) => row.stream_id)).size).toBe(2);
    expect(new Set(rows.map((row) => row.xid)).size).toBe(1);
  });

  it('on a store without multi-stream appends, a create reserves then creates, and 409s as before', async () => {
    const { handler, attempts } = handlerWithoutMultiStreamAppends();
    const email = uniqueEmail('fallback');
    const context = systemContext('test', randomUUID());
    const first = await handler.execute(
      { input: { email, source: 'api' }, tags: [], mode: 'create' },
      context,
    );
    expect(first.created).toBe(true);
    const again = handler.execute(
      { input: { email, source: 'api' }, tags: [], mode: 'create' },
      context,
    );
    await expect(again).rejects.toMatchObject({
      code: 'email-taken',
      details: { contactId: first.contactId },
    });
    // Asked once, then never again.
    expect(attempts()).toBe(1);
    const reservation = await t.storedEvents(
      emailReservationStreamId(email, t.runtime.config.emailHashKey),
    );
    expect(reservation.map((e) => e.data.holderId)).toEqual([first.contactId]);
  });

  it('on a store without multi-stream appends, a create after a crashed create still completes it', async () => {
    const { handler } = handlerWithoutMultiStreamAppends();
    const email = uniqueEmail('fallback-crashed');
    const holderId = await danglingReservation(email, 0);
    const outcome = await handler.execute(
      { input: { email, source: 'api' }, tags: [], mode: 'create' },
      systemContext('test', randomUUID()),
    );
    expect(outcome).toMatchObject({ contactId: holderId, created: true });
  });

  it('name their stream by a keyed hash: no address in any stream id, none testable without the key', async () => {
    const email = uniqueEmail('hashed');
    await t.request('POST', '/contacts', { email });
    const streams = (await t.storedEvents('email-reservation-')).map((e) => e.stream_id);
    expect(streams.some((id) => id.includes(email) || id.includes(email.split('@')[0]))).toBe(
      false,
    );
    expect(streams).toContain(emailReservationStreamId(email, t.runtime.config.emailHashKey));
    // Someone who reads the store but lacks the key hashes the address in vain.
    const plain = `email-reservation-${createHash('sha256').update(email).digest('hex')}`;
    expect(streams).not.toContain(plain);
    expect(streams).not.toContain(emailReservationStreamId(email, randomBytes(32)));
  });

  it('a create after a crashed create completes that contact instead of being stuck', async () => {
    const email = uniqueEmail('crashed');
    const holderId = await danglingReservation(email, 0);
    const response = await t.request('POST', '/contacts', { email, firstName: 'Retry' });
    expect(response.status).toBe(201);
    expect(response.body.id).toBe(holderId);
    const again = await t.request('POST', '/contacts', { email });
    expect(again.status).toBe(409);
    expect(again.body.details.contactId).toBe(holderId);
  });

  it('an upsert after a crashed create completes that contact too', async () => {
    const email = uniqueEmail('crashed-upsert');
    const holderId = await danglingReservation(email, 0);
    const response = await t.request('PUT', '/contacts', { email });
    expect(response.status).toBe(201);
    expect(response.body.id).toBe(holderId);
  });

  it('an email change waits out the lease of a crashed create, then fences it off and takes over', async () => {
    const email = uniqueEmail('contested');
    const { body: mover } = await t.request('POST', '/contacts', { email: uniqueEmail('mover') });

    const fresh = await danglingReservation(email, 0);
    const early = await t.request('PATCH', `/contacts/${mover.id}`, { email });
    expect(early.status).toBe(409);
    expect(early.body.details).toEqual({ contactId: fresh, pending: true });

    const other = uniqueEmail('contested-old');
    const stale = await danglingReservation(other, 60_000);
    const late = await t.request('PATCH', `/contacts/${mover.id}`, { email: other });
    expect(late.status).toBe(200);
    // The crashed create can never complete now: its stream is closed.
    const fenced = await t.storedEvents(`contact-${stale}`);
    expect(fenced.map((e) => e.event_type)).toEqual(['ContactErased']);
    const history = await t.request('GET', `/contacts/${mover.id}/history`);
    expect(history.body.events.at(-1).data.email).toBe(other);
  });

  it('an erased holder loses its address at once', async () => {
    const email = uniqueEmail('reuse');
    const first = await t.request('POST', '/contacts', { email });
    // Erase, then undo the release to play a crash between erasure and release.
    const events = await t.storedEvents(`contact-${first.body.id}`);
    expect(events.length).toBeGreaterThan(0);
    await t.runtime.keys.destroy(first.body.id);
    await t.runtime.eventStore.appendToStream(
      `contact-${first.body.id}`,
      [
        toNewEvent(
          {
            type: 'ContactErased',
            data: { contactId: first.body.id, erasedAt: new Date().toISOString() },
          },
          { now: new Date(), actor: 't', correlationId: 'c', causationId: null, traceparent: null },
          { schemaVersionOf: () => 1 },
        ),
      ],
      { expectedRevision: 'any' },
    );
    const second = await t.request('POST', '/contacts', { email });
    expect(second.status).toBe(201);
    expect(second.body.id).not.toBe(first.body.id);
  });

  it('an address left behind by a crashed email change is free once the lease is over', async () => {
    const email = uniqueEmail('left-behind');
    const { body: holder } = await t.request('POST', '/contacts', {
      email: uniqueEmail('elsewhere'),
    });
    // The holder reserved `email` (long ago) but never switched to it.
    const context = {
      now: new Date(Date.now() - 60_000),
      actor: 'crashed-process',
      correlationId: randomUUID(),
      causationId: null,
      traceparent: null,
    };
    await t.runtime.eventStore.appendToStream(
      emailReservationStreamId(email, t.runtime.config.emailHashKey),
      [
        toNewEvent({ type: 'KeyReserved', data: { holderId: holder.id } }, context, {
          schemaVersionOf: () => 1,
        }),
      ],
      { expectedRevision: 'no_stream' },
    );
    const response = await t.request('POST', '/contacts', { email });
    expect(response.status).toBe(201);
    expect(response.body.id).not.toBe(holder.id);
  });
});
