// The closed vocabularies of the events service, as const arrays so that
// services can both type with them and check input against them at run
// time. Values are the seed's (shared/seed/abstract-schema-v2.md, sections 4
// and 5).

/** events.type */
export const EVENT_TYPES = [
  'webinar',
  'workshop',
  'consultation',
  'course',
  'masterclass',
  'challenge',
  'networking',
  'conference',
  'one_on_one',
  'group_call',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** events.platform */
export const EVENT_PLATFORMS = [
  'zoom',
  'zoom_meeting',
  'zoom_webinar',
  'google_meet',
  'calendly',
  'teams',
  'whereby',
  'in_person',
  'virtual_custom',
] as const;
export type EventPlatform = (typeof EVENT_PLATFORMS)[number];

/** events.status */
export const EVENT_STATUSES = [
  'draft',
  'scheduled',
  'registration_open',
  'registration_closed',
  'live',
  'completed',
  'cancelled',
  'postponed',
] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** registrations.status */
export const REGISTRATION_STATUSES = [
  'registered',
  'confirmed',
  'waitlisted',
  'attended',
  'no_show',
  'cancelled',
] as const;
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];

/** registrations.registration_source */
export const REGISTRATION_SOURCES = [
  'landing_page',
  'email_link',
  'api',
  'manual',
  'crm_sync',
] as const;
export type RegistrationSource = (typeof REGISTRATION_SOURCES)[number];
