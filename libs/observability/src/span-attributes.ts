// The names of the span attributes our own spans carry, in one place, so
// that every service, the relay and the consumers label spans alike and a
// trace search (`event.id=...` in Jaeger) finds them all. The messaging
// names are OpenTelemetry's semantic conventions; the event names are ours.
export const SPAN_ATTRIBUTES = {
  messagingSystem: 'messaging.system',
  messagingDestination: 'messaging.destination.name',
  messagingOperationType: 'messaging.operation.type',
  messagingPartition: 'messaging.destination.partition.id',
  messagingOffset: 'messaging.kafka.offset',
  messagingKey: 'messaging.kafka.message.key',
  eventId: 'event.id',
  eventType: 'event.type',
  eventStreamId: 'event.stream_id',
  projectionName: 'projection.name',
  projectionEvents: 'projection.event_count',
} as const;

/** The value of `messaging.system` for everything on our bus. */
export const MESSAGING_SYSTEM_KAFKA = 'kafka';

/** The name every span our own helpers start is recorded under (its instrumentation scope). */
export const TRACER_NAME = '@engagement/observability';
