// Encrypts the personal fields of contact events before they are appended,
// and decrypts them when events are read back. Which fields are personal is
// the contracts' PERSONAL_DATA_FIELDS table; each non-null value is
// replaced by an encrypted envelope (field-cipher.ts) under the contact's
// data key, the rest of the event stays readable (types, stages, tags,
// scores), so counts and projections keep working after an erasure.
//
// decryptEvent is what every reader of contact events uses: the command
// shell (through PersonalDataEventStore), the read-model projection, the
// history and export endpoints. Once the contact's key is destroyed, it
// returns the event with its personal fields null, or a fixed placeholder
// where the contract says the field is never null.
import {
  isContactEventType,
  personalDataFieldsOf,
  type ContactEventType,
} from '@engagement/contracts';
import type { JsonObject, JsonValue, NewEvent, RecordedEvent } from '@engagement/event-store';
// The read model writes the same placeholder on ContactErased: one spelling for both.
import { erasedEmail } from '../read-model/contacts-read-model.fold';
import type { ContactKeys, DataKeyStore } from './data-keys';
import {
  contactIdOfStream,
  decryptField,
  encryptField,
  parseEnvelope,
} from '@engagement/personal-data';

export { contactIdOfStream };

export const ERASED_TEXT = '[erased]';

/**
 * What a personal field reads as once its key is gone, for the fields the
 * contracts say are never null. Every other personal field reads as null.
 */
function placeholder(type: ContactEventType, field: string, contactId: string): JsonValue {
  switch (`${type}.${field}`) {
    case 'ContactCreated.email':
    case 'ContactEmailChanged.email':
    case 'ContactEmailChanged.previousEmail':
      return erasedEmail(contactId);
    case 'ContactPropertySet.value':
    case 'ContactExternalMappingLinked.externalId':
    case 'ContactExternalMappingUnlinked.externalId':
      return ERASED_TEXT;
    case 'ActivityRecorded.activityData':
      return {};
    default:
      return null;
  }
}

function personalFields(streamId: string, type: string): readonly string[] {
  if (contactIdOfStream(streamId) === null || !isContactEventType(type)) return [];
  return personalDataFieldsOf(type);
}

export class PersonalDataCipher {
  constructor(private readonly keys: DataKeyStore) {}

  /** The events with their personal fields encrypted under the contact's current data key. */
  async encryptEvents(streamId: string, events: NewEvent[]): Promise<NewEvent[]> {
    const contactId = contactIdOfStream(streamId);
    if (contactId === null) return events;
    const needsKey = events.some((event) =>
      personalFields(streamId, event.type).some((field) => isPresent(event.data[field])),
    );
    if (!needsKey) return events;
    const { keyId, key } = await this.keys.currentKeyFor(contactId);
    return events.map((event) => {
      const fields = personalFields(streamId, event.type);
      if (fields.length === 0) return event;
      const data: JsonObject = { ...event.data };
      for (const field of fields) {
        const value = data[field];
        if (isPresent(value)) data[field] = encryptField(value, keyId, key, contactId);
      }
      return { ...event, data };
    });
  }

  /** The event with its personal fields in clear, or null / placeholders once the key is destroyed. */
  async decryptEvent(recorded: RecordedEvent): Promise<RecordedEvent> {
    const contactId = contactIdOfStream(recorded.streamId);
    const fields = personalFields(recorded.streamId, recorded.type);
    if (contactId === null || !fields.some((field) => parseEnvelope(recorded.data[field]))) {
      return recorded;
    }
    return this.decryptWith(recorded, contactId, fields, await this.keys.keysOf(contactId));
  }

  /** decryptEvent for a batch, loading the keys it needs in one query. */
  async decryptEvents(events: RecordedEvent[]): Promise<RecordedEvent[]> {
    await this.preloadKeys(events);
    return Promise.all(events.map((event) => this.decryptEvent(event)));
  }

  /**
   * Loads, in one query, the keys of the contacts whose events may hold
   * encrypted fields (a personal field present: at worst a key loaded for
   * nothing, never a decrypt left to look its key up alone).
   */
  async preloadKeys(events: readonly RecordedEvent[]): Promise<void> {
    const contactIds = new Set<string>();
    let lastStream: string | undefined;
    for (const event of events) {
      if (event.streamId === lastStream || !isContactEventType(event.type)) continue;
      if (!personalDataFieldsOf(event.type).some((field) => isPresent(event.data[field]))) continue;
      const contactId = contactIdOfStream(event.streamId);
      if (contactId !== null) contactIds.add(contactId);
      lastStream = event.streamId;
    }
    await this.keys.preload([...contactIds]);
  }

  private decryptWith(
    recorded: RecordedEvent,
    contactId: string,
    fields: readonly string[],
    keys: ContactKeys,
  ): RecordedEvent {
    const data: JsonObject = { ...recorded.data };
    for (const field of fields) {
      const envelope = parseEnvelope(data[field]);
      if (!envelope) continue;
      const key = keys.state === 'active' ? keys.keys.get(envelope.keyId) : undefined;
      // No key (destroyed, or never there): the field is gone for good.
      data[field] = key
        ? decryptField(envelope, key, contactId)
        : placeholder(recorded.type as ContactEventType, field, contactId);
    }
    return { ...recorded, data };
  }
}

function isPresent(value: JsonValue | undefined): value is JsonValue {
  return value !== undefined && value !== null;
}
