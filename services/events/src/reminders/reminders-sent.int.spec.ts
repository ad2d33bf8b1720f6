// ReminderSent from topic `messaging` (hand-made events, the shape of the
// messaging contract) through the consumer's handler into the real service:
// each reminder once in registrations.reminders_sent, redeliveries changing
// nothing; an unknown registration is refused for good (dead letter).
import { randomUUID } from 'node:crypto';
import { isPermanentMessageError } from '@engagement/bus';
import type { RecordedEvent } from '@engagement/event-store';
import { openEvent, startTestApp, type TestApp } from '../shared/test-app.testing';
import { remindersSentConsumer } from './reminders-sent.consumer';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

function reminderSent(
  registrationId: string,
  eventId: string,
  contactId: string,
  reminderType: string,
): RecordedEvent {
  return {
    id: randomUUID(),
    type: 'ReminderSent',
    schemaVersion: 1,
    streamId: `message-${randomUUID()}`,
    revision: 3n,
    globalPosition: 10n,
    data: {
      messageId: randomUUID(),
      contactId,
      registrationId,
      eventId,
      reminderType,
      channel: 'email',
      sentAt: '2030-01-01T09:00:00.000Z',
    },
    metadata: {
      correlationId: randomUUID(),
      causationId: null,
      traceparent: null,
      actor: 'service:messaging',
      occurredAt: new Date().toISOString(),
    },
  };
}

it('records each reminder once in reminders_sent', async () => {
  const eventId = await openEvent(t);
  const registered = await t.request('POST', '/registrations', {
    email: `rem.${Date.now()}@example.com`,
    eventId,
  });
  const { id, contactId } = registered.body;
  const consumer = remindersSentConsumer('messaging', t.runtime.streams);
  const day = reminderSent(id, eventId, contactId, '24h');
  const hour = reminderSent(id, eventId, contactId, '1h');
  for (const event of [day, day, hour, day]) await consumer.handle!(event, undefined as never);
  await t.settle();
  const read = await t.request('GET', `/registrations/${id}`);
  expect(read.body.remindersSent).toEqual([
    {
      type: '24h',
      sent_at: '2030-01-01T09:00:00.000Z',
      channel: 'email',
      message_id: day.data.messageId,
    },
    {
      type: '1h',
      sent_at: '2030-01-01T09:00:00.000Z',
      channel: 'email',
      message_id: hour.data.messageId,
    },
  ]);
});

it('refuses a reminder for an unknown registration for good', async () => {
  const consumer = remindersSentConsumer('messaging', t.runtime.streams);
  const error = await consumer.handle!(
    reminderSent(randomUUID(), randomUUID(), randomUUID(), '24h'),
    undefined as never,
  ).catch((e: unknown) => e);
  expect(isPermanentMessageError(error)).toBe(true);
});
