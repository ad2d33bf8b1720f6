// The bus library: the Bus port and its kafkajs adapter, the relay from the
// event store to Kafka, consumers (plain and NestJS) with dead letters and
// retries, and idempotent effects in PostgreSQL.
export * from './bus.port';
export * from './bus-logger';
export { backoffDelay, sleep, waitWhileHeartbeating, type BackoffOptions } from './backoff';

export { KafkajsBus, type KafkajsBusOptions } from './kafka/kafkajs-bus';

export { startRelay, type Relay, type RelayOptions } from './relay/relay';
export { PostgresRelayCheckpoints, type RelayCheckpoints } from './relay/relay-checkpoints';
export { eventToMessage, EVENT_HEADERS } from './relay/event-message';

export {
  consumeEvents,
  isProgrammingError,
  type ConsumeEventsOptions,
  type ReceivedMessage,
  type RetryNotice,
} from './consumer/consume-events';
export {
  BusTransport,
  BusEventPattern,
  BUS_TRANSPORT,
  type BusTransportOptions,
  type BusTransportEvents,
  type BusTransportStatus,
} from './consumer/bus-transport';
export { BusContext } from './consumer/bus-context';
export { BusExceptionFilter } from './consumer/bus-exception-filter';
export { PermanentMessageError, isPermanentMessageError } from './consumer/permanent-message-error';
export { validateMessage, eventValidationPipe } from './consumer/validate-message';
export {
  deadLetterTopic,
  deadLetterMessage,
  DEAD_LETTER_HEADERS,
  type DeadLetter,
  type DeadLetterKind,
} from './consumer/dead-letter';
export { nestBusLogger } from './consumer/nest-bus-logger';

export { applyOnce, applyOnceBatch, type ApplyOnceKey } from './idempotency/apply-once';
export {
  ensureProcessedEventsTable,
  onlyRecorded,
  processedEventsDdl,
  processedEventsTable,
  recordProcessed,
} from './idempotency/processed-events-table';
