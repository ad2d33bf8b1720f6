// What a service records about a person in its own events (messaging's
// rendered messages, the events service's registration answers) is sealed
// with that person's data key, as contacts does with its own events
// (crypto-shredding): stored events are never rewritten, so without this an
// erased contact's data would stay readable in the event store and on the
// service's topic.
//
// A service names its sealed fields per event type (`fieldsOf`); every such
// event carries the contact's id in `data.contactId`. SealingEventStore
// seals them on append and, where the service's command path needs them in
// clear, opens them on read; projections open what they read with
// openSealedFields. Once the contact is erased they open as null.
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadAllResult,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  SubscribeOptions,
  Subscription,
} from '@engagement/event-store';
import { ContactErasedError, type ContactPersonalData } from './contact-personal-data';

export type Sealer = Pick<ContactPersonalData, 'sealFields' | 'openFields'>;

/** The sealed fields of an event of this type (none for most types). */
export type SealedFieldsOf = (type: string) => readonly string[];

interface EventLike {
  type: string;
  data: Record<string, unknown>;
}

/** The event with its sealed fields encrypted under its contact's current data key. */
export async function sealEventFields<E extends EventLike>(
  sealer: Sealer,
  fieldsOf: SealedFieldsOf,
  event: E,
): Promise<E> {
  const fields = fieldsOf(event.type);
  const contactId = event.data.contactId;
  if (fields.length === 0 || typeof contactId !== 'string') return event;
  return { ...event, data: await sealer.sealFields(contactId, event.data, fields) };
}

/**
 * The event with its sealed fields in clear, or null where the contact was
 * erased. No sealer (a test bed without the contacts service) reads the
 * event as it is.
 */
export async function openSealedFields<E extends EventLike>(
  sealer: Sealer | null,
  fieldsOf: SealedFieldsOf,
  event: E,
): Promise<E> {
  const fields = fieldsOf(event.type);
  const contactId = event.data.contactId;
  if (!sealer || fields.length === 0 || typeof contactId !== 'string') return event;
  try {
    return { ...event, data: await sealer.openFields(contactId, event.data, fields) };
  } catch (error) {
    if (!(error instanceof ContactErasedError)) throw error;
    const data = { ...event.data };
    for (const field of fields) data[field] = null;
    return { ...event, data };
  }
}

/**
 * An event store that seals the named fields on append. With `openOnRead`
 * its reads and subscriptions give them in clear (each read may ask the
 * contacts service for a key); without, reads pass the sealed values
 * through, for command paths that never look at them.
 */
export class SealingEventStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly sealer: Sealer,
    private readonly fieldsOf: SealedFieldsOf,
    private readonly options: { openOnRead: boolean },
  ) {}

  private seal(events: NewEvent[]): Promise<NewEvent[]> {
    return Promise.all(events.map((event) => sealEventFields(this.sealer, this.fieldsOf, event)));
  }

  private open(events: RecordedEvent[]): Promise<RecordedEvent[]> {
    if (!this.options.openOnRead) return Promise.resolve(events);
    return Promise.all(events.map((event) => openSealedFields(this.sealer, this.fieldsOf, event)));
  }

  async appendToStream(
    streamId: string,
    events: NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    return this.inner.appendToStream(streamId, await this.seal(events), options);
  }

  async appendToStreams(appends: StreamAppend[]): Promise<AppendResult[]> {
    const sealed = await Promise.all(
      appends.map(async (a) => ({ ...a, events: await this.seal(a.events) })),
    );
    return this.inner.appendToStreams(sealed);
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.open(await this.inner.readStream(streamId, options));
  }

  async readAll(options?: ReadAllOptions): Promise<ReadAllResult> {
    const result = await this.inner.readAll(options);
    return { ...result, events: await this.open(result.events) };
  }

  subscribeToAll(options: SubscribeOptions): Subscription {
    if (!this.options.openOnRead) return this.inner.subscribeToAll(options);
    return this.inner.subscribeToAll({
      ...options,
      handle: async (batch) => options.handle({ ...batch, events: await this.open(batch.events) }),
    });
  }

  /** The inner store belongs to whoever created it: it is closed there. */
  async close(): Promise<void> {}
}
