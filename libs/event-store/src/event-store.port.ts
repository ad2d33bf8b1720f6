// The event store port: the one interface every service appends to and
// subscribes through. Two adapters implement it (PostgreSQL, the default, and
// EventStoreDB/KurrentDB); one contract suite (`event-store.contract.ts`)
// runs against each, so services never depend on which one is configured.

/** JSON as it is stored: what an event's data and metadata may contain. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * What the writer expects the stream to look like before the append:
 * - 'no_stream': the stream has no events yet;
 * - 'stream_exists': it has at least one event;
 * - 'any': no check;
 * - a bigint: the revision of the stream's last event (revisions start at 0).
 */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | bigint;

export interface EventMetadata {
  /** The id shared by everything one request caused. */
  correlationId: string;
  /** The id of the event or command that caused this event. */
  causationId: string | null;
  /** W3C traceparent of the span that appended the event. */
  traceparent: string | null;
  /** Who did it: an API key id, a service name, 'system'. */
  actor: string | null;
  /** ISO 8601: when it happened in the domain (not when it was stored). */
  occurredAt: string;
}

/** An event to append. The id makes a retried append idempotent. */
export interface NewEvent<Type extends string = string, Data extends JsonObject = JsonObject> {
  id: string;
  type: Type;
  schemaVersion: number;
  data: Data;
  metadata: EventMetadata;
}

/** An event as stored, with its place in its stream and in the whole log. */
export interface RecordedEvent<
  Type extends string = string,
  Data extends JsonObject = JsonObject,
> extends NewEvent<Type, Data> {
  streamId: string;
  /** Its index in its stream: 0 for the first event. */
  revision: bigint;
  /** Its place in the whole log: increasing in the order readAll returns. */
  globalPosition: bigint;
}

export interface AppendResult {
  /** The stream's revision after the append: pass it as the next expectedRevision. */
  nextExpectedRevision: bigint;
  /** The global position of the last event appended. */
  position: bigint;
}

export interface ReadStreamOptions {
  fromRevision?: bigint;
  maxCount?: number;
}

export interface EventFilter {
  /** Only events of streams whose id starts with one of these. */
  streamPrefixes?: string[];
  /** Only events of these types. */
  eventTypes?: string[];
}

export interface ReadAllOptions {
  /** Read events strictly after this global position; from the start when omitted. */
  after?: bigint;
  maxCount?: number;
  filter?: EventFilter;
}

export interface ReadAllResult {
  events: RecordedEvent[];
  /**
   * A position it is safe to resume after: every event at or below it that
   * matches the filter is in `events` or was read before. It moves on even
   * when nothing matched the filter, so filtered readers do not re-scan.
   */
  checkpoint: bigint;
  /** True when the read reached the end of what is committed now. */
  isEnd: boolean;
}

export interface EventBatch {
  events: RecordedEvent[];
  /** Store this as the subscriber's checkpoint once the batch is handled. */
  checkpoint: bigint;
}

export interface SubscribeOptions {
  /** Resume after this checkpoint; from the very first event when omitted. */
  after?: bigint;
  filter?: EventFilter;
  /** Upper bound of events in one batch. */
  maxBatchSize?: number;
  /**
   * Called with each batch in order, never concurrently. The subscription
   * waits for it; if it throws, the subscription stops and `done` rejects
   * with that error (the subscriber resumes from its own checkpoint).
   * Empty batches are delivered only when the checkpoint moved past
   * filtered-out events.
   */
  handle(batch: EventBatch): Promise<void>;
}

export interface Subscription {
  /** Resolves when stop() was called and the current batch finished; rejects on failure. */
  readonly done: Promise<void>;
  /** True once the subscription has caught up with the log at least once. */
  readonly isLive: boolean;
  stop(): Promise<void>;
}

/** One stream's part of a multi-stream append. */
export interface StreamAppend {
  streamId: string;
  events: NewEvent[];
  expectedRevision: ExpectedRevision;
}

export interface EventStore {
  appendToStream(
    streamId: string,
    events: NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult>;
  /**
   * Appends to several streams at once, all or nothing: each stream's
   * expected revision is checked, and if one fails (WrongExpectedRevisionError
   * naming that stream) nothing is written. Results come in the order of
   * `appends`, one per stream. A retry with the same event ids answers the
   * first results. Each stream appears at most once. Adapters that cannot do
   * it atomically throw AppendToStreamsNotSupportedError and write nothing.
   */
  appendToStreams(appends: StreamAppend[]): Promise<AppendResult[]>;
  /** The stream's events in revision order; empty when the stream does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<ReadAllResult>;
  subscribeToAll(options: SubscribeOptions): Subscription;
  close(): Promise<void>;
}
