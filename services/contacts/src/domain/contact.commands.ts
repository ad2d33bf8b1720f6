// The commands a contact's stream accepts: plain objects, mapped from
// validated DTOs at the edge (HTTP controllers, Kafka consumers). Every id a
// command needs (contactId, activityId) is generated at the edge, so decide
// stays pure and a retried command carries the same ids. An optional field
// left out means "unchanged" or "the default"; null clears a field.
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
} from '@engagement/contracts';
import type { JsonObject } from '@engagement/event-store';
import type { PropertyInput } from './property-value';

export type CreateContact = {
  type: 'CreateContact';
  contactId: string;
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
  /** Default America/Los_Angeles (the seed's). */
  timezone?: string;
  /** Default en. */
  locale?: string;
  avatarUrl?: string | null;
  /** Default lead. */
  lifecycleStage?: LifecycleStage;
  source: ContactSource;
  syncToCrms?: string[];
};

/** Names, phone, time zone, locale, avatar: only the fields present change. */
export type UpdateContactIdentity = {
  type: 'UpdateContactIdentity';
  contactId: string;
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
  timezone?: string;
  locale?: string;
  avatarUrl?: string | null;
};

/** Separate from the other identity fields: the shell moves the email reservation around it. */
export type ChangeContactEmail = {
  type: 'ChangeContactEmail';
  contactId: string;
  email: string;
};

/** activityId: the id of the property_changed activity this change records. */
export type SetContactProperty = {
  type: 'SetContactProperty';
  contactId: string;
  name: string;
  value: PropertyInput;
  propertyType: PropertyType;
  /** Required for enum properties, absent or null for the other types. */
  enumOptions?: string[] | null;
  source: PropertySource;
  activityId: string;
};

export type RemoveContactProperty = {
  type: 'RemoveContactProperty';
  contactId: string;
  name: string;
  source: PropertySource;
  activityId: string;
};

/** The edge resolves the tag (by slug or id) before sending this: tags live in their own streams. */
export type AddContactTag = {
  type: 'AddContactTag';
  contactId: string;
  tagId: string;
  slug: string;
  appliedBy: TagApplier;
  activityId: string;
};

export type RemoveContactTag = {
  type: 'RemoveContactTag';
  contactId: string;
  tagId: string;
  removedBy: TagApplier;
  activityId: string;
};

export type GrantConsent = {
  type: 'GrantConsent';
  contactId: string;
  channel: ConsentChannel;
  /** When consent was given, ISO 8601; default: now. */
  at?: string;
  ip?: string | null;
};

export type RevokeConsent = {
  type: 'RevokeConsent';
  contactId: string;
  channel: ConsentChannel;
  at?: string;
  ip?: string | null;
};

export type ChangeLifecycleStage = {
  type: 'ChangeLifecycleStage';
  contactId: string;
  stage: LifecycleStage;
  source: ActivitySource;
  activityId: string;
};

/** Sets the score (a manual override, or a re-score with decay). */
export type ChangeLeadScore = {
  type: 'ChangeLeadScore';
  contactId: string;
  score: number;
  reason: string;
};

export type ApplyLeadScoreDelta = {
  type: 'ApplyLeadScoreDelta';
  contactId: string;
  delta: number;
  reason: string;
};

/** active, unsubscribed, bounced; deleted only through DeleteContact. */
export type ChangeContactStatus = {
  type: 'ChangeContactStatus';
  contactId: string;
  status: ContactStatus;
};

/** Soft delete. */
export type DeleteContact = {
  type: 'DeleteContact';
  contactId: string;
};

/** Links the contact to its record in a CRM, or refreshes that link (url, direction, syncedAt). */
export type LinkExternalMapping = {
  type: 'LinkExternalMapping';
  contactId: string;
  provider: string;
  externalId: string;
  url?: string | null;
  syncDirection: SyncDirection;
  syncedAt?: string | null;
};

export type UnlinkExternalMapping = {
  type: 'UnlinkExternalMapping';
  contactId: string;
  provider: string;
};

/** A CRM connector pushed the activity (synced_to_crms); a repeat for the same provider changes nothing. */
export type RecordActivitySynced = {
  type: 'RecordActivitySynced';
  contactId: string;
  activityId: string;
  provider: string;
  externalId: string;
  syncedAt: string;
};

export type RecordActivity = {
  type: 'RecordActivity';
  contactId: string;
  /** Idempotency key: an activity id already recorded on this contact is ignored. */
  activityId: string;
  activityType: ActivityType;
  activityData: JsonObject;
  relatedToType?: string | null;
  relatedToId?: string | null;
  source: ActivitySource;
  /** ISO 8601; default: now. */
  occurredAt?: string;
  /** Lead score points, computed by the shell with lead-scoring.ts; default 0. */
  points?: number;
  syncToCrms?: string[];
};

/** GDPR erasure; the shell destroys the contact's data key. */
export type EraseContact = {
  type: 'EraseContact';
  contactId: string;
};

export type ContactCommand =
  | CreateContact
  | UpdateContactIdentity
  | ChangeContactEmail
  | SetContactProperty
  | RemoveContactProperty
  | AddContactTag
  | RemoveContactTag
  | GrantConsent
  | RevokeConsent
  | ChangeLifecycleStage
  | ChangeLeadScore
  | ApplyLeadScoreDelta
  | ChangeContactStatus
  | DeleteContact
  | LinkExternalMapping
  | UnlinkExternalMapping
  | RecordActivity
  | RecordActivitySynced
  | EraseContact;
