// The event lifecycle over HTTP against the real PostgreSQL: create with the
// seed's columns, valid transitions, 409 naming the current status for the
// others, 422 for every malformed field (nothing appended), 404 for an
// unknown event, reschedule, lists with filters and cursor pages.
import { newEvent, openEvent, startTestApp, type TestApp } from '../shared/test-app.testing';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

async function eventCount(): Promise<number> {
  const [row] = await t.query<{ count: string }>(
    `SELECT count(*) FROM "${t.eventStoreSchema}".events`,
  );
  return Number(row.count);
}

it('creates an event with the seed columns in camelCase and reads it back', async () => {
  const body = newEvent({
    description: 'A live session',
    landingPageSlug: `funnels-${Date.now()}`,
    maxRegistrations: 100,
    contentContext: { offer: 'Free funnel template' },
    platformMetadata: { host_id: 'h1' },
  });
  const created = await t.request('POST', '/events', body);
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ status: 'draft', revision: 0 });
  const read = await t.request(
    'GET',
    `/events/${created.body.id}?waitForPosition=${created.body.position}`,
  );
  expect(read.status).toBe(200);
  expect(read.body).toMatchObject({
    id: created.body.id,
    title: body.title,
    type: 'webinar',
    platform: 'virtual_custom',
    scheduledAt: body.scheduledAt,
    timezone: 'America/New_York',
    durationMinutes: 45,
    endsAt: new Date(Date.parse(body.scheduledAt) + 45 * 60_000).toISOString(),
    maxRegistrations: 100,
    currentRegistrations: 0,
    contentContext: { offer: 'Free funnel template' },
    status: 'draft',
  });
});

it('moves through the lifecycle; an invalid transition is a 409 naming the current status', async () => {
  const { body } = await t.request('POST', '/events', newEvent());
  const id = body.id;
  const start = await t.request('POST', `/events/${id}/start`);
  expect(start.status).toBe(409);
  expect(start.contentType).toContain('application/problem+json');
  expect(start.body).toMatchObject({
    code: 'invalid-transition',
    details: { currentStatus: 'draft' },
  });
  expect(start.body.detail).toContain('draft');

  for (const [action, status] of [
    ['schedule', 'scheduled'],
    ['schedule', 'scheduled'], // a repeat changes nothing
    ['open-registration', 'registration_open'],
    ['close-registration', 'registration_closed'],
    ['start', 'live'],
    ['complete', 'completed'],
  ]) {
    const moved = await t.request('POST', `/events/${id}/${action}`);
    expect([action, moved.status, moved.body.status]).toEqual([action, 200, status]);
  }
  const cancel = await t.request('POST', `/events/${id}/cancel`, { reason: 'late' });
  expect(cancel.status).toBe(409);
  expect(cancel.body.details).toEqual({ currentStatus: 'completed' });
  await t.settle();
  const read = await t.request('GET', `/events/${id}`);
  expect(read.body.status).toBe('completed');
  expect(read.body.startedAt).not.toBeNull();
  expect(read.body.completedAt).not.toBeNull();
});

it('postpones, reschedules (back to scheduled) and cancels', async () => {
  const id = await openEvent(t);
  expect((await t.request('POST', `/events/${id}/postpone`, {})).body.status).toBe('postponed');
  const later = new Date(Date.now() + 7 * 86_400_000).toISOString();
  const moved = await t.request('POST', `/events/${id}/reschedule`, { scheduledAt: later });
  expect(moved).toMatchObject({ status: 200, body: { status: 'scheduled' } });
  const cancelled = await t.request('POST', `/events/${id}/cancel`);
  expect(cancelled).toMatchObject({ status: 200, body: { status: 'cancelled' } });
  await t.settle();
  const read = await t.request('GET', `/events/${id}`);
  expect(read.body).toMatchObject({ scheduledAt: later, status: 'cancelled' });
  expect(read.body.cancelledAt).not.toBeNull();
});

it('answers 422 for every malformed field and appends nothing', async () => {
  const before = await eventCount();
  const bad = await t.request('POST', '/events', {
    title: '',
    type: 'party',
    platform: 'myspace',
    scheduledAt: 'tomorrow',
    timezone: 'Mars/Olympus',
    durationMinutes: -5,
    maxRegistrations: -1,
    coverImageUrl: 'javascript:alert(1)',
    landingPageSlug: 'Not A Slug',
    surprise: true,
  });
  expect(bad.status).toBe(422);
  expect(bad.contentType).toContain('application/problem+json');
  const fields = new Set(bad.body.errors.map((e: { field: string }) => e.field));
  for (const field of ['surprise']) expect(fields).toContain(field);
  const fieldsOnly = await t.request('POST', '/events', {
    title: '',
    type: 'party',
    platform: 'myspace',
    scheduledAt: 'tomorrow',
    timezone: 'Mars/Olympus',
    durationMinutes: -5,
    maxRegistrations: -1,
    coverImageUrl: 'javascript:alert(1)',
    landingPageSlug: 'Not A Slug',
  });
  const named = new Set(fieldsOnly.body.errors.map((e: { field: string }) => e.field));
  expect([...named].sort()).toEqual(
    [
      'coverImageUrl',
      'durationMinutes',
      'landingPageSlug',
      'maxRegistrations',
      'platform',
      'scheduledAt',
      'timezone',
      'title',
      'type',
    ].sort(),
  );
  const past = await t.request(
    'POST',
    '/events',
    newEvent({ scheduledAt: '2020-01-01T00:00:00Z' }),
  );
  expect(past).toMatchObject({
    status: 422,
    body: { code: 'schedule-in-past', details: { field: 'scheduledAt' } },
  });
  expect(await eventCount()).toBe(before);
});

it('answers 404 for an unknown or malformed event id', async () => {
  expect((await t.request('GET', '/events/5b0e8f9e-0000-4000-8000-000000000000')).status).toBe(404);
  expect((await t.request('GET', '/events/not-a-uuid')).status).toBe(404);
  const transition = await t.request(
    'POST',
    '/events/5b0e8f9e-0000-4000-8000-000000000000/schedule',
  );
  expect(transition.status).toBe(404);
});

it('creates one event for one Idempotency-Key: a retry answers with the first result', async () => {
  const body = newEvent({ landingPageSlug: `retried-${Date.now()}` });
  const before = await eventCount();
  const key = { 'idempotency-key': `create-${Date.now()}` };
  const first = await t.request('POST', '/events', body, key);
  const retry = await t.request('POST', '/events', body, key);
  expect(first.status).toBe(201);
  expect(retry.status).toBe(201);
  expect(retry.body).toEqual(first.body);
  // The event and its slug reservation, once.
  expect(await eventCount()).toBe(before + 2);
  const other = await t.request('POST', '/events', newEvent());
  expect(other.body.id).not.toBe(first.body.id);
});

it('refuses a landing page slug another event holds', async () => {
  const slug = `slug-${Date.now()}`;
  expect((await t.request('POST', '/events', newEvent({ landingPageSlug: slug }))).status).toBe(
    201,
  );
  const second = await t.request('POST', '/events', newEvent({ landingPageSlug: slug }));
  expect(second).toMatchObject({ status: 409, body: { code: 'slug-taken' } });
});

it('lists events by status and type in cursor pages', async () => {
  const type = 'masterclass';
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const at = new Date(Date.now() + (10 + i) * 86_400_000).toISOString();
    ids.push((await t.request('POST', '/events', newEvent({ type, scheduledAt: at }))).body.id);
  }
  await t.settle();
  const first = await t.request('GET', `/events?type=${type}&status=draft&limit=2`);
  expect(first.status).toBe(200);
  expect(first.body.items.map((e: { id: string }) => e.id)).toEqual(ids.slice(0, 2));
  const second = await t.request(
    'GET',
    `/events?type=${type}&status=draft&limit=2&cursor=${first.body.nextCursor}`,
  );
  expect(second.body.items.map((e: { id: string }) => e.id)).toEqual(ids.slice(2));
  expect(second.body.nextCursor).toBeNull();
  const bad = await t.request('GET', '/events?status=sleeping&from=yesterday');
  expect(bad.status).toBe(422);
});
