// The events of the messaging service, published on the Kafka topic
// `messaging`: the public contract of what happened to messages (sent,
// delivered, opened, clicked, bounced, failed), unsubscribes and reminders.
// Contacts turns them into activities, status `bounced` and revoked consent;
// events fills a registration's `reminders_sent` from ReminderSent;
// connectors push them to CRMs.
//
// Streams: `message-<uuid>` (one per message), `template-<uuid>`,
// `campaign-<uuid>`. Data is JSON only, times are ISO 8601 UTC strings.
// Every message event names its message, contact and channel, so a consumer
// never needs an earlier event of the stream to act.
//
// Change only by adding; otherwise a new schema version and an upcaster.
import type { DomainEvent } from '@engagement/decider';
import type { JsonObject } from '@engagement/event-store';

export const MESSAGE_CHANNELS = ['email', 'sms', 'whatsapp', 'push', 'in_app', 'voice'] as const;
export type MessageChannel = (typeof MESSAGE_CHANNELS)[number];

/**
 * Transactional messages (confirmations, reminders) ignore marketing consent
 * but never a channel unsubscribe or an erasure; marketing messages need it all.
 */
export const MESSAGE_KINDS = ['transactional', 'marketing'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export const BOUNCE_TYPES = ['hard', 'soft'] as const;
export type BounceType = (typeof BOUNCE_TYPES)[number];

/** What every message event carries, so consumers act on one event alone. */
export type MessageRef = {
  messageId: string;
  contactId: string;
  channel: MessageChannel;
  campaignId: string | null;
  templateId: string | null;
};

export type MessageRequestedData = MessageRef & {
  kind: MessageKind;
  templateVersion: number | null;
  /** The A/B variant's name when the template has variants. */
  variantName: string | null;
  registrationId: string | null;
  eventId: string | null;
  /** '24h', '1h': set for event reminders. */
  reminderType: string | null;
  /** The rendered content (personal data: names may be in it). */
  subject: string | null;
  bodyHtml: string | null;
  bodyText: string | null;
  provider: string;
};
export type MessageRequested = DomainEvent<'MessageRequested', MessageRequestedData>;

/** A rule refused the send; nothing went to the provider. */
export type MessageBlockedData = MessageRef & { rule: string; reason: string };
export type MessageBlocked = DomainEvent<'MessageBlocked', MessageBlockedData>;

/** Quiet hours: the send waits until `until`. */
export type MessageDeferredData = MessageRef & { rule: string; until: string };
export type MessageDeferred = DomainEvent<'MessageDeferred', MessageDeferredData>;

/**
 * Recorded before the provider is called: a message found in this state
 * after a crash is reconciled with the provider, never sent again.
 */
export type MessageSendingData = MessageRef & { attempt: number; idempotencyKey: string };
export type MessageSending = DomainEvent<'MessageSending', MessageSendingData>;

export type MessageSentData = MessageRef & {
  provider: string;
  providerMessageId: string | null;
  recipientEmail: string | null;
  recipientPhone: string | null;
  subject: string | null;
  registrationId: string | null;
  eventId: string | null;
  reminderType: string | null;
  variantName: string | null;
  sentAt: string;
  /** True when the outcome was reconciled after a crash rather than seen. */
  reconciled: boolean;
};
export type MessageSent = DomainEvent<'MessageSent', MessageSentData>;

/** One attempt failed; another follows at retryAt. */
export type MessageAttemptFailedData = MessageRef & {
  attempt: number;
  errorCode: string;
  errorMessage: string;
  retryAt: string;
};
export type MessageAttemptFailed = DomainEvent<'MessageAttemptFailed', MessageAttemptFailedData>;

/** Given up: the provider's last error code and message. */
export type MessageFailedData = MessageRef & {
  errorCode: string;
  errorMessage: string;
  failedAt: string;
};
export type MessageFailed = DomainEvent<'MessageFailed', MessageFailedData>;

export type MessageDeliveredData = MessageRef & { deliveredAt: string };
export type MessageDelivered = DomainEvent<'MessageDelivered', MessageDeliveredData>;

export type MessageBouncedData = MessageRef & {
  bounceType: BounceType;
  errorCode: string | null;
  errorMessage: string | null;
  bouncedAt: string;
};
export type MessageBounced = DomainEvent<'MessageBounced', MessageBouncedData>;

export type MessageOpenedData = MessageRef & { openedAt: string; subject: string | null };
export type MessageOpened = DomainEvent<'MessageOpened', MessageOpenedData>;

export type MessageClickedData = MessageRef & { url: string; clickedAt: string };
export type MessageClicked = DomainEvent<'MessageClicked', MessageClickedData>;

/** One-click unsubscribe (RFC 8058) from this message: contacts revokes the channel's consent. */
export type RecipientUnsubscribedData = MessageRef & {
  /** The consent channel revoked: email, sms, whatsapp. */
  consentChannel: string;
  unsubscribedAt: string;
};
export type RecipientUnsubscribed = DomainEvent<'RecipientUnsubscribed', RecipientUnsubscribedData>;

/** An event reminder went out: events records it in the registration's reminders_sent. */
export type ReminderSentData = {
  messageId: string;
  contactId: string;
  registrationId: string;
  eventId: string;
  reminderType: string;
  channel: MessageChannel;
  sentAt: string;
};
export type ReminderSent = DomainEvent<'ReminderSent', ReminderSentData>;

export type MessageEvent =
  | MessageRequested
  | MessageBlocked
  | MessageDeferred
  | MessageSending
  | MessageSent
  | MessageAttemptFailed
  | MessageFailed
  | MessageDelivered
  | MessageBounced
  | MessageOpened
  | MessageClicked
  | RecipientUnsubscribed
  | ReminderSent;

export type MessageEventType = MessageEvent['type'];

export const MESSAGE_EVENT_SCHEMA_VERSIONS = {
  MessageRequested: 1,
  MessageBlocked: 1,
  MessageDeferred: 1,
  MessageSending: 1,
  MessageSent: 1,
  MessageAttemptFailed: 1,
  MessageFailed: 1,
  MessageDelivered: 1,
  MessageBounced: 1,
  MessageOpened: 1,
  MessageClicked: 1,
  RecipientUnsubscribed: 1,
  ReminderSent: 1,
} as const satisfies Record<MessageEventType, number>;

export function isMessageEventType(type: string): type is MessageEventType {
  return Object.hasOwn(MESSAGE_EVENT_SCHEMA_VERSIONS, type);
}

/** Free-form JSON kept as is (variables schema, brand context, CRM mappings). */
export type Json = JsonObject;
