// How a recorded event travels outside the store (Kafka values, history
// output, HTTP): plain JSON, with revision and position as decimal strings
// because JSON numbers cannot carry every bigint.
import type { EventMetadata, JsonObject, RecordedEvent } from './event-store.port';

export interface WireEvent {
  id: string;
  type: string;
  schemaVersion: number;
  streamId: string;
  revision: string;
  globalPosition: string;
  data: JsonObject;
  metadata: EventMetadata;
}

export function toWireEvent(event: RecordedEvent): WireEvent {
  return {
    id: event.id,
    type: event.type,
    schemaVersion: event.schemaVersion,
    streamId: event.streamId,
    revision: event.revision.toString(),
    globalPosition: event.globalPosition.toString(),
    data: event.data,
    metadata: event.metadata,
  };
}

export class MalformedWireEventError extends Error {
  constructor(reason: string) {
    super(`Malformed event: ${reason}`);
    this.name = 'MalformedWireEventError';
  }
}

/** Parses and checks a wire event; throws MalformedWireEventError with the reason. */
export function fromWireEvent(json: string | Buffer): RecordedEvent {
  let value: unknown;
  try {
    value = JSON.parse(json.toString());
  } catch {
    throw new MalformedWireEventError('not JSON');
  }
  const v = value as Partial<WireEvent> | null;
  if (typeof v !== 'object' || v === null) throw new MalformedWireEventError('not an object');
  for (const key of ['id', 'type', 'streamId', 'revision', 'globalPosition'] as const) {
    if (typeof v[key] !== 'string' || v[key].length === 0)
      throw new MalformedWireEventError(`${key} is missing`);
  }
  if (!/^\d+$/.test(v.revision!) || !/^\d+$/.test(v.globalPosition!)) {
    throw new MalformedWireEventError('revision and globalPosition must be decimal strings');
  }
  if (!Number.isInteger(v.schemaVersion))
    throw new MalformedWireEventError('schemaVersion is missing');
  if (typeof v.data !== 'object' || v.data === null)
    throw new MalformedWireEventError('data is missing');
  if (typeof v.metadata !== 'object' || v.metadata === null)
    throw new MalformedWireEventError('metadata is missing');
  return {
    id: v.id!,
    type: v.type!,
    schemaVersion: v.schemaVersion!,
    streamId: v.streamId!,
    revision: BigInt(v.revision!),
    globalPosition: BigInt(v.globalPosition!),
    data: v.data,
    metadata: v.metadata,
  };
}
