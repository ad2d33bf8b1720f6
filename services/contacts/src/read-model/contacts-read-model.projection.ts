// The contacts read model: the seed's contacts, contact_properties, tags,
// contact_tags and activities tables, kept from the contact and tag streams
// of the event store. One definition serves the live runner, rebuilds,
// audits and swaps (@engagement/projections).
//
// A batch is applied in four steps: decode (decrypt personal fields, upcast
// to the current event shapes, skip types that are not ours), load the rows
// the batch touches, fold the events over them in memory (pure, see
// contacts-read-model.fold.ts), write the result in bulk.
import {
  isContactEventType,
  isTagEventType,
  upcastContactEvent,
  upcastTagEvent,
} from '@engagement/contracts';
import type { RecordedEvent } from '@engagement/event-store';
import type { ProjectionDefinition } from '@engagement/projections';
import type { ClientBase } from 'pg';
import { applyContactsMigrations } from '../migrations/contacts-migrations';
import { foldEvents, rowsNeeded, type ReadModelEvent } from './contacts-read-model.fold';
import { loadRows, writeChanges } from './contacts-read-model.store';

export const CONTACTS_READ_MODEL = 'contacts-read-model';

/**
 * Returns the event with its personal fields (contracts' PERSONAL_DATA_FIELDS)
 * in clear, or, when the contact's key was destroyed by erasure, set to null
 * (preferred) or to placeholders. Given the stored event, before upcasting,
 * because upcasters are written against plain data.
 */
export type DecryptEvent = (event: RecordedEvent) => Promise<RecordedEvent>;

export interface ContactsReadModelOptions {
  /** The live schema; `contacts` in production, a random one in tests. */
  schema?: string;
  decrypt: DecryptEvent;
  /**
   * Loads the data keys of a batch's contacts in one query before decrypt
   * runs on each event. Without it every contact not in the key cache costs
   * decrypt a query of its own: most of a rebuild's time (a page holds
   * hundreds of contacts, a rebuild every contact there is).
   */
  preloadKeys?: (events: readonly RecordedEvent[]) => Promise<void>;
}

export function createContactsReadModelProjection(
  options: ContactsReadModelOptions,
): ProjectionDefinition {
  const { decrypt, preloadKeys } = options;
  const decode = async (events: RecordedEvent[]): Promise<ReadModelEvent[]> => {
    if (preloadKeys) await preloadKeys(events);
    return decodeEvents(events, decrypt);
  };
  return {
    name: CONTACTS_READ_MODEL,
    schema: options.schema ?? 'contacts',
    // Parents first: rebuild, audit and swap act on them in this order.
    tables: [
      { name: 'tags', primaryKey: ['id'] },
      { name: 'contacts', primaryKey: ['id'] },
      { name: 'contact_properties', primaryKey: ['id'] },
      { name: 'contact_tags', primaryKey: ['id'] },
      { name: 'activities', primaryKey: ['id'] },
    ],
    source: 'event-store',
    filter: { streamPrefixes: ['contact-', 'tag-'] },
    async migrate(client, schema) {
      // The TypeORM migrations' own SQL, run on this connection (see contacts-migrations.ts).
      await applyContactsMigrations(client, schema);
    },
    // Decrypting is most of a batch's work in Node: outside the transaction,
    // and in a rebuild on the next page while this one is written.
    decode,
    async apply(events, client, decoded) {
      const ready = (decoded as ReadModelEvent[] | undefined) ?? (await decode(events));
      await applyContactEvents(client, ready);
    },
  };
}

/** Decrypts and upcasts the batch's contact and tag events; other types (e.g. email reservations) are skipped. */
export async function decodeEvents(
  events: readonly RecordedEvent[],
  decrypt: DecryptEvent,
): Promise<ReadModelEvent[]> {
  const decoded: ReadModelEvent[] = [];
  // One at a time, in order: decrypt may look keys up, and a burst of
  // parallel look-ups for one contact's events helps nobody.
  for (const recorded of events) {
    const envelope = { eventId: recorded.id, occurredAt: recorded.metadata.occurredAt };
    if (isContactEventType(recorded.type)) {
      const event = upcastContactEvent(await decrypt(recorded));
      decoded.push({ kind: 'contact', ...envelope, event });
    } else if (isTagEventType(recorded.type)) {
      decoded.push({ kind: 'tag', ...envelope, event: upcastTagEvent(recorded) });
    }
  }
  return decoded;
}

/** Applies decoded events in log order; the caller holds the transaction and the search_path. */
export async function applyContactEvents(
  client: ClientBase,
  events: readonly ReadModelEvent[],
): Promise<void> {
  if (events.length === 0) return;
  const loaded = await loadRows(client, rowsNeeded(events));
  await writeChanges(client, foldEvents(loaded, events));
}
