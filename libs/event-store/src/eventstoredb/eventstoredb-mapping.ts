// Pure translations between the event store port and @eventstore/db-client:
// expected revisions, recorded events, positions, filters, and the scan that
// turns a raw read of $all into one readAll page. No I/O here, so all of it
// is unit-tested without a server.
import {
  ANY,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type CurrentRevision,
  type EventData,
  type Filter,
  type Position,
  type ReadPosition,
  type ResolvedEvent,
} from '@eventstore/db-client';
import type {
  EventFilter,
  EventMetadata,
  ExpectedRevision,
  JsonObject,
  NewEvent,
  ReadAllResult,
  RecordedEvent,
} from '../event-store.port';

/** ESDB positions are signed 64-bit on the server; larger values mean "no position" (-1 sent unsigned). */
const MAX_POSITION = 2n ** 63n - 1n;

export function toClientExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    case 'any':
      return ANY;
    default:
      return expected;
  }
}

/** The client reports a missing stream as 'no_stream'; the port says null. */
export function fromClientCurrentRevision(actual: CurrentRevision): bigint | null {
  return actual === NO_STREAM ? null : actual;
}

/** Our envelope as an ESDB JSON event: the schema version travels in the metadata. */
export function toEventData(event: NewEvent): EventData {
  return jsonEvent({
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: { ...event.metadata, schemaVersion: event.schemaVersion },
  });
}

/**
 * The commit position of an event in $all, or undefined when the server did
 * not report one (servers before 22.6 leave it out of stream reads).
 */
export function commitPositionOf(position: Position | undefined): bigint | undefined {
  if (position === undefined || position.commit < 0n || position.commit > MAX_POSITION)
    return undefined;
  return position.commit;
}

/**
 * A resolved event (from a stream or $all) as the port's RecordedEvent. The
 * global position is the commit position; -1 when the server did not report
 * it. Throws when the data is not a JSON object: every event this adapter
 * writes holds one, so anything else is not ours to interpret.
 */
export function toRecordedEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent {
  const event = resolved.event;
  if (!event) throw new Error('A resolved event without an event (a link that was not resolved)');
  const data = decodeJson(event.data);
  if (!isJsonObject(data)) {
    throw new Error(`Event ${event.id} in ${event.streamId} does not hold a JSON object`);
  }
  const rawMetadata = decodeJson(event.metadata);
  const { schemaVersion, ...metadata } = isJsonObject(rawMetadata) ? rawMetadata : {};
  return {
    id: event.id,
    type: event.type,
    schemaVersion:
      typeof schemaVersion === 'number' && Number.isInteger(schemaVersion) && schemaVersion >= 1
        ? schemaVersion
        : 1,
    data,
    metadata: metadata as unknown as EventMetadata,
    streamId: event.streamId,
    revision: event.revision,
    globalPosition: commitPositionOf(event.position) ?? resolved.commitPosition ?? -1n,
  };
}

/**
 * Whether an event of $all belongs to a reader with this filter. System
 * events (types starting with $) and system streams ($-prefixed) never do:
 * our stream ids cannot start with $, so they are the server's own.
 * Empty prefix or type lists do not constrain, as in the PostgreSQL adapter.
 */
export function matchesFilter(
  event: { streamId: string; type: string },
  filter: EventFilter | undefined,
): boolean {
  if (event.type.startsWith('$') || event.streamId.startsWith('$')) return false;
  const prefixes = filter?.streamPrefixes ?? [];
  if (prefixes.length > 0 && !prefixes.some((prefix) => event.streamId.startsWith(prefix)))
    return false;
  const types = filter?.eventTypes ?? [];
  if (types.length > 0 && !types.includes(event.type)) return false;
  return true;
}

/**
 * The server-side part of a filter. ESDB filters on stream names or on event
 * types, not both: with both, the server filters stream prefixes (usually
 * the narrower) and matchesFilter drops the other types client-side. Without
 * a filter the server still drops system events. Every filter also makes the
 * server report checkpoints past filtered-out events.
 */
export function toServerFilter(
  filter: EventFilter | undefined,
  checkpointReached?: (
    subscription: AllStreamSubscription,
    position: Position,
  ) => Promise<void> | void,
): Filter {
  const prefixes = filter?.streamPrefixes ?? [];
  const types = filter?.eventTypes ?? [];
  if (prefixes.length > 0) return streamNameFilter({ prefixes, checkpointReached });
  if (types.length > 0)
    return eventTypeFilter({ regex: exactNamesRegex(types), checkpointReached });
  return excludeSystemEvents({ checkpointReached });
}

/** A regex matching exactly these names (ESDB evaluates it with .NET regex, which reads these escapes the same). */
export function exactNamesRegex(names: string[]): string {
  return `^(?:${names.map((name) => name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')).join('|')})$`;
}

/**
 * Where a read or subscription starts so that it resumes strictly after
 * `after`. Events written through gRPC have commit == prepare, so the pair
 * (after, after) is the event's own position. Negative means the beginning.
 */
export function positionAfter(after: bigint | undefined): ReadPosition {
  return after === undefined || after < 0n ? START : { commit: after, prepare: after };
}

/**
 * One readAll page from a raw forward read of $all that started at
 * positionAfter(after) and asked for at most `scanLimit` events. The raw read
 * includes the event at `after` itself (ESDB reads are inclusive, the port's
 * `after` is not), so it is skipped. The checkpoint moves over every event
 * seen, matching or not, so filtered readers never re-scan. Returns as soon as
 * `limit` events matched; the caller cancels the rest of the read.
 */
export async function collectReadAllPage(
  read: AsyncIterable<AllStreamResolvedEvent>,
  options: { after: bigint; limit: number; scanLimit: number; filter?: EventFilter | undefined },
): Promise<ReadAllResult> {
  const events: RecordedEvent[] = [];
  let checkpoint = options.after;
  let received = 0;
  for await (const resolved of read) {
    received++;
    const event = resolved.event;
    const position = commitPositionOf(event?.position);
    if (!event || position === undefined || position <= options.after) continue;
    checkpoint = position;
    if (!matchesFilter(event, options.filter)) continue;
    events.push(toRecordedEvent(resolved));
    if (events.length === options.limit) return { events, checkpoint, isEnd: false };
  }
  // Fewer events than asked for means the server reached the end of $all.
  return { events, checkpoint, isEnd: received < options.scanLimit };
}

function decodeJson(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    try {
      return JSON.parse(Buffer.from(value).toString('utf8'));
    } catch {
      return undefined;
    }
  }
  return value;
}

function isJsonObject(value: unknown): value is JsonObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array)
  );
}
