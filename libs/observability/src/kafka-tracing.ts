// One trace across Kafka. An event carries the traceparent of the request
// that appended it; the relay publishes it in a PRODUCER span that is a
// child of that traceparent and puts the publish span's traceparent in the
// Kafka headers; a consumer continues from the headers in a CONSUMER span.
// So a trace reads: request → append → publish → process → projection.
//
// The types here are structural (a BusProducer of libs/bus fits them): the
// bus depends on this library, never the other way round.
import {
  context,
  createContextKey,
  SpanKind,
  trace,
  type Attributes,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import type { KafkaProducerCustomAttributeFunction } from '@opentelemetry/instrumentation-kafkajs';
import { MESSAGING_SYSTEM_KAFKA, SPAN_ATTRIBUTES as A, TRACER_NAME } from './span-attributes';
import {
  contextFromTraceparent,
  injectTraceparent,
  recordSpanError,
  withSpanFromTraceparent,
} from './trace-context';

// Header names the relay writes (EVENT_HEADERS in libs/bus); part of the
// Kafka message contract, repeated here to keep the dependency one-way.
const EVENT_ID_HEADER = 'event-id';
const EVENT_TYPE_HEADER = 'event-type';

/** A message as the bus produces it. */
export interface ProducedMessage {
  key: string;
  value: Buffer | string;
  headers: Record<string, string>;
}

/** A producer as the bus defines it (BusProducer). */
export interface MessageProducer {
  send(topic: string, messages: ProducedMessage[]): Promise<void>;
  close(): Promise<void>;
}

const TRACED = Symbol('traced producer');

/**
 * Wraps a producer so that each message is sent in its own PRODUCER span
 * (`publish <topic>`), a child of the trace in the message's `traceparent`
 * header (for the relay: the event's, from its metadata) or, without one,
 * of the active span. The header is then replaced by the publish span's
 * traceparent, so that consumers become children of the publish. The spans
 * end when Kafka acknowledged the send (or it failed). Wrapping a producer
 * that is already traced returns it as it is.
 */
export function traceProducer(producer: MessageProducer): MessageProducer {
  if (TRACED in producer) return producer;
  return {
    [TRACED]: true,
    send: (topic: string, messages: ProducedMessage[]) => sendTraced(producer, topic, messages),
    close: () => producer.close(),
  } as MessageProducer;
}

async function sendTraced(
  producer: MessageProducer,
  topic: string,
  messages: ProducedMessage[],
): Promise<void> {
  const tracer = trace.getTracer(TRACER_NAME);
  const spans: Span[] = [];
  const traced = messages.map((message) => {
    const parent = message.headers.traceparent
      ? contextFromTraceparent(message.headers.traceparent, message.headers.tracestate)
      : context.active();
    const span = tracer.startSpan(
      `publish ${topic}`,
      { kind: SpanKind.PRODUCER, attributes: publishAttributes(topic, message) },
      parent,
    );
    spans.push(span);
    // A copy: the caller's message keeps the event's own traceparent.
    const headers = injectTraceparent({ ...message.headers }, trace.setSpan(parent, span));
    published.set(headers, {
      traceparent: headers.traceparent,
      tracestate: headers.tracestate,
      span: span.spanContext(),
    });
    return { ...message, headers };
  });
  try {
    await producer.send(topic, traced);
  } catch (error) {
    for (const span of spans) recordSpanError(span, error);
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
}

function publishAttributes(topic: string, message: ProducedMessage): Attributes {
  const attributes: Attributes = {
    [A.messagingSystem]: MESSAGING_SYSTEM_KAFKA,
    [A.messagingDestination]: topic,
    [A.messagingOperationType]: 'send',
    [A.messagingKey]: message.key,
    [A.eventStreamId]: message.key,
  };
  if (message.headers[EVENT_ID_HEADER]) attributes[A.eventId] = message.headers[EVENT_ID_HEADER];
  if (message.headers[EVENT_TYPE_HEADER])
    attributes[A.eventType] = message.headers[EVENT_TYPE_HEADER];
  return attributes;
}

// The trace headers traceProducer wrote, by the headers object it handed on.
// The kafkajs adapter passes that same object to kafkajs, which is how the
// hook below finds it again.
const published = new WeakMap<
  object,
  { traceparent: string | undefined; tracestate: string | undefined; span: SpanContext }
>();

/**
 * The kafkajs instrumentation's producerHook (startTelemetry installs it).
 * That instrumentation starts a `send <topic>` span per message as a child
 * of whatever is active when a batch is sent (for the relay: nothing, or
 * another event's request) and overwrites the message's traceparent with
 * it, which would cut every event of a batch off its own trace. The hook
 * runs right after: it puts back the publish span's trace headers and links
 * the instrumentation's span to the publish span instead.
 */
export const keepPublishTraceContext: KafkaProducerCustomAttributeFunction = (
  span,
  { message },
) => {
  const headers = message.headers;
  const ours = headers === undefined ? undefined : published.get(headers);
  if (headers === undefined || ours === undefined) return;
  if (ours.traceparent === undefined) delete headers.traceparent;
  else headers.traceparent = ours.traceparent;
  if (ours.tracestate === undefined) delete headers.tracestate;
  else headers.tracestate = ours.tracestate;
  span.addLink({ context: ours.span });
};

/** The Kafka message an event arrived in (a ReceivedMessage of libs/bus fits). */
export interface ConsumedEventMessage {
  topic: string;
  partition?: number;
  offset?: string;
  headers: Record<string, string>;
}

/** The parts of a recorded event a consumer span is labelled with. */
export interface TracedEvent {
  id: string;
  type: string;
  streamId: string;
  metadata: { traceparent: string | null };
}

// The id of the event whose consumer span is active.
const CONSUMING = createContextKey('@engagement/observability consuming event');

/**
 * Runs a consumer's handling of one event in a CONSUMER span
 * (`process <topic>`), a child of the message's `traceparent` header (the
 * publish span) or, for a message produced without one, of the event's own
 * traceparent from its metadata. Inside the consumer span of the same event
 * (a handler its caller already wrapped) it starts no second one.
 */
export async function withConsumerSpan<T>(
  message: ConsumedEventMessage,
  event: TracedEvent,
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  const active = trace.getActiveSpan();
  if (active && context.active().getValue(CONSUMING) === event.id) return fn(active);
  const attributes: Attributes = {
    [A.messagingSystem]: MESSAGING_SYSTEM_KAFKA,
    [A.messagingDestination]: message.topic,
    [A.messagingOperationType]: 'process',
    [A.messagingKey]: event.streamId,
    [A.eventId]: event.id,
    [A.eventType]: event.type,
    [A.eventStreamId]: event.streamId,
  };
  if (message.partition !== undefined) attributes[A.messagingPartition] = String(message.partition);
  if (message.offset !== undefined) attributes[A.messagingOffset] = message.offset;
  return withSpanFromTraceparent(
    `process ${message.topic}`,
    message.headers.traceparent ?? event.metadata.traceparent,
    SpanKind.CONSUMER,
    (span) => context.with(context.active().setValue(CONSUMING, event.id), () => fn(span)),
    attributes,
  );
}
