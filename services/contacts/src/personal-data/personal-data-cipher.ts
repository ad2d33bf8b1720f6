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
//
// The read-model projection runs in the process that appended most of the
// events it reads, a moment earlier: decrypting them again (AES-GCM, a
// cipher per field) was as costly as encrypting them, the largest cost of a
// bulk import. So the fields this process encrypted lately are remembered,
// by their envelope, as the JSON text that was sealed: an envelope holds a
// fresh random IV and its GCM tag, so the same envelope always opens to that
// very text, and reading it here gives exactly what decryption would. The
// key is still looked up first, so a contact whose key is destroyed reads as
// erased whatever is remembered; entries go after a short while (the data
// keys' own cache time) or when the bound is reached, oldest first
// (shared/bounded-map.ts).
import {
  isContactEventType,
  personalDataFieldsOf,
  type ContactEventType,
} from '@engagement/contracts';
import type { JsonObject, JsonValue, NewEvent, RecordedEvent } from '@engagement/event-store';
// The read model writes the same placeholder on ContactErased: one spelling for both.
import { erasedEmail } from '../read-model/contacts-read-model.fold';
import { BoundedMap } from '../shared/bounded-map';
import type { ContactKeys, DataKeyStore } from './data-keys';
import {
  contactIdOfStream,
  decryptField,
  encryptField,
  parseEnvelope,
} from '@engagement/personal-data';

export { contactIdOfStream };

export const ERASED_TEXT = '[erased]';

export interface PersonalDataCipherOptions {
  /**
   * Fields remembered in clear after encryption, at most (default 150,000,
   * about 50 MB: what a bulk import seals in the 15 s or so that the
   * projection may trail it).
   */
  maxRemembered?: number;
  /** How long a field is remembered (default 60 s). */
  rememberMs?: number;
}

/** A field this process sealed: for which contact, with which data key, its JSON text, until when it is remembered. */
interface Sealed {
  contactId: string;
  keyId: string;
  json: string;
  until: number;
}

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
  private readonly sealed: BoundedMap<string, Sealed>;
  private readonly remembers: boolean;
  private readonly rememberMs: number;
  /** When the sealed map's young generation started: older than rememberMs, it rolls (remember). */
  private generationStartedAt = Date.now();

  constructor(
    private readonly keys: DataKeyStore,
    options: PersonalDataCipherOptions = {},
  ) {
    const max = options.maxRemembered ?? 150_000;
    this.sealed = new BoundedMap(max);
    this.remembers = max > 0;
    this.rememberMs = options.rememberMs ?? 60_000;
  }

  /** The events with their personal fields encrypted under the contact's current data key. */
  async encryptEvents(streamId: string, events: NewEvent[]): Promise<NewEvent[]> {
    const contactId = contactIdOfStream(streamId);
    if (contactId === null) return events;
    const needsKey = events.some((event) =>
      personalFields(streamId, event.type).some((field) => isPresent(event.data[field])),
    );
    if (!needsKey) return events;
    const { keyId, key } = await this.keys.currentKeyFor(contactId);
    const now = Date.now();
    const until = now + this.rememberMs;
    return events.map((event) => {
      const fields = personalFields(streamId, event.type);
      if (fields.length === 0) return event;
      const data: JsonObject = { ...event.data };
      for (const field of fields) {
        const value = data[field];
        if (!isPresent(value)) continue;
        const envelope = encryptField(value, keyId, key, contactId);
        this.remember(envelope, { contactId, keyId, json: JSON.stringify(value), until }, now);
        data[field] = envelope;
      }
      return { ...event, data };
    });
  }

  /** The event with its personal fields in clear, or null / placeholders once the key is destroyed. */
  async decryptEvent(recorded: RecordedEvent): Promise<RecordedEvent> {
    const contactId = contactIdOfStream(recorded.streamId);
    const fields = personalFields(recorded.streamId, recorded.type);
    const sealed = (field: string) => {
      const value = recorded.data[field];
      return typeof value === 'string' && this.sealed.has(value);
    };
    if (
      contactId === null ||
      !fields.some((field) => sealed(field) || parseEnvelope(recorded.data[field]))
    ) {
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
      const value = data[field];
      // Bound to its contact like the ciphertext (whose AAD is the contact id):
      // an envelope copied into another contact's event is decrypted, and fails.
      const sealed = typeof value === 'string' ? this.recall(value, contactId) : undefined;
      const envelope = sealed ? null : parseEnvelope(value);
      if (!sealed && !envelope) continue;
      const keyId = sealed ? sealed.keyId : envelope!.keyId;
      const key = keys.state === 'active' ? keys.keys.get(keyId) : undefined;
      // No key (destroyed, or never there): the field is gone for good.
      if (!key) data[field] = placeholder(recorded.type as ContactEventType, field, contactId);
      else if (sealed) data[field] = JSON.parse(sealed.json) as JsonValue;
      else data[field] = decryptField(envelope!, key, contactId);
    }
    return { ...recorded, data };
  }

  private remember(envelope: string, sealed: Sealed, now: number): void {
    if (!this.remembers) return;
    // Expired entries are refused on reading; rolling by time also lets them
    // go from memory: while fields are being sealed, none stays longer than
    // twice rememberMs.
    if (now - this.generationStartedAt > this.rememberMs) {
      this.sealed.roll();
      this.generationStartedAt = now;
    }
    this.sealed.set(envelope, sealed);
  }

  private recall(envelope: string, contactId: string): Sealed | undefined {
    const sealed = this.sealed.get(envelope);
    if (sealed === undefined || sealed.contactId !== contactId) return undefined;
    if (sealed.until >= Date.now()) return sealed;
    this.sealed.delete(envelope);
    return undefined;
  }
}

function isPresent(value: JsonValue | undefined): value is JsonValue {
  return value !== undefined && value !== null;
}
