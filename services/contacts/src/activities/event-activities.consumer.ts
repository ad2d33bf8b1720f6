// Activities from the events service (topic `events`): a registration, an
// attendance and a no-show become the seed's `event_registered`,
// `event_attended` and `event_no_show` activities on the contact's
// timeline, scored by the lead scoring rules like any other activity.
//
// Delivery is at least once; the activity's id is the Kafka event's id, and
// recording an activity whose id the contact already has records nothing
// (the contact decider), so a redelivered event changes nothing. An event
// the contact refuses (unknown, erased) cannot succeed later: it goes to the
// dead-letter topic.
import {
  isEventsServiceEventType,
  upcastEventsServiceEvent,
  type ActivityType,
} from '@engagement/contracts';
import { DomainError } from '@engagement/decider';
import type { RecordedEvent } from '@engagement/event-store';
import { PermanentMessageError } from '@engagement/bus';
import { systemContext, type ServiceConsumerOptions } from '@engagement/service-runtime';
import type { RecordActivityHandler } from './record-activity.handler';

export function eventActivitiesConsumer(
  topic: string,
  recordActivity: RecordActivityHandler,
  /** The service's schema: one consumer group per deployment (tests and platforms share a broker). */
  schema = 'contacts',
): ServiceConsumerOptions {
  return {
    groupId: `${schema.replace(/_/g, '-')}-from-${topic}`,
    topics: [topic],
    async handle(recorded: RecordedEvent) {
      const activity = activityOf(recorded);
      if (!activity) return;
      try {
        await recordActivity.execute(
          {
            contactId: activity.contactId,
            activityId: recorded.id.toLowerCase(),
            activityType: activity.type,
            activityData: activity.data,
            occurredAt: activity.occurredAt,
            relatedToType: 'registration',
            relatedToId: activity.registrationId,
            source: 'automation',
          },
          systemContext('service:events', recorded.metadata.correlationId, recorded.id),
        );
      } catch (error) {
        // No such contact, an erased one, an activity the rules refuse: no retry will change it.
        if (error instanceof DomainError)
          throw new PermanentMessageError(`contact ${activity.contactId}: ${error.message}`, {
            cause: error,
          });
        throw error;
      }
    },
  };
}

/** The activity an event of topic `events` means for its contact, or null. */
export function activityOf(recorded: RecordedEvent): {
  type: ActivityType;
  contactId: string;
  registrationId: string;
  occurredAt: string;
  data: { event_id: string; event_title: string; registration_id: string } & Record<
    string,
    string | number | null
  >;
} | null {
  if (!isEventsServiceEventType(recorded.type)) return null;
  const event = upcastEventsServiceEvent(recorded);
  const occurredAt = recorded.metadata.occurredAt;
  switch (event.type) {
    case 'RegistrationCreated':
      return {
        type: 'event_registered',
        contactId: event.data.contactId,
        registrationId: event.data.registrationId,
        occurredAt: event.data.registeredAt,
        data: {
          event_id: event.data.eventId,
          event_title: event.data.eventTitle,
          registration_id: event.data.registrationId,
          status: event.data.status,
        },
      };
    case 'RegistrationAttended':
      return {
        type: 'event_attended',
        contactId: event.data.contactId,
        registrationId: event.data.registrationId,
        occurredAt: event.data.attendedAt,
        data: {
          event_id: event.data.eventId,
          event_title: event.data.eventTitle,
          registration_id: event.data.registrationId,
          duration_minutes: event.data.durationMinutes,
          engagement_score: event.data.engagementScore,
        },
      };
    case 'RegistrationMarkedNoShow':
      return {
        type: 'event_no_show',
        contactId: event.data.contactId,
        registrationId: event.data.registrationId,
        occurredAt,
        data: {
          event_id: event.data.eventId,
          event_title: event.data.eventTitle,
          registration_id: event.data.registrationId,
        },
      };
    default:
      return null;
  }
}
