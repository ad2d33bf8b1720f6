// A message's stream (`message-<uuid>`): requested → rules checked
// (blocked, deferred) → sending → sent | retried | failed → delivered,
// bounced, opened, clicked, unsubscribed. "Sending" is recorded before the
// provider is called, so a message found sending after a crash is
// reconciled with the provider, never sent a second time.
import type {
  BounceType,
  MessageEvent,
  MessageRef,
  MessageRequestedData,
  MessageSent,
} from '@engagement/contracts';
import { ConflictError, NotFoundError, type Decider } from '@engagement/decider';

export type MessageStatus =
  | 'requested'
  | 'deferred'
  | 'blocked'
  | 'sending'
  | 'retrying'
  | 'sent'
  | 'delivered'
  | 'bounced'
  | 'failed';

export type MessageState =
  | { exists: false }
  | {
      exists: true;
      status: MessageStatus;
      request: MessageRequestedData;
      attempts: number;
      idempotencyKey: string | null;
      deferredUntil: string | null;
      /** When the next attempt may start after a failed one. */
      retryAt: string | null;
      unsubscribed: boolean;
    };

export type MessageCommand =
  | { type: 'RequestMessage'; request: MessageRequestedData }
  | { type: 'BlockMessage'; rule: string; reason: string }
  | { type: 'DeferMessage'; rule: string; until: string }
  | { type: 'StartSending'; idempotencyKey: string }
  | {
      type: 'RecordSent';
      providerMessageId: string | null;
      recipientEmail: string | null;
      recipientPhone: string | null;
      reconciled: boolean;
    }
  | {
      type: 'RecordAttemptFailed';
      errorCode: string;
      errorMessage: string;
      maxAttempts: number;
      retryAt: string;
    }
  | { type: 'RecordDelivered' }
  | {
      type: 'RecordBounced';
      bounceType: BounceType;
      errorCode: string | null;
      errorMessage: string | null;
    }
  | { type: 'RecordOpened' }
  | { type: 'RecordClicked'; url: string }
  | { type: 'RecordUnsubscribe'; consentChannel: string };

const SENDABLE: MessageStatus[] = ['requested', 'deferred', 'retrying'];
const AFTER_SEND: MessageStatus[] = ['sent', 'delivered', 'bounced'];

function refOf(request: MessageRequestedData): MessageRef {
  return {
    messageId: request.messageId,
    contactId: request.contactId,
    channel: request.channel,
    campaignId: request.campaignId,
    templateId: request.templateId,
  };
}

export const messageDecider: Decider<MessageCommand, MessageEvent, MessageState> = {
  initialState: () => ({ exists: false }),

  evolve(state, event) {
    if (event.type === 'MessageRequested') {
      return {
        exists: true,
        status: 'requested',
        request: event.data,
        attempts: 0,
        idempotencyKey: null,
        deferredUntil: null,
        retryAt: null,
        unsubscribed: false,
      };
    }
    if (!state.exists) return state;
    switch (event.type) {
      case 'MessageBlocked':
        return { ...state, status: 'blocked' };
      case 'MessageDeferred':
        return { ...state, status: 'deferred', deferredUntil: event.data.until };
      case 'MessageSending':
        return {
          ...state,
          status: 'sending',
          attempts: event.data.attempt,
          idempotencyKey: event.data.idempotencyKey,
        };
      case 'MessageSent':
        return { ...state, status: 'sent' };
      case 'MessageAttemptFailed':
        return { ...state, status: 'retrying', retryAt: event.data.retryAt };
      case 'MessageFailed':
        return { ...state, status: 'failed' };
      case 'MessageDelivered':
        return state.status === 'sent' ? { ...state, status: 'delivered' } : state;
      case 'MessageBounced':
        return { ...state, status: 'bounced' };
      case 'RecipientUnsubscribed':
        return { ...state, unsubscribed: true };
      default:
        return state;
    }
  },

  decide(command, state, context) {
    const at = context.now.toISOString();
    if (command.type === 'RequestMessage') {
      // The message id is the idempotency key of a request: a repeat is done already.
      if (state.exists) return [];
      return [{ type: 'MessageRequested', data: command.request }];
    }
    if (!state.exists) throw new NotFoundError('message not found', 'message-not-found');
    const ref = refOf(state.request);
    const { status } = state;

    switch (command.type) {
      case 'BlockMessage':
        if (!SENDABLE.includes(status)) return [];
        return [
          { type: 'MessageBlocked', data: { ...ref, rule: command.rule, reason: command.reason } },
        ];
      case 'DeferMessage':
        if (!SENDABLE.includes(status)) return [];
        if (status === 'deferred' && state.deferredUntil === command.until) return [];
        return [
          { type: 'MessageDeferred', data: { ...ref, rule: command.rule, until: command.until } },
        ];
      case 'StartSending':
        if (status === 'sending') {
          throw new ConflictError('an attempt is in flight: reconcile it first', 'already-sending');
        }
        if (!SENDABLE.includes(status))
          throw new ConflictError(`message is ${status}`, 'not-sendable');
        return [
          {
            type: 'MessageSending',
            data: { ...ref, attempt: state.attempts + 1, idempotencyKey: command.idempotencyKey },
          },
        ];
      case 'RecordSent': {
        if (AFTER_SEND.includes(status)) return [];
        if (status !== 'sending') throw new ConflictError(`message is ${status}`, 'not-sending');
        const r = state.request;
        const sent: MessageSent = {
          type: 'MessageSent',
          data: {
            ...ref,
            provider: r.provider,
            providerMessageId: command.providerMessageId,
            recipientEmail: command.recipientEmail,
            recipientPhone: command.recipientPhone,
            subject: r.subject,
            registrationId: r.registrationId,
            eventId: r.eventId,
            reminderType: r.reminderType,
            variantName: r.variantName,
            sentAt: at,
            reconciled: command.reconciled,
          },
        };
        if (r.reminderType && r.registrationId && r.eventId) {
          return [
            sent,
            {
              type: 'ReminderSent',
              data: {
                messageId: r.messageId,
                contactId: r.contactId,
                registrationId: r.registrationId,
                eventId: r.eventId,
                reminderType: r.reminderType,
                channel: r.channel,
                sentAt: at,
              },
            },
          ];
        }
        return [sent];
      }
      case 'RecordAttemptFailed': {
        if (status !== 'sending') return [];
        const { errorCode, errorMessage } = command;
        if (state.attempts >= command.maxAttempts) {
          return [
            { type: 'MessageFailed', data: { ...ref, errorCode, errorMessage, failedAt: at } },
          ];
        }
        return [
          {
            type: 'MessageAttemptFailed',
            data: {
              ...ref,
              attempt: state.attempts,
              errorCode,
              errorMessage,
              retryAt: command.retryAt,
            },
          },
        ];
      }
      case 'RecordDelivered':
        if (status !== 'sent') return [];
        return [{ type: 'MessageDelivered', data: { ...ref, deliveredAt: at } }];
      case 'RecordBounced':
        // From 'sending' too: a recipient refused during the SMTP dialogue is a bounce at once.
        if (status === 'bounced' || !(AFTER_SEND.includes(status) || status === 'sending'))
          return [];
        return [
          {
            type: 'MessageBounced',
            data: {
              ...ref,
              bounceType: command.bounceType,
              errorCode: command.errorCode,
              errorMessage: command.errorMessage,
              bouncedAt: at,
            },
          },
        ];
      case 'RecordOpened':
        if (!AFTER_SEND.includes(status)) return [];
        return [
          { type: 'MessageOpened', data: { ...ref, openedAt: at, subject: state.request.subject } },
        ];
      case 'RecordClicked':
        if (!AFTER_SEND.includes(status)) return [];
        return [{ type: 'MessageClicked', data: { ...ref, url: command.url, clickedAt: at } }];
      case 'RecordUnsubscribe':
        if (state.unsubscribed) return [];
        return [
          {
            type: 'RecipientUnsubscribed',
            data: { ...ref, consentChannel: command.consentChannel, unsubscribedAt: at },
          },
        ];
    }
  },
};

/** Retry delay after the n-th failed attempt: 1 s, 4 s, 16 s, … capped at 5 min. */
export function retryDelayMs(attempt: number, baseMs = 1000): number {
  return Math.min(baseMs * 4 ** (attempt - 1), 300_000);
}
