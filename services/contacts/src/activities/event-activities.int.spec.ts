// Activities from topic `events`: the consumer's handler against the real
// contacts runtime (Kafka itself is exercised end to end in e2e/): a
// registration, an attendance and a no-show become the seed's activities,
// scored; a redelivery records nothing more; an unknown contact is refused
// for good (dead letter), not retried.
import { randomUUID } from 'node:crypto';
import { isPermanentMessageError } from '@engagement/bus';
import type { RecordedEvent } from '@engagement/event-store';
import { startTestApp, uniqueEmail, type TestApp } from '../shared/test-app.testing';
import { eventActivitiesConsumer } from './event-activities.consumer';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({
    leadScoringRules: JSON.stringify({
      points: { event_registered: 5, event_attended: 20, event_no_show: -3 },
    }),
  });
});
afterAll(async () => {
  await t?.close();
});

function kafkaEvent(type: string, data: Record<string, unknown>): RecordedEvent {
  return {
    id: randomUUID(),
    type,
    schemaVersion: 1,
    streamId: `registration-${data.registrationId}`,
    revision: 0n,
    globalPosition: 1n,
    data: data as RecordedEvent['data'],
    metadata: {
      correlationId: randomUUID(),
      causationId: null,
      traceparent: null,
      actor: 'test',
      occurredAt: new Date().toISOString(),
    },
  };
}

it('records event_registered, event_attended and event_no_show once each, scored', async () => {
  const contactId = (await t.request('POST', '/contacts', { email: uniqueEmail() })).body.id;
  const consumer = eventActivitiesConsumer('events', t.runtime.recordActivity);
  const names = { registrationId: randomUUID(), eventId: randomUUID(), contactId };
  const registered = kafkaEvent('RegistrationCreated', {
    ...names,
    status: 'registered',
    eventTitle: 'How to Build AI Funnels',
    registrationSource: 'api',
    sourceUrl: null,
    utmParams: null,
    formData: {},
    registeredAt: new Date().toISOString(),
  });
  const attended = kafkaEvent('RegistrationAttended', {
    ...names,
    eventTitle: 'How to Build AI Funnels',
    attendedAt: new Date().toISOString(),
    durationMinutes: 40,
    engagementScore: 80,
  });
  const noShow = kafkaEvent('RegistrationMarkedNoShow', { ...names, eventTitle: 'Other' });
  const ignored = kafkaEvent('RegistrationConfirmed', {
    ...names,
    confirmedAt: new Date().toISOString(),
  });
  for (const event of [registered, registered, attended, noShow, ignored, attended]) {
    await consumer.handle!(event, undefined as never);
  }
  const rows = await t.query<{
    id: string;
    activity_type: string;
    activity_data: Record<string, unknown>;
  }>(
    `SELECT id, activity_type, activity_data FROM "${t.schema}".activities WHERE contact_id = $1 ORDER BY occurred_at`,
    [contactId],
  );
  // The projection runs behind the append: wait for the three rows.
  const deadline = Date.now() + 10_000;
  let found = rows;
  while (found.length < 3 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    found = await t.query(
      `SELECT id, activity_type, activity_data FROM "${t.schema}".activities WHERE contact_id = $1 ORDER BY occurred_at`,
      [contactId],
    );
  }
  expect(found.map((r) => [r.id, r.activity_type]).sort()).toEqual(
    [
      [registered.id, 'event_registered'],
      [attended.id, 'event_attended'],
      [noShow.id, 'event_no_show'],
    ].sort(),
  );
  expect(found.find((r) => r.activity_type === 'event_registered')!.activity_data).toMatchObject({
    event_id: names.eventId,
    event_title: 'How to Build AI Funnels',
  });
  const [contact] = await t.query<{ lead_score: number }>(
    `SELECT lead_score FROM "${t.schema}".contacts WHERE id = $1`,
    [contactId],
  );
  expect(contact.lead_score).toBe(5 + 20 - 3);
});

it('refuses an event for an unknown contact for good', async () => {
  const consumer = eventActivitiesConsumer('events', t.runtime.recordActivity);
  const event = kafkaEvent('RegistrationMarkedNoShow', {
    registrationId: randomUUID(),
    eventId: randomUUID(),
    contactId: randomUUID(),
    eventTitle: 'x',
  });
  const error = await consumer.handle!(event, undefined as never).catch((e: unknown) => e);
  expect(isPermanentMessageError(error)).toBe(true);
});
