// The event store as the contacts service's command shell sees it: the same
// port, with the personal fields of contact events encrypted on the way in
// and decrypted on the way out (PersonalDataCipher). Deciders and
// handleCommand therefore work on plain events and never see a ciphertext,
// while the stored rows, and the Kafka messages relayed from them, hold no
// personal data in clear. Streams other than contact-<uuid> pass through.
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
import type { PersonalDataCipher } from './personal-data-cipher';

export class PersonalDataEventStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly cipher: PersonalDataCipher,
  ) {}

  async appendToStream(
    streamId: string,
    events: NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    const encrypted = await this.cipher.encryptEvents(streamId, events);
    return this.inner.appendToStream(streamId, encrypted, options);
  }

  async appendToStreams(appends: StreamAppend[]): Promise<AppendResult[]> {
    const encrypted = await Promise.all(
      appends.map(async (a) => ({
        ...a,
        events: await this.cipher.encryptEvents(a.streamId, a.events),
      })),
    );
    return this.inner.appendToStreams(encrypted);
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.cipher.decryptEvents(await this.inner.readStream(streamId, options));
  }

  async readAll(options?: ReadAllOptions): Promise<ReadAllResult> {
    const result = await this.inner.readAll(options);
    return { ...result, events: await this.cipher.decryptEvents(result.events) };
  }

  subscribeToAll(options: SubscribeOptions): Subscription {
    return this.inner.subscribeToAll({
      ...options,
      handle: async (batch) =>
        options.handle({ ...batch, events: await this.cipher.decryptEvents(batch.events) }),
    });
  }

  /** The inner store belongs to whoever created it: it is closed there. */
  async close(): Promise<void> {}
}
