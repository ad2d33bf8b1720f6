// The EventStoreDB / KurrentDB adapter of the event store port, through
// @eventstore/db-client (gRPC). Selected by EVENTSTORE_CONNECTION_STRING and
// loaded lazily by createEventStore. Global positions are $all commit
// positions: increasing but not dense, so only positions the store returned
// are valid `after` values.
import {
  DeadlineExceededError,
  EventStoreDBClient,
  MaxAppendSizeExceededError,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AppendExpectedRevision,
  type EventData,
} from '@eventstore/db-client';
import { validateAppend, validateMultiAppend, validateStreamId } from '../append-validation';
import {
  AppendToStreamsNotSupportedError,
  DuplicateEventIdError,
  InvalidAppendError,
  WrongExpectedRevisionError,
} from '../errors';
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
} from '../event-store.port';
import {
  collectReadAllPage,
  commitPositionOf,
  fromClientCurrentRevision,
  positionAfter,
  toClientExpectedRevision,
  toEventData,
  toRecordedEvent,
  toServerFilter,
} from './eventstoredb-mapping';
import { EventStoreDbSubscription } from './eventstoredb-subscription';

const DEFAULT_READ_BATCH = 500;
const MAX_READ_BATCH = 10_000;
/**
 * The filter of readAll is applied here (the client's readAll has no server
 * filter), so one call scans at most this many raw events of $all; past it,
 * readAll returns what matched with isEnd false and a checkpoint to go on from.
 */
const READ_ALL_SCAN_LIMIT = 100_000;
/**
 * The server drops a retried append whose original is not yet indexed
 * ("idempotent write not ready") and lets it time out, expecting the client
 * to retry; a retry with the same event ids is idempotent.
 */
const APPEND_ATTEMPTS = 3;

export class EventStoreDbEventStore implements EventStore {
  private readonly subscriptions = new Set<EventStoreDbSubscription>();
  private closed = false;

  private constructor(private readonly client: EventStoreDBClient) {}

  /**
   * Creates the client. It connects lazily: the first call opens the gRPC
   * channel, so this succeeds without a reachable server (errors surface on use).
   */
  static async connect(connectionString: string): Promise<EventStoreDbEventStore> {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString`${connectionString}`);
  }

  async appendToStream(
    streamId: string,
    events: NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    const expected = options?.expectedRevision;
    validateAppend(streamId, events, expected);
    const eventData = events.map(toEventData);
    const expectedRevision = toClientExpectedRevision(expected);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.append(streamId, eventData, expectedRevision);
      } catch (error) {
        if (error instanceof DeadlineExceededError && attempt < APPEND_ATTEMPTS) continue;
        throw await this.translateAppendError(error, streamId, events, expected);
      }
    }
  }

  /**
   * Not offered: @eventstore/db-client (6.x) has no multi-stream append. An
   * atomic one exists from KurrentDB 25.1 on, through @kurrent/kurrentdb-client's
   * multiStreamAppend (its v2 protocol); appending stream by stream here would
   * not be all or nothing, so this refuses instead, writing nothing.
   */
  async appendToStreams(appends: StreamAppend[]): Promise<AppendResult[]> {
    validateMultiAppend(appends);
    throw new AppendToStreamsNotSupportedError(
      'EventStoreDB',
      '@eventstore/db-client has no atomic multi-stream append (KurrentDB 25.1 offers one through @kurrent/kurrentdb-client)',
    );
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    validateStreamId(streamId);
    const from = options.fromRevision ?? 0n;
    const limit = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    if (from < 0n || !Number.isInteger(limit) || limit < 1) {
      throw new InvalidAppendError('fromRevision must be >= 0 and maxCount a positive integer');
    }
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(streamId, {
        fromRevision: from,
        maxCount: limit,
      })) {
        events.push(toRecordedEvent(resolved));
      }
    } catch (error) {
      // A stream that never existed, or was deleted, reads as empty.
      if (error instanceof StreamNotFoundError || error instanceof StreamDeletedError) return [];
      throw error;
    }
    return events;
  }

  async readAll(options: ReadAllOptions = {}): Promise<ReadAllResult> {
    const after = options.after ?? -1n;
    const limit = options.maxCount ?? DEFAULT_READ_BATCH;
    if (typeof after !== 'bigint') throw new InvalidAppendError('after must be a bigint position');
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_READ_BATCH) {
      throw new InvalidAppendError(`maxCount must be an integer from 1 to ${MAX_READ_BATCH}`);
    }
    const read = this.client.readAll({
      fromPosition: positionAfter(after),
      maxCount: READ_ALL_SCAN_LIMIT,
    });
    try {
      // Not destroyed when the page fills early (see finally).
      const events = read.iterator({ destroyOnReturn: false });
      return await collectReadAllPage(events, {
        after,
        limit,
        scanLimit: READ_ALL_SCAN_LIMIT,
        filter: options.filter,
      });
    } finally {
      // Stopped early: cancel the call, and let the rest flow out. A call the
      // server already completed cannot be cancelled; left paused with
      // buffered events, it would never finish and client.dispose() would
      // wait for it forever.
      if (!read.readableEnded) {
        read.resume();
        await read.cancel().catch(() => undefined);
      }
    }
  }

  subscribeToAll(options: SubscribeOptions): Subscription {
    if (this.closed) throw new Error('The event store is closed');
    const filter = options.filter;
    const subscription = new EventStoreDbSubscription(
      {
        open: (fromPosition, onCheckpoint) =>
          this.client.subscribeToAll({
            fromPosition,
            filter: toServerFilter(filter, (_native, position) => onCheckpoint(position)),
          }),
        isAtEnd: async (after) => {
          const page = await this.readAll({ after, maxCount: 1, filter });
          return page.events.length === 0 && page.isEnd;
        },
      },
      options,
    );
    this.subscriptions.add(subscription);
    subscription.done.catch(() => undefined).finally(() => this.subscriptions.delete(subscription));
    subscription.start();
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.subscriptions].map((s) => s.stop()));
    await this.client.dispose();
  }

  private async append(
    streamId: string,
    eventData: EventData[],
    expectedRevision: AppendExpectedRevision,
  ): Promise<AppendResult> {
    const result = await this.client.appendToStream(streamId, eventData, { expectedRevision });
    // The append reports the commit position of its last event (for an
    // idempotent retry too: the original's); look it up if it did not.
    const position =
      commitPositionOf(result.position) ??
      (await this.positionOfRevision(streamId, result.nextExpectedRevision));
    return { nextExpectedRevision: result.nextExpectedRevision, position };
  }

  private async positionOfRevision(streamId: string, revision: bigint): Promise<bigint> {
    const [event] = await this.readStream(streamId, { fromRevision: revision, maxCount: 1 });
    if (!event || event.globalPosition < 0n) {
      throw new Error(
        `Stream ${streamId}: the server reported no position for revision ${revision}`,
      );
    }
    return event.globalPosition;
  }

  private async translateAppendError(
    error: unknown,
    streamId: string,
    events: NewEvent[],
    expected: ExpectedRevision,
  ): Promise<unknown> {
    if (error instanceof WrongExpectedVersionError) {
      const actual = fromClientCurrentRevision(error.actualVersion);
      if (await this.isPartlyStored(streamId, events, expected, actual)) {
        return new DuplicateEventIdError(
          streamId,
          events.map((e) => e.id),
        );
      }
      return new WrongExpectedRevisionError(streamId, expected, actual);
    }
    if (error instanceof MaxAppendSizeExceededError) {
      return new InvalidAppendError(
        `The append exceeds the server's maximum append size (${error.maxAppendSize} bytes)`,
      );
    }
    return error;
  }

  /**
   * ESDB answers a batch whose first events are already stored but whose
   * later ones are not ("corrupted idempotency") with a wrong expected
   * version. Tell that apart from a real conflict as the server decides it:
   * with 'any' or 'stream_exists' on an existing stream it is the only cause;
   * with an exact revision, it is when the event after the expected revision
   * is the batch's first.
   */
  private async isPartlyStored(
    streamId: string,
    events: NewEvent[],
    expected: ExpectedRevision,
    actual: bigint | null,
  ): Promise<boolean> {
    if (actual === null || events.length < 2) return false;
    if (expected === 'any' || expected === 'stream_exists') return true;
    const first = expected === 'no_stream' ? 0n : expected + 1n;
    if (first > actual) return false;
    const [stored] = await this.readStream(streamId, { fromRevision: first, maxCount: 1 });
    return stored !== undefined && stored.id.toLowerCase() === events[0].id.toLowerCase();
  }
}
