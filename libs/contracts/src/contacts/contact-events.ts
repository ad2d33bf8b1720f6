// The events of a contact's stream (`contact-<uuid>`), published on the Kafka
// topic `contacts`: the public contract other services consume. Data is JSON
// only (times are ISO 8601 UTC strings, e.g. 2026-01-15T10:00:00.000Z).
// Every event names its contact, so a consumer never has to parse a stream id.
// When and by whom an event happened travels in the event's metadata
// (occurredAt, actor); data carries a time only where the domain time can
// differ from it (a consent given on a form yesterday, an activity that
// occurred before it reached us).
//
// Change these only by adding: a new optional field, a new event type. Any
// other change is a new schema version with an upcaster (see upcasting.ts).
import type { DomainEvent } from '@engagement/decider';
import type { JsonObject } from '@engagement/event-store';
import type {
  ActivitySource,
  ActivityType,
  ConsentChannel,
  ContactSource,
  ContactStatus,
  LifecycleStage,
  PropertySource,
  PropertyType,
  SyncDirection,
  TagApplier,
} from './enumerations';

export type ContactCreatedData = {
  contactId: string;
  /** Normalised: trimmed, lower-case. One contact per email (enforced by a reservation, not here). */
  email: string;
  firstName: string | null;
  lastName: string | null;
  /** E.164, e.g. +14155550100. */
  phone: string | null;
  /** IANA time zone; the default (America/Los_Angeles) is written out, not implied. */
  timezone: string;
  /** Canonical BCP 47 tag, e.g. en, en-US. */
  locale: string;
  avatarUrl: string | null;
  lifecycleStage: LifecycleStage;
  source: ContactSource;
  /** CRMs the creator asked to sync this contact to (provider keys); [] when none were named. */
  syncToCrms: string[];
};
/** A contact exists, with status active and lead score 0. */
export type ContactCreated = DomainEvent<'ContactCreated', ContactCreatedData>;

/**
 * Only the fields that changed are present; null clears a field. The email is
 * not here: it changes through ContactEmailChanged, because the shell must
 * move the email reservation with it.
 */
export type ContactIdentityUpdatedData = {
  contactId: string;
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
  timezone?: string;
  locale?: string;
  avatarUrl?: string | null;
};
export type ContactIdentityUpdated = DomainEvent<
  'ContactIdentityUpdated',
  ContactIdentityUpdatedData
>;

export type ContactEmailChangedData = {
  contactId: string;
  /** Normalised, like ContactCreated.email. */
  email: string;
  previousEmail: string;
};
export type ContactEmailChanged = DomainEvent<'ContactEmailChanged', ContactEmailChangedData>;

export type ContactPropertySetData = {
  contactId: string;
  /** The property's key, e.g. company, job_title. */
  name: string;
  /**
   * The canonical string representation (contact_properties.property_value):
   * numbers as JavaScript prints them ("1.5"), booleans "true"/"false", dates
   * "YYYY-MM-DD" or a UTC timestamp, enums one of enumOptions.
   */
  value: string;
  type: PropertyType;
  /** The allowed values when type is enum; null otherwise. */
  enumOptions: string[] | null;
  source: PropertySource;
};
/** Set or replaced; a set to the current value is not recorded. */
export type ContactPropertySet = DomainEvent<'ContactPropertySet', ContactPropertySetData>;

export type ContactPropertyRemovedData = {
  contactId: string;
  name: string;
  source: PropertySource;
};
export type ContactPropertyRemoved = DomainEvent<
  'ContactPropertyRemoved',
  ContactPropertyRemovedData
>;

export type ContactTagAddedData = {
  contactId: string;
  tagId: string;
  /** The tag's slug when it was applied: lets consumers act without a tag lookup. */
  slug: string;
  appliedBy: TagApplier;
};
export type ContactTagAdded = DomainEvent<'ContactTagAdded', ContactTagAddedData>;

export type ContactTagRemovedData = {
  contactId: string;
  tagId: string;
  slug: string;
  removedBy: TagApplier;
};
export type ContactTagRemoved = DomainEvent<'ContactTagRemoved', ContactTagRemovedData>;

export type ContactConsentGrantedData = {
  contactId: string;
  channel: ConsentChannel;
  /** When the person gave consent (may be before the event was recorded). */
  at: string;
  /** The IP address consent was given from, when known (evidence for GDPR/CCPA). */
  ip: string | null;
};
export type ContactConsentGranted = DomainEvent<'ContactConsentGranted', ContactConsentGrantedData>;

export type ContactConsentRevokedData = {
  contactId: string;
  channel: ConsentChannel;
  at: string;
  ip: string | null;
};
export type ContactConsentRevoked = DomainEvent<'ContactConsentRevoked', ContactConsentRevokedData>;

export type ContactLifecycleStageChangedData = {
  contactId: string;
  from: LifecycleStage;
  to: LifecycleStage;
};
export type ContactLifecycleStageChanged = DomainEvent<
  'ContactLifecycleStageChanged',
  ContactLifecycleStageChangedData
>;

export type ContactLeadScoreChangedData = {
  contactId: string;
  from: number;
  to: number;
  /** Why, e.g. 'manual', 'decay', 'activity:email_opened'. */
  reason: string;
  /** The activity that earned the points, when an activity did. */
  activityId: string | null;
};
export type ContactLeadScoreChanged = DomainEvent<
  'ContactLeadScoreChanged',
  ContactLeadScoreChangedData
>;

/** Status changes other than deletion (deletion is ContactDeleted, which sets status deleted). */
export type ContactStatusChangedData = {
  contactId: string;
  from: ContactStatus;
  to: ContactStatus;
};
export type ContactStatusChanged = DomainEvent<'ContactStatusChanged', ContactStatusChangedData>;

/** Soft delete: status becomes deleted; the data stays until ContactErased. */
export type ContactDeletedData = {
  contactId: string;
  deletedAt: string;
};
export type ContactDeleted = DomainEvent<'ContactDeleted', ContactDeletedData>;

/**
 * The contact's record in a CRM (one per provider). Also written again, with
 * the same externalId, when the mapping's url, direction or syncedAt change.
 */
export type ContactExternalMappingLinkedData = {
  contactId: string;
  /** Provider key: hubspot, gohighlevel, salesforce, activecampaign... */
  provider: string;
  externalId: string;
  url: string | null;
  syncDirection: SyncDirection;
  syncedAt: string | null;
};
export type ContactExternalMappingLinked = DomainEvent<
  'ContactExternalMappingLinked',
  ContactExternalMappingLinkedData
>;

export type ContactExternalMappingUnlinkedData = {
  contactId: string;
  provider: string;
  externalId: string;
};
export type ContactExternalMappingUnlinked = DomainEvent<
  'ContactExternalMappingUnlinked',
  ContactExternalMappingUnlinkedData
>;

/**
 * One row of the activity log. Activities live in the contact's stream, so a
 * contact's timeline, its lead score and last_activity_at change together and
 * in order; activityId makes recording idempotent (a repeated id is ignored).
 */
export type ActivityRecordedData = {
  contactId: string;
  activityId: string;
  activityType: ActivityType;
  /** Shape depends on activityType (see the seed), e.g. {"url": ..., "title": ...} for page_viewed. */
  activityData: JsonObject;
  /** 'registration' | 'message' | 'event' | 'campaign' | 'tag' | ... */
  relatedToType: string | null;
  relatedToId: string | null;
  source: ActivitySource;
  occurredAt: string;
  /** Lead score points this activity earned when it was recorded (0 when none). */
  points: number;
  /** CRMs the caller asked to sync this activity to; [] when none were named. */
  syncToCrms: string[];
};
export type ActivityRecorded = DomainEvent<'ActivityRecorded', ActivityRecordedData>;

/**
 * A CRM connector pushed the activity (a HubSpot or GoHighLevel note): one
 * entry of the activity's synced_to_crms. Recorded once per activity and
 * provider; added later than the other types, so older streams lack it.
 */
export type ActivitySyncedToCrmData = {
  contactId: string;
  activityId: string;
  provider: string;
  /** The CRM's id of what it made of the activity (the note's id). */
  externalId: string;
  syncedAt: string;
};
export type ActivitySyncedToCrm = DomainEvent<'ActivitySyncedToCrm', ActivitySyncedToCrmData>;

/**
 * GDPR erasure. The shell destroys the contact's data key with it, so the
 * personal fields of every earlier event of the contact (see
 * personal-data.ts) can no longer be decrypted; consumers must delete or
 * anonymise what they hold about the contact.
 */
export type ContactErasedData = {
  contactId: string;
  erasedAt: string;
};
export type ContactErased = DomainEvent<'ContactErased', ContactErasedData>;

export type ContactEvent =
  | ContactCreated
  | ContactIdentityUpdated
  | ContactEmailChanged
  | ContactPropertySet
  | ContactPropertyRemoved
  | ContactTagAdded
  | ContactTagRemoved
  | ContactConsentGranted
  | ContactConsentRevoked
  | ContactLifecycleStageChanged
  | ContactLeadScoreChanged
  | ContactStatusChanged
  | ContactDeleted
  | ContactExternalMappingLinked
  | ContactExternalMappingUnlinked
  | ActivityRecorded
  | ActivitySyncedToCrm
  | ContactErased;

export type ContactEventType = ContactEvent['type'];

/** The schema version each contact event type is written with today. */
export const CONTACT_EVENT_SCHEMA_VERSIONS = {
  ContactCreated: 1,
  ContactIdentityUpdated: 1,
  ContactEmailChanged: 1,
  ContactPropertySet: 1,
  ContactPropertyRemoved: 1,
  ContactTagAdded: 1,
  ContactTagRemoved: 1,
  ContactConsentGranted: 1,
  ContactConsentRevoked: 1,
  ContactLifecycleStageChanged: 1,
  ContactLeadScoreChanged: 1,
  ContactStatusChanged: 1,
  ContactDeleted: 1,
  ContactExternalMappingLinked: 1,
  ContactExternalMappingUnlinked: 1,
  ActivityRecorded: 1,
  ActivitySyncedToCrm: 1,
  ContactErased: 1,
} as const satisfies Record<ContactEventType, number>;

export const CONTACT_EVENT_TYPES = Object.keys(CONTACT_EVENT_SCHEMA_VERSIONS) as ContactEventType[];

/** True for the event types of a contact stream; consumers skip types they do not know. */
export function isContactEventType(type: string): type is ContactEventType {
  return Object.hasOwn(CONTACT_EVENT_SCHEMA_VERSIONS, type);
}
