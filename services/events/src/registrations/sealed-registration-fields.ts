// What a registrant gave when registering is sealed in this service's
// events with the contact's data key (crypto-shredding, as contacts and
// messaging do): the form answers, the UTM parameters and the source URL
// of RegistrationCreated. Events are never rewritten, so without this an
// erased contact's answers would stay readable in the event store and on
// topic `events`. They are exactly what the read model blanks on
// ContactErased, so a rebuild after an erasure (they open as null) gives
// the rows the live projection left.
//
// The command path never reads them (the decider looks at status, event
// and contact only): the store seals on append and passes them through on
// read; the read-model projection opens them (openRegistrationFields).
import type { RecordedEvent } from '@engagement/event-store';
import { ContactPersonalData, openSealedFields, type Sealer } from '@engagement/personal-data';
import { ServiceIdentity } from '@engagement/service-auth';
import type { EventsConfig } from '../config';

export const SEALED_REGISTRATION_FIELDS: Record<string, readonly string[]> = {
  RegistrationCreated: ['formData', 'utmParams', 'sourceUrl'],
};

export function sealedRegistrationFieldsOf(type: string): readonly string[] {
  return SEALED_REGISTRATION_FIELDS[type] ?? [];
}

/** The event with its sealed fields in clear, or null where the contact was erased. */
export function openRegistrationFields<E extends RecordedEvent>(
  sealer: Sealer | null,
  event: E,
): Promise<E> {
  return openSealedFields(sealer, sealedRegistrationFieldsOf, event);
}

/**
 * The contacts' data keys, asked of the contacts service under the events
 * service's own identity (scope pii:read), kept briefly.
 */
export function registrantDataKeys(
  config: Pick<EventsConfig, 'contactsUrl' | 'serviceTokenKey'>,
): ContactPersonalData {
  return new ContactPersonalData({
    contactsUrl: config.contactsUrl.split(',')[0]!,
    identity: new ServiceIdentity('events', ['pii:read'], config.serviceTokenKey),
  });
}
