// What the messaging service reports (topic `messaging`) does to contacts:
// sends, deliveries, opens, clicks and bounces become the seed's activities
// (email_sent, email_opened, email_clicked, email_bounced, sms_sent,
// sms_delivered, sms_clicked); a hard bounce of an email sets the contact's
// status to `bounced`; a one-click unsubscribe revokes that channel's consent.
//
// Delivery is at least once: the activity's id is the Kafka event's id (a
// repeat records nothing), and a status or consent already as asked
// changes nothing. A contact that refuses the change (unknown, erased)
// never will accept it: the event goes to the dead-letter topic.
import {
  isMessageEventType,
  upcastMessagingEvent,
  type ActivityType,
  type MessageEvent,
} from '@engagement/contracts';
import { DomainError, type CommandContext } from '@engagement/decider';
import type { JsonObject, RecordedEvent } from '@engagement/event-store';
import { PermanentMessageError } from '@engagement/bus';
import { systemContext, type ServiceConsumerOptions } from '@engagement/service-runtime';
import type { ConsentChannel } from '@engagement/contracts';
import type { UpdateContactHandler } from '../contacts/update-contact.handler';
import type { RecordActivityHandler } from './record-activity.handler';

/** The activity a messaging event means for its contact, or null. */
export function messageActivityOf(event: MessageEvent): {
  type: ActivityType;
  contactId: string;
  messageId: string;
  occurredAt: string;
  data: JsonObject;
} | null {
  const d = event.data;
  const email = 'channel' in d && d.channel === 'email';
  const sms = 'channel' in d && (d.channel === 'sms' || d.channel === 'whatsapp');
  const base = (type: ActivityType, occurredAt: string, extra: JsonObject = {}) => ({
    type,
    contactId: d.contactId,
    messageId: d.messageId,
    occurredAt,
    data: {
      message_id: d.messageId,
      channel: 'channel' in d ? d.channel : null,
      campaign_id: 'campaignId' in d ? d.campaignId : null,
      template_id: 'templateId' in d ? d.templateId : null,
      ...extra,
    },
  });
  switch (event.type) {
    case 'MessageSent':
      if (email) return base('email_sent', event.data.sentAt, { subject: event.data.subject });
      if (sms) return base('sms_sent', event.data.sentAt);
      return null;
    case 'MessageDelivered':
      return sms ? base('sms_delivered', event.data.deliveredAt) : null;
    case 'MessageOpened':
      return email
        ? base('email_opened', event.data.openedAt, { subject: event.data.subject })
        : null;
    case 'MessageClicked':
      if (email) return base('email_clicked', event.data.clickedAt, { url: event.data.url });
      if (sms) return base('sms_clicked', event.data.clickedAt, { url: event.data.url });
      return null;
    case 'MessageBounced':
      return email
        ? base('email_bounced', event.data.bouncedAt, {
            bounce_type: event.data.bounceType,
            error_code: event.data.errorCode,
          })
        : null;
    default:
      return null;
  }
}

export function messageActivitiesConsumer(
  topic: string,
  schema: string,
  recordActivity: RecordActivityHandler,
  updateContact: UpdateContactHandler,
): ServiceConsumerOptions {
  return {
    // Named after the schema, so that a test's contacts never joins the platform's group.
    groupId: `${schema.replace(/_/g, '-')}-from-messaging`,
    topics: [topic],
    async handle(recorded: RecordedEvent) {
      if (!isMessageEventType(recorded.type)) return;
      const event = upcastMessagingEvent(recorded) as MessageEvent;
      const context = systemContext(
        'service:messaging',
        recorded.metadata.correlationId,
        recorded.id,
      );
      try {
        const activity = messageActivityOf(event);
        if (activity) {
          await recordActivity.execute(
            {
              contactId: activity.contactId,
              activityId: recorded.id.toLowerCase(),
              activityType: activity.type,
              activityData: activity.data,
              occurredAt: activity.occurredAt,
              relatedToType: 'message',
              relatedToId: activity.messageId,
              source: 'automation',
            },
            context,
          );
        }
        if (
          event.type === 'MessageBounced' &&
          event.data.bounceType === 'hard' &&
          event.data.channel === 'email'
        ) {
          await changeStatus(updateContact, event.data.contactId, context);
        }
        if (event.type === 'RecipientUnsubscribed') {
          await updateContact.run(
            event.data.contactId,
            {
              type: 'RevokeConsent',
              contactId: event.data.contactId,
              channel: event.data.consentChannel as ConsentChannel,
              at: event.data.unsubscribedAt,
              ip: null,
            },
            context,
          );
        }
      } catch (error) {
        if (error instanceof DomainError)
          throw new PermanentMessageError(`contact ${event.data.contactId}: ${error.message}`, {
            cause: error,
          });
        throw error;
      }
    },
  };
}

async function changeStatus(
  updateContact: UpdateContactHandler,
  contactId: string,
  context: CommandContext,
) {
  await updateContact.run(
    contactId,
    { type: 'ChangeContactStatus', contactId, status: 'bounced' },
    context,
  );
}
