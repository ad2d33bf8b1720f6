// Reminders the messaging service sent (topic `messaging`, ReminderSent)
// go into the registration's reminders_sent, once per message: the
// registration decider records a message id it already has as nothing, so
// Kafka's redeliveries change nothing. A reminder for a registration this
// service does not know cannot succeed later: it goes to the dead-letter topic.
import { PermanentMessageError } from '@engagement/bus';
import { isMessagingEventType, upcastMessagingEvent } from '@engagement/contracts';
import { DomainError } from '@engagement/decider';
import type { RecordedEvent } from '@engagement/event-store';
import { systemContext, type ServiceConsumerOptions } from '@engagement/service-runtime';
import type { EventsStreams } from '../shared/events-streams';

export function remindersSentConsumer(
  topic: string,
  streams: EventsStreams,
  /** The service's schema: one consumer group per deployment (tests and platforms share a broker). */
  schema = 'events',
): ServiceConsumerOptions {
  return {
    groupId: `${schema.replace(/_/g, '-')}-from-${topic}`,
    topics: [topic],
    async handle(recorded: RecordedEvent) {
      if (recorded.type !== 'ReminderSent' || !isMessagingEventType(recorded.type)) return;
      const event = upcastMessagingEvent(recorded);
      if (event.type !== 'ReminderSent') return;
      const d = event.data;
      try {
        await streams.registration(
          d.registrationId,
          {
            type: 'RecordReminder',
            registrationId: d.registrationId,
            reminderType: d.reminderType,
            channel: d.channel,
            sentAt: d.sentAt,
            messageId: d.messageId,
          },
          systemContext('service:messaging', recorded.metadata.correlationId, recorded.id),
        );
      } catch (error) {
        if (error instanceof DomainError)
          throw new PermanentMessageError(`registration ${d.registrationId}: ${error.message}`, {
            cause: error,
          });
        throw error;
      }
    },
  };
}
