// Registrations over HTTP against the real PostgreSQL: the seed's example,
// one registration per contact and event, the capacity invariant under 200
// concurrent registrations for 100 seats, waitlist promotion exactly once
// under racing cancellations, current_registrations against the rows,
// closed events, bad input, and the contacts upsert retried through 503s.
import { quietLog } from '@engagement/service-runtime';
import { createEventsApp } from '../app';
import { startEventsRuntime } from '../runtime';
import { openEvent, startTestApp, tokenFor, type TestApp } from '../shared/test-app.testing';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

const email = (i: number | string) =>
  `person.${i}.${Math.random().toString(36).slice(2, 8)}@example.com`;

async function rows(eventId: string) {
  await t.settle();
  return t.query<{ id: string; status: string; contact_id: string }>(
    `SELECT id, status, contact_id FROM "${t.schema}".registrations WHERE event_id = $1`,
    [eventId],
  );
}

async function currentRegistrations(eventId: string): Promise<number> {
  const [row] = await t.query<{ current_registrations: number }>(
    `SELECT current_registrations FROM "${t.schema}".events WHERE id = $1`,
    [eventId],
  );
  return row.current_registrations;
}

const seatedCount = (list: { status: string }[]) =>
  list.filter((r) => r.status !== 'cancelled' && r.status !== 'waitlisted').length;

it("takes the seed's example as written: 201, then 200 with the same registration", async () => {
  const eventId = await openEvent(t);
  const seed = {
    email: 'user@example.com',
    eventId,
    formData: { company: 'Acme Corp', attendee_role: 'Marketing Manager' },
    utmParams: { source: 'linkedin', campaign: 'webinar-2025-Q4' },
  };
  const first = await t.request('POST', '/registrations', seed);
  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({
    eventId,
    contactId: t.contacts.contacts.get('user@example.com'),
    status: 'registered',
  });
  const again = await t.request('POST', '/registrations', seed);
  expect(again.status).toBe(200);
  expect(again.body).toMatchObject({ id: first.body.id, status: 'registered' });

  const read = await t.request(
    'GET',
    `/registrations/${first.body.id}?waitForPosition=${again.body.position}`,
  );
  expect(read.status).toBe(200);
  expect(read.body).toMatchObject({
    eventId,
    status: 'registered',
    formData: seed.formData,
    utmParams: seed.utmParams,
    registrationSource: 'api',
    remindersSent: [],
    attended: false,
  });
  expect(await rows(eventId)).toHaveLength(1);
  const byContact = await t.request('GET', `/registrations?contactId=${first.body.contactId}`);
  expect(byContact.body.items.map((r: { id: string }) => r.id)).toEqual([first.body.id]);
});

it('seats exactly 100 of 200 concurrent registrations for 100 seats, and waitlists the rest', async () => {
  const eventId = await openEvent(t, { maxRegistrations: 100 });
  const answers = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      t.request('POST', '/registrations', { email: email(i), eventId }),
    ),
  );
  expect(answers.map((a) => a.status).filter((s) => s !== 201)).toEqual([]);
  const statuses = answers.map((a) => a.body.status);
  expect(statuses.filter((s) => s === 'registered')).toHaveLength(100);
  expect(statuses.filter((s) => s === 'waitlisted')).toHaveLength(100);

  const list = await rows(eventId);
  expect(list).toHaveLength(200);
  expect(seatedCount(list)).toBe(100);
  expect(await currentRegistrations(eventId)).toBe(100);
});

it('keeps the capacity when two instances of the service take registrations for one event', async () => {
  // A second instance on the same schemas: its own seat allocator, the same seats stream.
  const runtime = await startEventsRuntime(t.runtime.config, quietLog(), { poolSize: 6 });
  const app = await createEventsApp(runtime);
  await app.listen(0, '127.0.0.1');
  const second = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  try {
    const eventId = await openEvent(t, { maxRegistrations: 60 });
    const answers = await Promise.all(
      Array.from({ length: 120 }, async (_, i) => {
        const response = await fetch(`${i % 2 === 0 ? t.url : second}/registrations`, {
          method: 'POST',
          headers: {
            authorization: tokenFor(t.runtime.config.serviceTokenKey),
            'content-type': 'application/json',
          },
          body: JSON.stringify({ email: email(`two.${i}`), eventId }),
        });
        return { status: response.status, body: (await response.json()) as { status: string } };
      }),
    );
    expect(answers.filter((a) => a.status !== 201).map((a) => a.body)).toEqual([]);
    expect(answers.filter((a) => a.body.status === 'registered')).toHaveLength(60);
    const list = await rows(eventId);
    expect(seatedCount(list)).toBe(60);
    expect(await currentRegistrations(eventId)).toBe(60);
  } finally {
    await app.close();
    await runtime.stop();
  }
});

it('promotes each freed seat to one waitlisted registration, exactly once, under racing cancellations', async () => {
  const eventId = await openEvent(t, { maxRegistrations: 20 });
  const answers = [];
  for (let i = 0; i < 30; i++)
    // in order, so the waitlist order is known
    answers.push(await t.request('POST', '/registrations', { email: email(`w${i}`), eventId }));
  const seated = answers.filter((a) => a.body.status === 'registered').map((a) => a.body.id);
  const waiting = answers.filter((a) => a.body.status === 'waitlisted').map((a) => a.body.id);
  expect([seated.length, waiting.length]).toEqual([20, 10]);

  // 8 seated and 2 waitlisted cancel at once (each twice: retried requests).
  const cancelling = [...seated.slice(0, 8), ...waiting.slice(8)];
  const cancels = await Promise.all(
    [...cancelling, ...cancelling].map((id) =>
      t.request('POST', `/registrations/${id}/cancel`, {}),
    ),
  );
  expect(cancels.map((c) => c.status).filter((s) => s !== 200)).toEqual([]);

  // The seat keeper repairs in the background; wait until it has seen everything.
  const deadline = Date.now() + 15_000;
  let list = await rows(eventId);
  while (list.filter((r) => r.status === 'registered').length < 20 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    list = await rows(eventId);
  }
  const status = new Map(list.map((r) => [r.id, r.status]));
  // The 8 oldest waiting got the 8 seats; the 2 youngest waiting cancelled themselves.
  expect(waiting.slice(0, 8).map((id) => status.get(id))).toEqual(Array(8).fill('registered'));
  expect(waiting.slice(8).map((id) => status.get(id))).toEqual(['cancelled', 'cancelled']);
  expect(seatedCount(list)).toBe(20);
  expect(await currentRegistrations(eventId)).toBe(20);
  // Exactly once: one promotion event per promoted registration.
  const promotions = await t.query<{ stream_id: string }>(
    `SELECT stream_id FROM "${t.eventStoreSchema}".events WHERE event_type = 'RegistrationPromoted'
      AND stream_id = ANY($1)`,
    [waiting.map((id) => `registration-${id}`)],
  );
  expect(promotions).toHaveLength(8);
  expect(new Set(promotions.map((p) => p.stream_id)).size).toBe(8);
});

it('refuses registrations for a closed, cancelled or completed event with 409, and an unknown one with 404', async () => {
  const eventId = await openEvent(t);
  await t.request('POST', `/events/${eventId}/close-registration`);
  const closed = await t.request('POST', '/registrations', { email: email('c'), eventId });
  expect(closed).toMatchObject({
    status: 409,
    body: { code: 'registration-closed', details: { currentStatus: 'registration_closed' } },
  });
  const cancelledId = await openEvent(t);
  await t.request('POST', `/events/${cancelledId}/cancel`);
  expect(
    (await t.request('POST', '/registrations', { email: email('x'), eventId: cancelledId })).status,
  ).toBe(409);
  const unknown = await t.request('POST', '/registrations', {
    email: email('u'),
    eventId: '5b0e8f9e-0000-4000-8000-000000000000',
  });
  expect(unknown.status).toBe(404);
});

it('answers 422 for malformed fields without calling contacts', async () => {
  const calls = t.contacts.calls;
  const bad = await t.request('POST', '/registrations', {
    email: 'not-an-email',
    eventId: 'uuid',
    formData: 'text',
    utmParams: [1],
    registrationSource: 'billboard',
  });
  expect(bad.status).toBe(422);
  const fields = bad.body.errors.map((e: { field: string }) => e.field).sort();
  expect([...new Set(fields)]).toEqual([
    'email',
    'eventId',
    'formData',
    'registrationSource',
    'utmParams',
  ]);
  expect(t.contacts.calls).toBe(calls);
});

it('retries the contacts upsert through 5xx answers', async () => {
  const eventId = await openEvent(t);
  t.contacts.failNext(2);
  const answer = await t.request('POST', '/registrations', { email: email('r'), eventId });
  expect(answer.status).toBe(201);
});

it('confirms, records attendance, and marks the rest no_show when the event completes', async () => {
  const eventId = await openEvent(t);
  const a = (await t.request('POST', '/registrations', { email: email('a'), eventId })).body.id;
  const b = (await t.request('POST', '/registrations', { email: email('b'), eventId })).body.id;
  expect((await t.request('POST', `/registrations/${a}/confirm`)).body.status).toBe('confirmed');
  for (const action of ['close-registration', 'start'])
    await t.request('POST', `/events/${eventId}/${action}`);
  const attended = await t.request('POST', `/registrations/${a}/attendance`, {
    attendedAt: new Date().toISOString(),
    durationMinutes: 40,
    engagementScore: 87,
  });
  expect(attended.body.status).toBe('attended');
  await t.request('POST', `/events/${eventId}/complete`);
  const deadline = Date.now() + 10_000;
  let list = await rows(eventId);
  while (!list.some((r) => r.status === 'no_show') && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    list = await rows(eventId);
  }
  const status = Object.fromEntries(list.map((r) => [r.id, r.status]));
  expect(status).toEqual({ [a]: 'attended', [b]: 'no_show' });
  expect(await currentRegistrations(eventId)).toBe(2);
});
