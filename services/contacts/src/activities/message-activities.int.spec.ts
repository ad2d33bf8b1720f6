// What topic `messaging` does to contacts: the consumer's handler against
// the real contacts runtime (Kafka itself is exercised end to end in e2e/):
// an email sent, opened, clicked and hard-bounced become the seed's
// activities once each, the hard bounce sets status `bounced`, and a
// one-click unsubscribe revokes the channel's consent; an unknown contact
// is refused for good.
import { randomUUID } from 'node:crypto';
import { isPermanentMessageError } from '@engagement/bus';
import type { RecordedEvent } from '@engagement/event-store';
import { startTestApp, uniqueEmail, type TestApp } from '../shared/test-app.testing';
import { messageActivitiesConsumer } from './message-activities.consumer';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

function kafkaEvent(type: string, data: Record<string, unknown>): RecordedEvent {
  return {
    id: randomUUID(),
    type,
    schemaVersion: 1,
    streamId: `message-${data.messageId}`,
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

it('records email_sent, email_opened, email_clicked and email_bounced once each; a hard bounce sets status bounced; an unsubscribe revokes consent', async () => {
  const created = await t.request('POST', '/contacts', { email: uniqueEmail() });
  const contactId = created.body.id;
  const consent = await t.request('PUT', `/contacts/${contactId}/consent/email`, { granted: true });
  expect(consent.status).toBe(200);
  const consumer = messageActivitiesConsumer(
    'messaging',
    t.schema,
    t.runtime.recordActivity,
    t.runtime.updateContact,
  );
  const at = new Date().toISOString();
  const ref = {
    messageId: randomUUID(),
    contactId,
    channel: 'email',
    campaignId: null,
    templateId: null,
  };
  const sent = kafkaEvent('MessageSent', {
    ...ref,
    provider: 'smtp',
    providerMessageId: '<m@x>',
    recipientEmail: 'x@example.com',
    recipientPhone: null,
    subject: 'Hello',
    registrationId: null,
    eventId: null,
    reminderType: null,
    variantName: null,
    sentAt: at,
    reconciled: false,
  });
  const opened = kafkaEvent('MessageOpened', { ...ref, openedAt: at, subject: 'Hello' });
  const clicked = kafkaEvent('MessageClicked', {
    ...ref,
    url: 'https://example.com/a',
    clickedAt: at,
  });
  const bounced = kafkaEvent('MessageBounced', {
    ...ref,
    bounceType: 'hard',
    errorCode: '550',
    errorMessage: 'no such user',
    bouncedAt: at,
  });
  const unsubscribed = kafkaEvent('RecipientUnsubscribed', {
    ...ref,
    consentChannel: 'email',
    unsubscribedAt: at,
  });
  const sending = kafkaEvent('MessageSending', { ...ref, attempt: 1, idempotencyKey: 'k' });
  for (const event of [
    sent,
    sent,
    opened,
    clicked,
    sending,
    bounced,
    bounced,
    unsubscribed,
    unsubscribed,
  ]) {
    await consumer.handle!(event, undefined as never);
  }
  const read = () =>
    t.query<{ id: string; activity_type: string }>(
      `SELECT id, activity_type FROM "${t.schema}".activities WHERE contact_id = $1 AND related_to_type = 'message'`,
      [contactId],
    );
  const deadline = Date.now() + 10_000;
  let found = await read();
  while (found.length < 4 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    found = await read();
  }
  expect(found.map((r) => [r.id, r.activity_type]).sort()).toEqual(
    [
      [sent.id, 'email_sent'],
      [opened.id, 'email_opened'],
      [clicked.id, 'email_clicked'],
      [bounced.id, 'email_bounced'],
    ].sort(),
  );
  let contact = await t.request('GET', `/contacts/${contactId}`);
  while (contact.body.consent?.email?.granted !== false && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    contact = await t.request('GET', `/contacts/${contactId}`);
  }
  expect(contact.body.status).toBe('bounced');
  expect(contact.body.consent.email).toMatchObject({ granted: false });
});

it('refuses an event for an unknown contact for good', async () => {
  const consumer = messageActivitiesConsumer(
    'messaging',
    t.schema,
    t.runtime.recordActivity,
    t.runtime.updateContact,
  );
  const error = await consumer.handle!(
    kafkaEvent('MessageOpened', {
      messageId: randomUUID(),
      contactId: randomUUID(),
      channel: 'email',
      campaignId: null,
      templateId: null,
      openedAt: new Date().toISOString(),
      subject: null,
    }),
    undefined as never,
  ).catch((e: unknown) => e);
  expect(isPermanentMessageError(error)).toBe(true);
});
