import { SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import {
  keepPublishTraceContext,
  traceProducer,
  withConsumerSpan,
  type MessageProducer,
  type ProducedMessage,
} from './kafka-tracing';
import { spanNamed, useInMemoryTracing } from './testing/in-memory-tracing';
import { currentTraceparent, SpanKind, withSpan } from './trace-context';

const tracing = useInMemoryTracing();
const eventTrace = '0af7651916cd43dd8448eb211c80319c';
const requestSpan = 'b7ad6b7169203331';

function fakeProducer(fail?: Error) {
  const sent: { topic: string; messages: ProducedMessage[] }[] = [];
  const producer: MessageProducer = {
    send: async (topic, messages) => {
      if (fail) throw fail;
      sent.push({ topic, messages });
    },
    close: async () => undefined,
  };
  return { producer, sent };
}

function message(eventId: string, traceparent?: string): ProducedMessage {
  const headers: Record<string, string> = { 'event-id': eventId, 'event-type': 'ContactCreated' };
  if (traceparent) headers.traceparent = traceparent;
  return { key: `contact-${eventId}`, value: '{}', headers };
}

describe('traceProducer', () => {
  it('publishes each message in a producer span that is a child of its own traceparent, and sends that span on', async () => {
    const { producer, sent } = fakeProducer();
    const original = message('e1', `00-${eventTrace}-${requestSpan}-01`);
    const other = message('e2', '00-11111111111111111111111111111111-2222222222222222-01');
    await traceProducer(producer).send('contacts', [original, other]);

    const spans = tracing.finishedSpans().filter((s) => s.name === 'publish contacts');
    expect(spans).toHaveLength(2);
    const [first, second] = spans;
    expect(first.kind).toBe(SpanKind.PRODUCER);
    expect(first.spanContext().traceId).toBe(eventTrace);
    expect(first.parentSpanContext?.spanId).toBe(requestSpan);
    expect(second.spanContext().traceId).toBe('11111111111111111111111111111111');
    expect(first.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'contacts',
      'messaging.operation.type': 'send',
      'event.id': 'e1',
      'event.type': 'ContactCreated',
      'event.stream_id': 'contact-e1',
    });
    expect(sent[0].messages[0].headers.traceparent).toBe(
      `00-${eventTrace}-${first.spanContext().spanId}-01`,
    );
    expect(sent[0].messages[0].headers['event-id']).toBe('e1');
    // The caller's message still carries the event's own traceparent.
    expect(original.headers.traceparent).toBe(`00-${eventTrace}-${requestSpan}-01`);
  });

  it('makes a message without a traceparent a child of the active span', async () => {
    const { producer, sent } = fakeProducer();
    const outer = await withSpan('request', async (span) => {
      await traceProducer(producer).send('contacts', [message('e3')]);
      return span.spanContext();
    });
    const publish = spanNamed(tracing.finishedSpans(), 'publish contacts');
    expect(publish.parentSpanContext?.spanId).toBe(outer.spanId);
    expect(sent[0].messages[0].headers.traceparent).toContain(publish.spanContext().spanId);
  });

  it('marks every publish span failed when the send fails, and rethrows', async () => {
    const { producer } = fakeProducer(new Error('broker gone'));
    await expect(
      traceProducer(producer).send('contacts', [message('e4'), message('e5')]),
    ).rejects.toThrow('broker gone');
    const spans = tracing.finishedSpans();
    expect(spans).toHaveLength(2);
    for (const span of spans) expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('does not trace a producer twice', async () => {
    const { producer } = fakeProducer();
    const once = traceProducer(producer);
    expect(traceProducer(once)).toBe(once);
  });

  it("puts the publish span's traceparent back after the kafkajs instrumentation overwrote it, and links to it", async () => {
    let handedOn: ProducedMessage | undefined;
    const producer: MessageProducer = {
      send: async (_topic, messages) => {
        handedOn = messages[0];
      },
      close: async () => undefined,
    };
    await traceProducer(producer).send('contacts', [
      message('e6', `00-${eventTrace}-${requestSpan}-01`),
    ]);
    const ours = handedOn!.headers.traceparent;

    // What the instrumentation does: its own span, injected over ours, then the hook.
    const instrumentationSpan = trace.getTracer('kafkajs').startSpan('send contacts');
    handedOn!.headers.traceparent = '00-99999999999999999999999999999999-8888888888888888-01';
    keepPublishTraceContext(instrumentationSpan as Span, {
      topic: 'contacts',
      message: { value: '{}', headers: handedOn!.headers },
    });
    instrumentationSpan.end();

    expect(handedOn!.headers.traceparent).toBe(ours);
    const send = spanNamed(tracing.finishedSpans(), 'send contacts');
    const publish = spanNamed(tracing.finishedSpans(), 'publish contacts');
    expect(send.links.map((l) => l.context.spanId)).toEqual([publish.spanContext().spanId]);
  });
});

describe('withConsumerSpan', () => {
  const event = {
    id: 'e7',
    type: 'ContactCreated',
    streamId: 'contact-7',
    metadata: { traceparent: `00-${eventTrace}-${requestSpan}-01` },
  };

  it("continues from the message's traceparent header (the publish span)", async () => {
    const publishSpan = 'aaaaaaaaaaaaaaaa';
    const inside = await withConsumerSpan(
      {
        topic: 'contacts',
        partition: 2,
        offset: '41',
        headers: { traceparent: `00-${eventTrace}-${publishSpan}-01` },
      },
      event,
      () => currentTraceparent(),
    );
    const consumer = spanNamed(tracing.finishedSpans(), 'process contacts');
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(consumer.parentSpanContext?.spanId).toBe(publishSpan);
    expect(inside).toBe(`00-${eventTrace}-${consumer.spanContext().spanId}-01`);
    expect(consumer.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'contacts',
      'messaging.operation.type': 'process',
      'messaging.destination.partition.id': '2',
      'messaging.kafka.offset': '41',
      'event.id': 'e7',
      'event.type': 'ContactCreated',
      'event.stream_id': 'contact-7',
    });
  });

  it('starts no second span for the same event when the handler is wrapped twice', async () => {
    const headers = { traceparent: `00-${eventTrace}-aaaaaaaaaaaaaaaa-01` };
    const inner = await withConsumerSpan({ topic: 'contacts', headers }, event, () =>
      withConsumerSpan({ topic: 'contacts', headers }, event, () => currentTraceparent()),
    );
    const consumer = spanNamed(tracing.finishedSpans(), 'process contacts');
    expect(inner).toBe(`00-${eventTrace}-${consumer.spanContext().spanId}-01`);
  });

  it("falls back to the event's own traceparent when the message has none", async () => {
    await withConsumerSpan({ topic: 'contacts', headers: {} }, event, () => undefined);
    const consumer = spanNamed(tracing.finishedSpans(), 'process contacts');
    expect(consumer.parentSpanContext?.spanId).toBe(requestSpan);
  });
});
