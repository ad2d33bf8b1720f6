// Checks an append before any adapter touches storage, so that bad input
// gets the same typed error from every adapter and nothing is written.
import { InvalidAppendError } from './errors';
import type { ExpectedRevision, NewEvent, StreamAppend } from './event-store.port';

export const APPEND_LIMITS = {
  maxEventsPerAppend: 1_000,
  /** Sum of the events' JSON sizes (data and metadata), in bytes. */
  maxBatchBytes: 4 * 1024 * 1024,
  maxStreamIdLength: 200,
  maxEventTypeLength: 200,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9_.:-]*$/;

/**
 * Checks a multi-stream append: each stream's part as a single append, each
 * stream once, every event id once across all of them, and the limits for
 * the whole. Returns each part's JSON.
 */
export function validateMultiAppend(
  appends: unknown,
): { dataJson: string[]; metadataJson: string[] }[] {
  if (!Array.isArray(appends) || appends.length === 0) {
    throw new InvalidAppendError('appendToStreams needs a non-empty array of stream appends');
  }
  const streams = new Set<string>();
  const ids = new Set<string>();
  let events = 0;
  let bytes = 0;
  return appends.map((append: Partial<StreamAppend> | null, index) => {
    if (typeof append !== 'object' || append === null)
      throw new InvalidAppendError(`appends[${index}] is not an object`);
    const { bytes: partBytes, ...json } = validateAppend(
      append.streamId,
      append.events,
      append.expectedRevision,
    );
    const streamId = append.streamId as string;
    if (streams.has(streamId))
      throw new InvalidAppendError(`Stream ${streamId} appears twice in one appendToStreams`);
    streams.add(streamId);
    for (const event of append.events as NewEvent[]) {
      const id = event.id.toLowerCase();
      if (ids.has(id)) throw new InvalidAppendError(`Event id ${event.id} appears twice`);
      ids.add(id);
    }
    events += (append.events as NewEvent[]).length;
    bytes += partBytes;
    if (events > APPEND_LIMITS.maxEventsPerAppend) {
      throw new InvalidAppendError(
        `An append holds at most ${APPEND_LIMITS.maxEventsPerAppend} events; got more`,
      );
    }
    if (bytes > APPEND_LIMITS.maxBatchBytes) {
      throw new InvalidAppendError(
        `An append holds at most ${APPEND_LIMITS.maxBatchBytes} bytes of JSON`,
      );
    }
    return json;
  });
}

/** Returns the events serialised as JSON (adapters store these strings), and their size in bytes. */
export function validateAppend(
  streamId: unknown,
  events: unknown,
  expectedRevision: unknown,
): { dataJson: string[]; metadataJson: string[]; bytes: number } {
  validateStreamId(streamId);
  validateExpectedRevision(expectedRevision);
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidAppendError('An append needs a non-empty array of events');
  }
  if (events.length > APPEND_LIMITS.maxEventsPerAppend) {
    throw new InvalidAppendError(
      `An append holds at most ${APPEND_LIMITS.maxEventsPerAppend} events; got ${events.length}`,
    );
  }
  const ids = new Set<string>();
  const dataJson: string[] = [];
  const metadataJson: string[] = [];
  let bytes = 0;
  events.forEach((event: Partial<NewEvent> | null, index) => {
    const at = `events[${index}]`;
    if (typeof event !== 'object' || event === null)
      throw new InvalidAppendError(`${at} is not an object`);
    if (typeof event.id !== 'string' || !UUID.test(event.id)) {
      throw new InvalidAppendError(`${at}.id must be a UUID`);
    }
    if (ids.has(event.id.toLowerCase()))
      throw new InvalidAppendError(`${at}.id ${event.id} appears twice`);
    ids.add(event.id.toLowerCase());
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new InvalidAppendError(`${at}.type is missing`);
    }
    if (event.type.length > APPEND_LIMITS.maxEventTypeLength || !EVENT_TYPE.test(event.type)) {
      throw new InvalidAppendError(
        `${at}.type "${event.type.slice(0, 50)}" is not a valid event type name`,
      );
    }
    if (!Number.isInteger(event.schemaVersion) || (event.schemaVersion as number) < 1) {
      throw new InvalidAppendError(`${at}.schemaVersion must be an integer >= 1`);
    }
    if (!isPlainObject(event.data))
      throw new InvalidAppendError(`${at}.data must be a JSON object`);
    assertJson(event.data, `${at}.data`);
    validateMetadata(event.metadata, `${at}.metadata`);
    const data = JSON.stringify(event.data);
    const metadata = JSON.stringify(event.metadata);
    bytes += Buffer.byteLength(data) + Buffer.byteLength(metadata);
    dataJson.push(data);
    metadataJson.push(metadata);
  });
  if (bytes > APPEND_LIMITS.maxBatchBytes) {
    throw new InvalidAppendError(
      `An append holds at most ${APPEND_LIMITS.maxBatchBytes} bytes of JSON; got ${bytes}`,
    );
  }
  return { dataJson, metadataJson, bytes };
}

export function validateStreamId(streamId: unknown): asserts streamId is string {
  if (typeof streamId !== 'string' || streamId.trim().length === 0) {
    throw new InvalidAppendError('The stream id must be a non-empty string');
  }
  if (streamId.length > APPEND_LIMITS.maxStreamIdLength) {
    throw new InvalidAppendError(
      `The stream id is longer than ${APPEND_LIMITS.maxStreamIdLength} characters`,
    );
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(streamId) || streamId.startsWith('$')) {
    throw new InvalidAppendError(
      'The stream id has control characters or starts with $ (reserved)',
    );
  }
}

function validateExpectedRevision(expected: unknown): asserts expected is ExpectedRevision {
  if (expected === 'no_stream' || expected === 'stream_exists' || expected === 'any') return;
  if (typeof expected === 'bigint' && expected >= 0n) return;
  throw new InvalidAppendError(
    `expectedRevision must be 'no_stream', 'stream_exists', 'any' or a revision (bigint >= 0); got ${describe(expected)}`,
  );
}

function validateMetadata(metadata: unknown, at: string): void {
  if (!isPlainObject(metadata)) throw new InvalidAppendError(`${at} must be an object`);
  const m = metadata as Record<string, unknown>;
  if (typeof m.correlationId !== 'string' || m.correlationId.length === 0) {
    throw new InvalidAppendError(`${at}.correlationId is required`);
  }
  if (typeof m.occurredAt !== 'string' || Number.isNaN(Date.parse(m.occurredAt))) {
    throw new InvalidAppendError(`${at}.occurredAt must be an ISO 8601 time`);
  }
  for (const key of ['causationId', 'traceparent', 'actor']) {
    if (m[key] !== null && m[key] !== undefined && typeof m[key] !== 'string') {
      throw new InvalidAppendError(`${at}.${key} must be a string or null`);
    }
  }
  assertJson(metadata, at);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Rejects what JSON.stringify would drop or mangle: undefined, functions, NaN, Dates, cycles. */
function assertJson(value: unknown, at: string, seen = new Set<unknown>()): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value))
        throw new InvalidAppendError(`${at} is ${value}, which JSON cannot hold`);
      return;
    case 'object':
      if (value === null) return;
      if (seen.has(value)) throw new InvalidAppendError(`${at} refers to itself`);
      seen.add(value);
      if (Array.isArray(value)) {
        value.forEach((item, i) => assertJson(item, `${at}[${i}]`, seen));
      } else if (isPlainObject(value)) {
        for (const [key, item] of Object.entries(value)) assertJson(item, `${at}.${key}`, seen);
      } else {
        throw new InvalidAppendError(
          `${at} is a ${value.constructor?.name ?? 'non-plain object'}, not JSON`,
        );
      }
      seen.delete(value);
      return;
    default:
      throw new InvalidAppendError(`${at} is ${describe(value)}, which is not JSON-serialisable`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return `'${value}'`;
  return typeof value === 'object' ? (JSON.stringify(value) ?? String(value)) : String(value);
}
