// What messaging records about a person in its own events is sealed with
// that person's data key (crypto-shredding, as contacts does): the rendered
// content of MessageRequested and the address of MessageSent. Events are
// never rewritten, so without this an erased contact's address and the
// words sent to it would stay readable in the event store and on the topic.
//
// SealedMessageStore seals them on append and opens them on read, for the
// deciders and the dispatcher; the read-model projection, which reads the
// stored events, opens them with openMessageFields. Once the contact is
// erased they open as null.
import { ContactErasedError, type ContactPersonalData } from '@engagement/personal-data';
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

/** Which fields of which message events hold personal data. */
export const SEALED_MESSAGE_FIELDS: Record<string, readonly string[]> = {
  MessageRequested: ['subject', 'bodyHtml', 'bodyText'],
  MessageSent: ['recipientEmail', 'recipientPhone', 'subject'],
};

type Sealer = Pick<ContactPersonalData, 'sealFields' | 'openFields'>;

function fieldsOf(event: { streamId?: string; type: string }): readonly string[] {
  return SEALED_MESSAGE_FIELDS[event.type] ?? [];
}

async function sealEvent(sealer: Sealer, event: NewEvent): Promise<NewEvent> {
  const fields = fieldsOf(event);
  const contactId = event.data.contactId;
  if (fields.length === 0 || typeof contactId !== 'string') return event;
  return { ...event, data: await sealer.sealFields(contactId, event.data, fields) };
}

/** The event with its sealed fields in clear, or null where the contact was erased. */
export async function openMessageFields<E extends RecordedEvent>(
  sealer: Sealer | null,
  event: E,
): Promise<E> {
  const fields = fieldsOf(event);
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

export class SealedMessageStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly sealer: Sealer,
  ) {}

  async appendToStream(
    streamId: string,
    events: NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    const sealed = await Promise.all(events.map((event) => sealEvent(this.sealer, event)));
    return this.inner.appendToStream(streamId, sealed, options);
  }

  async appendToStreams(appends: StreamAppend[]): Promise<AppendResult[]> {
    const sealed = await Promise.all(
      appends.map(async (a) => ({
        ...a,
        events: await Promise.all(a.events.map((event) => sealEvent(this.sealer, event))),
      })),
    );
    return this.inner.appendToStreams(sealed);
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    const events = await this.inner.readStream(streamId, options);
    return Promise.all(events.map((event) => openMessageFields(this.sealer, event)));
  }

  async readAll(options?: ReadAllOptions): Promise<ReadAllResult> {
    const result = await this.inner.readAll(options);
    return {
      ...result,
      events: await Promise.all(
        result.events.map((event) => openMessageFields(this.sealer, event)),
      ),
    };
  }

  subscribeToAll(options: SubscribeOptions): Subscription {
    return this.inner.subscribeToAll({
      ...options,
      handle: async (batch) =>
        options.handle({
          ...batch,
          events: await Promise.all(
            batch.events.map((event) => openMessageFields(this.sealer, event)),
          ),
        }),
    });
  }

  /** The inner store belongs to whoever created it: it is closed there. */
  async close(): Promise<void> {}
}
