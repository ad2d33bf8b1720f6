// What the trace-propagation scenario process reports back to its test:
// the finished spans (plain JSON) and what it saw on the way.

export interface ScenarioSettings {
  databaseUrl: string;
  kafkaBrokers: string[];
  /** Event store, relay checkpoints and read model all live in this schema. */
  schema: string;
  topic: string;
  groupId: string;
  streamPrefix: string;
  /** Where the scenario writes its ScenarioOutput as JSON. */
  outputFile: string;
}

export interface ExportedSpan {
  name: string;
  /** SpanKind: 0 internal, 1 server, 2 client, 3 producer, 4 consumer. */
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  /** The instrumentation that made it, e.g. '@opentelemetry/instrumentation-pg'. */
  scope: string;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
}

export interface ScenarioOutput {
  spans: ExportedSpan[];
  /** What the HTTP request appended. */
  streamId: string;
  /** The traceparent stored in the appended event's metadata. */
  eventTraceparent: string | null;
  /** The traceparent header of the Kafka message the consumer received. */
  kafkaTraceparent: string | null;
  /** The row the projection wrote. */
  projectedRow: Record<string, unknown> | null;
}
