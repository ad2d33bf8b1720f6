// The closed vocabularies of the contacts service, as const arrays so that
// services can both type with them and check input against them at run time.
// Values are the seed's (`shared/seed/abstract-schema-v2.md`) where the seed
// lists them; the few lists the seed does not have are marked as ours.

/** contacts.lifecycle_stage */
export const LIFECYCLE_STAGES = [
  'subscriber',
  'lead',
  'mql',
  'sql',
  'opportunity',
  'customer',
  'evangelist',
  'unqualified',
] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** contacts.status */
export const CONTACT_STATUSES = ['active', 'unsubscribed', 'bounced', 'deleted'] as const;
export type ContactStatus = (typeof CONTACT_STATUSES)[number];

/** The keys of contacts.consent. */
export const CONSENT_CHANNELS = ['email', 'sms', 'whatsapp', 'marketing', 'analytics'] as const;
export type ConsentChannel = (typeof CONSENT_CHANNELS)[number];

/** activities.activity_type: the seed's standard types, and only those. */
export const ACTIVITY_TYPES = [
  'email_sent',
  'email_opened',
  'email_clicked',
  'email_bounced',
  'sms_sent',
  'sms_delivered',
  'sms_clicked',
  'page_viewed',
  'form_submitted',
  'file_downloaded',
  'event_registered',
  'event_attended',
  'event_no_show',
  'call_completed',
  'meeting_scheduled',
  'property_changed',
  'tag_added',
  'tag_removed',
  'lifecycle_stage_changed',
  'deal_created',
  'note_added',
] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

/** activities.source */
export const ACTIVITY_SOURCES = ['automation', 'manual', 'crm_sync', 'webhook', 'api'] as const;
export type ActivitySource = (typeof ACTIVITY_SOURCES)[number];

/** contact_properties.property_type */
export const PROPERTY_TYPES = ['string', 'number', 'boolean', 'date', 'enum'] as const;
export type PropertyType = (typeof PROPERTY_TYPES)[number];

/** contact_properties.source */
export const PROPERTY_SOURCES = ['manual', 'form', 'api', 'crm_sync', 'enrichment'] as const;
export type PropertySource = (typeof PROPERTY_SOURCES)[number];

/** contact_tags.applied_by (also who removed a tag). */
export const TAG_APPLIERS = ['user', 'automation', 'crm_sync', 'api'] as const;
export type TagApplier = (typeof TAG_APPLIERS)[number];

/** tags.category */
export const TAG_CATEGORIES = ['segment', 'campaign', 'lifecycle', 'behavior', 'source'] as const;
export type TagCategory = (typeof TAG_CATEGORIES)[number];

/** The `type` of an entry of tags.crm_tag_mappings (the seed shows a HubSpot list and a GoHighLevel tag). */
export const TAG_CRM_MAPPING_TYPES = ['list', 'tag'] as const;
export type TagCrmMappingType = (typeof TAG_CRM_MAPPING_TYPES)[number];

/** contacts.external_mappings[].sync_direction */
export const SYNC_DIRECTIONS = ['bidirectional', 'push_only', 'pull_only'] as const;
export type SyncDirection = (typeof SYNC_DIRECTIONS)[number];

/**
 * Ours, not the seed's (contacts has no source column): how a contact came
 * to exist. Kept in ContactCreated for attribution and for consumers that
 * treat imports differently from sign-ups.
 */
export const CONTACT_SOURCES = [
  'api',
  'manual',
  'form',
  'import',
  'crm_sync',
  'registration',
] as const;
export type ContactSource = (typeof CONTACT_SOURCES)[number];

/** Narrows an unknown value to one of a const list: `isOneOf(LIFECYCLE_STAGES, input)`. */
export function isOneOf<const T extends readonly string[]>(
  values: T,
  value: unknown,
): value is T[number] {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}
