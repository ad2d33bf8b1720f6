// Which fields of each contact event hold personal data. The command shell
// encrypts exactly these fields with the contact's own data key before the
// append, and GDPR erasure destroys that key (crypto-shredding): the events
// stay, their personal fields become unreadable, and counts built from the
// rest (stages, tags, activity types, scores) stay consistent. Consumers
// read this table to know what they must forget on ContactErased.
//
// Kept next to the event types, and checked by the compiler: adding an event
// type without deciding its personal fields does not compile.
import type { ContactEvent, ContactEventType } from './contact-events';

type DataKeys<T extends ContactEventType> = keyof Extract<ContactEvent, { type: T }>['data'];

export const PERSONAL_DATA_FIELDS: { readonly [T in ContactEventType]: readonly DataKeys<T>[] } = {
  ContactCreated: ['email', 'firstName', 'lastName', 'phone', 'avatarUrl'],
  ContactIdentityUpdated: ['firstName', 'lastName', 'phone', 'avatarUrl'],
  ContactEmailChanged: ['email', 'previousEmail'],
  // Custom properties are whatever a customer chose to store: treat every value as personal.
  ContactPropertySet: ['value'],
  ContactPropertyRemoved: [],
  ContactTagAdded: [],
  ContactTagRemoved: [],
  ContactConsentGranted: ['ip'],
  ContactConsentRevoked: ['ip'],
  ContactLifecycleStageChanged: [],
  ContactLeadScoreChanged: [],
  ContactStatusChanged: [],
  ContactDeleted: [],
  // The CRM record's id and link identify the person in the CRM.
  ContactExternalMappingLinked: ['externalId', 'url'],
  ContactExternalMappingUnlinked: ['externalId'],
  // Form submissions, notes, page titles: free-form, so all of it.
  ActivityRecorded: ['activityData'],
  // Like a contact's CRM record id: the note's id identifies the person in the CRM.
  ActivitySyncedToCrm: ['externalId'],
  ContactErased: [],
};

export function personalDataFieldsOf(type: ContactEventType): readonly string[] {
  return PERSONAL_DATA_FIELDS[type] as readonly string[];
}
