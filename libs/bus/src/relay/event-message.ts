// How a recorded event becomes a Kafka message: keyed by its stream id (so
// one aggregate's events stay in one partition, in order), the wire JSON as
// value, and headers that let consumers route, trace and deduplicate
// without parsing the value.
import { toWireEvent, type RecordedEvent } from '@engagement/event-store';
import type { BusMessage } from '../bus.port';

export const EVENT_HEADERS = {
  eventId: 'event-id',
  eventType: 'event-type',
  schemaVersion: 'schema-version',
  contentType: 'content-type',
  correlationId: 'correlation-id',
  causationId: 'causation-id',
  traceparent: 'traceparent',
} as const;

export function eventToMessage(event: RecordedEvent): BusMessage {
  const headers: Record<string, string> = {
    [EVENT_HEADERS.eventId]: event.id,
    [EVENT_HEADERS.eventType]: event.type,
    [EVENT_HEADERS.schemaVersion]: String(event.schemaVersion),
    [EVENT_HEADERS.contentType]: 'application/json',
    [EVENT_HEADERS.correlationId]: event.metadata.correlationId,
  };
  // Kafka headers have no null: an absent header means there is none.
  if (event.metadata.causationId) headers[EVENT_HEADERS.causationId] = event.metadata.causationId;
  if (event.metadata.traceparent) headers[EVENT_HEADERS.traceparent] = event.metadata.traceparent;
  return { key: event.streamId, value: JSON.stringify(toWireEvent(event)), headers };
}
