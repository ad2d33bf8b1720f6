import type { MessageEvent, MessageRequestedData } from '@engagement/contracts';
import { ConflictError, given, testContext } from '@engagement/decider';
import { messageDecider, retryDelayMs } from './message.decider';

const at = testContext.now.toISOString();
const ref = {
  messageId: 'a0000000-0000-4000-8000-000000000001',
  contactId: 'c0000000-0000-4000-8000-000000000001',
  channel: 'email' as const,
  campaignId: null,
  templateId: 'e0000000-0000-4000-8000-000000000001',
};
const request: MessageRequestedData = {
  ...ref,
  kind: 'transactional',
  templateVersion: 1,
  variantName: null,
  registrationId: 'f0000000-0000-4000-8000-000000000001',
  eventId: 'd0000000-0000-4000-8000-000000000001',
  reminderType: '1h',
  subject: 'Starts in an hour',
  bodyHtml: '<p>Hi</p>',
  bodyText: 'Hi',
  provider: 'smtp',
};
const requested: MessageEvent = { type: 'MessageRequested', data: request };
const sending = (attempt: number): MessageEvent => ({
  type: 'MessageSending',
  data: { ...ref, attempt, idempotencyKey: `${ref.messageId}:${attempt}` },
});
const sent: MessageEvent = {
  type: 'MessageSent',
  data: {
    ...ref,
    provider: 'smtp',
    providerMessageId: '<m@x>',
    recipientEmail: 'ann@example.com',
    recipientPhone: null,
    subject: 'Starts in an hour',
    registrationId: request.registrationId,
    eventId: request.eventId,
    reminderType: '1h',
    variantName: null,
    sentAt: at,
    reconciled: false,
  },
};

describe('message decider', () => {
  it('requests a message once per message id', () => {
    given(messageDecider, []).when({ type: 'RequestMessage', request }).then([requested]);
    given(messageDecider, [requested]).when({ type: 'RequestMessage', request }).then([]);
  });

  it('records sending before the provider call, and refuses a second attempt while one is in flight', () => {
    given(messageDecider, [requested])
      .when({ type: 'StartSending', idempotencyKey: `${ref.messageId}:1` })
      .then([sending(1)]);
    given(messageDecider, [requested, sending(1)])
      .when({ type: 'StartSending', idempotencyKey: 'again' })
      .thenThrows(ConflictError, { code: 'already-sending' });
  });

  it('records a sent reminder with the ReminderSent the events service needs, once', () => {
    given(messageDecider, [requested, sending(1)])
      .when({
        type: 'RecordSent',
        providerMessageId: '<m@x>',
        recipientEmail: 'ann@example.com',
        recipientPhone: null,
        reconciled: false,
      })
      .then([
        sent,
        {
          type: 'ReminderSent',
          data: {
            messageId: ref.messageId,
            contactId: ref.contactId,
            registrationId: request.registrationId!,
            eventId: request.eventId!,
            reminderType: '1h',
            channel: 'email',
            sentAt: at,
          },
        },
      ]);
    given(messageDecider, [requested, sending(1), sent])
      .when({
        type: 'RecordSent',
        providerMessageId: '<m@x>',
        recipientEmail: null,
        recipientPhone: null,
        reconciled: true,
      })
      .then([]);
    given(messageDecider, [requested, sending(1), sent])
      .when({ type: 'StartSending', idempotencyKey: 'x' })
      .thenThrows(ConflictError, { code: 'not-sendable' });
  });

  it('retries a failed attempt, then fails with the provider error after N attempts', () => {
    const failure = {
      type: 'RecordAttemptFailed' as const,
      errorCode: '421',
      errorMessage: 'try later',
      maxAttempts: 2,
      retryAt: at,
    };
    given(messageDecider, [requested, sending(1)])
      .when(failure)
      .then([
        {
          type: 'MessageAttemptFailed',
          data: { ...ref, attempt: 1, errorCode: '421', errorMessage: 'try later', retryAt: at },
        },
      ]);
    const retried: MessageEvent = {
      type: 'MessageAttemptFailed',
      data: { ...ref, attempt: 1, errorCode: '421', errorMessage: 'x', retryAt: at },
    };
    given(messageDecider, [requested, sending(1), retried])
      .when({ type: 'StartSending', idempotencyKey: `${ref.messageId}:2` })
      .then([sending(2)]);
    given(messageDecider, [requested, sending(1), retried, sending(2)])
      .when(failure)
      .then([
        {
          type: 'MessageFailed',
          data: { ...ref, errorCode: '421', errorMessage: 'try later', failedAt: at },
        },
      ]);
  });

  it('blocks or defers only a message not yet sent', () => {
    given(messageDecider, [requested])
      .when({ type: 'BlockMessage', rule: 'consent', reason: 'no email consent' })
      .then([
        { type: 'MessageBlocked', data: { ...ref, rule: 'consent', reason: 'no email consent' } },
      ]);
    given(messageDecider, [requested, sending(1), sent])
      .when({ type: 'BlockMessage', rule: 'consent', reason: 'x' })
      .then([]);
    given(messageDecider, [requested])
      .when({ type: 'DeferMessage', rule: 'quiet-hours', until: at })
      .then([{ type: 'MessageDeferred', data: { ...ref, rule: 'quiet-hours', until: at } }]);
  });

  it('tracks delivery, opens, clicks, bounces and one unsubscribe after the send only', () => {
    given(messageDecider, [requested]).when({ type: 'RecordOpened' }).then([]);
    const after = [requested, sending(1), sent];
    given(messageDecider, after)
      .when({ type: 'RecordDelivered' })
      .then([{ type: 'MessageDelivered', data: { ...ref, deliveredAt: at } }]);
    given(messageDecider, after)
      .when({ type: 'RecordOpened' })
      .then([
        { type: 'MessageOpened', data: { ...ref, openedAt: at, subject: 'Starts in an hour' } },
      ]);
    given(messageDecider, after)
      .when({ type: 'RecordClicked', url: 'https://example.com/a' })
      .then([
        { type: 'MessageClicked', data: { ...ref, url: 'https://example.com/a', clickedAt: at } },
      ]);
    const bounced: MessageEvent = {
      type: 'MessageBounced',
      data: {
        ...ref,
        bounceType: 'hard',
        errorCode: '550',
        errorMessage: 'no such user',
        bouncedAt: at,
      },
    };
    given(messageDecider, after)
      .when({
        type: 'RecordBounced',
        bounceType: 'hard',
        errorCode: '550',
        errorMessage: 'no such user',
      })
      .then([bounced]);
    given(messageDecider, [...after, bounced])
      .when({ type: 'RecordDelivered' })
      .then([]);
    const unsubscribed: MessageEvent = {
      type: 'RecipientUnsubscribed',
      data: { ...ref, consentChannel: 'email', unsubscribedAt: at },
    };
    given(messageDecider, after)
      .when({ type: 'RecordUnsubscribe', consentChannel: 'email' })
      .then([unsubscribed]);
    given(messageDecider, [...after, unsubscribed])
      .when({ type: 'RecordUnsubscribe', consentChannel: 'email' })
      .then([]);
  });

  it('backs off 1 s, 4 s, 16 s and never beyond 5 minutes', () => {
    expect([1, 2, 3, 10].map((n) => retryDelayMs(n))).toEqual([1000, 4000, 16000, 300000]);
  });
});
