// The email reservation across crashes: a process that died between
// reserving an email and writing the contact must not leave the address
// stuck, and taking a reservation over must never give one address to two
// contacts.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { toNewEvent } from '@engagement/decider';
import { startTestApp, uniqueEmail, type TestApp } from '../shared/test-app.testing';
import { emailReservationStreamId } from './email-reservation';

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

describe('email reservations', () => {
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
