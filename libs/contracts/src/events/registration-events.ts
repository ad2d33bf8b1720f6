// The events of a registration's stream (`registration-<uuid>`, one per
// contact and event: the id is derived from both), published on the Kafka
// topic `events`. Contacts records the activities event_registered,
// event_attended and event_no_show from them; messaging sends confirmations
// and reminders; connectors push them to CRMs. Every event names its
// registration, event and contact, so a consumer never needs an earlier
// event of the stream. Data is JSON only, times ISO 8601 UTC.
//
// Change only by adding; otherwise a new schema version and an upcaster.
import type { DomainEvent } from '@engagement/decider';
import type { JsonObject } from '@engagement/event-store';
import type { RegistrationSource } from './enumerations';

type Names = { registrationId: string; eventId: string; contactId: string };

/**
 * The contact is registered: with a seat (`registered`) or on the waitlist
 * (`waitlisted`), as the event's seat allocation decided at write time.
 * Also the event of a registration made again after a cancellation.
 */
export type RegistrationCreatedData = Names & {
  status: 'registered' | 'waitlisted';
  /** The event's title when the contact registered (the seed's event_registered activity shows it). */
  eventTitle: string;
  registrationSource: RegistrationSource | null;
  sourceUrl: string | null;
  /**
   * utmParams, formData and sourceUrl are what the registrant gave: in the
   * store and on the topic each is sealed with the contact's data key (a
   * `pd1:` string of @engagement/personal-data, openFields), and opens as
   * null once the contact is erased. The types are those of the opened event.
   */
  utmParams: JsonObject | null;
  formData: JsonObject;
  registeredAt: string;
};
export type RegistrationCreated = DomainEvent<'RegistrationCreated', RegistrationCreatedData>;

/** A waitlisted registration got a seat that was freed (exactly once per freed seat). */
export type RegistrationPromoted = DomainEvent<'RegistrationPromoted', Names>;

export type RegistrationConfirmed = DomainEvent<
  'RegistrationConfirmed',
  Names & { confirmedAt: string }
>;

export type RegistrationCancelled = DomainEvent<
  'RegistrationCancelled',
  Names & {
    cancelledAt: string;
    reason: string | null;
    /** Whether it held a seat (then the oldest waitlisted registration is promoted). */
    heldSeat: boolean;
  }
>;

export type RegistrationAttended = DomainEvent<
  'RegistrationAttended',
  Names & {
    eventTitle: string;
    attendedAt: string;
    durationMinutes: number | null;
    /** 0-100. */
    engagementScore: number | null;
  }
>;

/** The event completed and this seated registration has no attendance. */
export type RegistrationMarkedNoShow = DomainEvent<
  'RegistrationMarkedNoShow',
  Names & { eventTitle: string }
>;

/** The platform (Zoom) knows the registrant: its id and unique join URL. */
export type PlatformRegistrantAdded = DomainEvent<
  'PlatformRegistrantAdded',
  Names & {
    platformRegistrantId: string | null;
    platformJoinUrl: string | null;
    platformMetadata: JsonObject | null;
  }
>;

/** A reminder went out (from messaging's ReminderSent): registrations.reminders_sent. */
export type RegistrationReminderSent = DomainEvent<
  'RegistrationReminderSent',
  Names & { reminderType: string; channel: string; sentAt: string; messageId: string }
>;

export type RegistrationEvent =
  | RegistrationCreated
  | RegistrationPromoted
  | RegistrationConfirmed
  | RegistrationCancelled
  | RegistrationAttended
  | RegistrationMarkedNoShow
  | PlatformRegistrantAdded
  | RegistrationReminderSent;

export type RegistrationEventType = RegistrationEvent['type'];

export const REGISTRATION_EVENT_SCHEMA_VERSIONS: Record<RegistrationEventType, number> = {
  RegistrationCreated: 1,
  RegistrationPromoted: 1,
  RegistrationConfirmed: 1,
  RegistrationCancelled: 1,
  RegistrationAttended: 1,
  RegistrationMarkedNoShow: 1,
  PlatformRegistrantAdded: 1,
  RegistrationReminderSent: 1,
};
