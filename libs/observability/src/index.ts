// Observability for every service: OpenTelemetry set up once per process
// (startTelemetry), the trace context carried through event metadata and
// Kafka headers, and structured JSON logs with trace ids and no secrets.
// Nothing here loads pg, kafkajs or http, so a service may import this
// before startTelemetry has instrumented them.
export {
  startTelemetry,
  telemetryStarted,
  type StopTelemetry,
  type TelemetryOptions,
} from './telemetry';
export { telemetryFromEnv } from './telemetry-from-env';
export {
  SpanKind,
  contextFromTraceparent,
  currentTraceparent,
  injectTraceparent,
  recordSpanError,
  withBatchSpan,
  withSpan,
  withSpanFromTraceparent,
  type SpanOptions,
} from './trace-context';
export {
  traceProducer,
  withConsumerSpan,
  type ConsumedEventMessage,
  type MessageProducer,
  type ProducedMessage,
  type TracedEvent,
} from './kafka-tracing';
export { SPAN_ATTRIBUTES, MESSAGING_SYSTEM_KAFKA, TRACER_NAME } from './span-attributes';
export {
  createLogger,
  logEntry,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type LogLevel,
} from './logger';
export { NestJsonLogger } from './nest-logger';
export { REDACTED, isSecretKey, maskSecrets, redact } from './redact';
