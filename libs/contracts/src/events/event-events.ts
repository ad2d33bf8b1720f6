// The events of an event's stream (`event-<uuid>`), published on the Kafka
// topic `events`: its details and its lifecycle. Messaging moves reminders
// on EventRescheduled and stops them on EventCancelled/EventPostponed;
// connectors push them to CRMs. Data is JSON only (times are ISO 8601 UTC
// strings); every event names its event. When and by whom travels in the
// metadata (occurredAt, actor).
//
// Change only by adding (a new optional field, a new event type); anything
// else is a new schema version with an upcaster (see ../upcasting.ts).
import type { DomainEvent } from '@engagement/decider';
import type { JsonObject } from '@engagement/event-store';
import type { EventPlatform, EventType } from './enumerations';

/** The details of an event, as created (the seed's columns in camelCase). */
export type EventDetails = {
  title: string;
  description: string | null;
  type: EventType;
  platform: EventPlatform;
  platformEventId: string | null;
  platformUrl: string | null;
  platformMetadata: JsonObject | null;
  /** ISO 8601 UTC. */
  scheduledAt: string;
  /** IANA time zone. */
  timezone: string;
  durationMinutes: number;
  landingPageSlug: string | null;
  coverImageUrl: string | null;
  replayUrl: string | null;
  resourcesUrl: string | null;
  /** null: unlimited. */
  maxRegistrations: number | null;
  contentContext: JsonObject | null;
};

/** A draft event exists. */
export type EventCreated = DomainEvent<'EventCreated', EventDetails & { eventId: string }>;

/**
 * Only the fields that changed are present; null clears a field. The time
 * changes through EventRescheduled, the platform ids through EventPlatformLinked.
 */
export type EventUpdatedData = {
  eventId: string;
  title?: string;
  description?: string | null;
  type?: EventType;
  platformUrl?: string | null;
  durationMinutes?: number;
  landingPageSlug?: string | null;
  coverImageUrl?: string | null;
  replayUrl?: string | null;
  resourcesUrl?: string | null;
  maxRegistrations?: number | null;
  contentContext?: JsonObject | null;
};
export type EventUpdated = DomainEvent<'EventUpdated', EventUpdatedData>;

/** draft → scheduled. */
export type EventScheduled = DomainEvent<
  'EventScheduled',
  { eventId: string; scheduledAt: string }
>;

/** The time moved (a postponed event is scheduled again by it): reminders move with it. */
export type EventRescheduledData = {
  eventId: string;
  previousScheduledAt: string;
  scheduledAt: string;
  previousTimezone: string;
  timezone: string;
  durationMinutes: number;
};
export type EventRescheduled = DomainEvent<'EventRescheduled', EventRescheduledData>;

export type EventRegistrationOpened = DomainEvent<'EventRegistrationOpened', { eventId: string }>;
export type EventRegistrationClosed = DomainEvent<'EventRegistrationClosed', { eventId: string }>;
export type EventStarted = DomainEvent<'EventStarted', { eventId: string; startedAt: string }>;
export type EventCompleted = DomainEvent<
  'EventCompleted',
  { eventId: string; completedAt: string }
>;
export type EventCancelled = DomainEvent<
  'EventCancelled',
  { eventId: string; cancelledAt: string; reason: string | null }
>;
export type EventPostponed = DomainEvent<
  'EventPostponed',
  { eventId: string; reason: string | null }
>;

/** The platform's meeting or webinar for this event exists (created by the service or linked). */
export type EventPlatformLinkedData = {
  eventId: string;
  platformEventId: string;
  platformUrl: string | null;
  platformMetadata: JsonObject | null;
};
export type EventPlatformLinked = DomainEvent<'EventPlatformLinked', EventPlatformLinkedData>;

export type EventEvent =
  | EventCreated
  | EventUpdated
  | EventScheduled
  | EventRescheduled
  | EventRegistrationOpened
  | EventRegistrationClosed
  | EventStarted
  | EventCompleted
  | EventCancelled
  | EventPostponed
  | EventPlatformLinked;

export type EventEventType = EventEvent['type'];

export const EVENT_EVENT_SCHEMA_VERSIONS: Record<EventEventType, number> = {
  EventCreated: 1,
  EventUpdated: 1,
  EventScheduled: 1,
  EventRescheduled: 1,
  EventRegistrationOpened: 1,
  EventRegistrationClosed: 1,
  EventStarted: 1,
  EventCompleted: 1,
  EventCancelled: 1,
  EventPostponed: 1,
  EventPlatformLinked: 1,
};
