import { SpanStatusCode } from '@opentelemetry/api';
import { REDACTED } from './redact';
import { spanNamed, useInMemoryTracing } from './testing/in-memory-tracing';
import {
  currentTraceparent,
  injectTraceparent,
  SpanKind,
  withBatchSpan,
  withSpan,
  withSpanFromTraceparent,
} from './trace-context';

const tracing = useInMemoryTracing();
const remote = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('trace context helpers', () => {
  it('currentTraceparent is null outside a span and names the active span inside one', async () => {
    expect(currentTraceparent()).toBeNull();
    const [traceparent, ids] = await withSpan('work', (span) => [
      currentTraceparent(),
      span.spanContext(),
    ]);
    expect(traceparent).toBe(`00-${ids.traceId}-${ids.spanId}-01`);
  });

  it('injectTraceparent writes the active span into headers and leaves them alone without one', async () => {
    expect(injectTraceparent({ accept: 'json' })).toEqual({ accept: 'json' });
    const headers = await withSpan('call', () => injectTraceparent({ accept: 'json' }));
    const span = spanNamed(tracing.finishedSpans(), 'call').spanContext();
    expect(headers).toEqual({
      accept: 'json',
      traceparent: `00-${span.traceId}-${span.spanId}-01`,
    });
  });

  it('withSpanFromTraceparent continues the remote trace as a child span of the given kind', async () => {
    const inside = await withSpanFromTraceparent(
      'process contacts',
      remote,
      SpanKind.CONSUMER,
      () => withSpan('project', () => currentTraceparent()),
      { 'event.id': 'e-1' },
    );
    const consumer = spanNamed(tracing.finishedSpans(), 'process contacts');
    const project = spanNamed(tracing.finishedSpans(), 'project');
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(consumer.attributes['event.id']).toBe('e-1');
    expect(consumer.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(consumer.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(consumer.parentSpanContext?.isRemote).toBe(true);
    expect(project.parentSpanContext?.spanId).toBe(consumer.spanContext().spanId);
    expect(inside).toBe(`00-0af7651916cd43dd8448eb211c80319c-${project.spanContext().spanId}-01`);
  });

  it('withBatchSpan continues the first event trace and links the other distinct ones', async () => {
    const other = '00-1bf7651916cd43dd8448eb211c80319c-c7ad6b7169203331-01';
    await withBatchSpan('project contacts', [null, remote, other, remote], () => undefined, {
      'projection.event_count': 4,
    });
    const batch = spanNamed(tracing.finishedSpans(), 'project contacts');
    expect(batch.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(batch.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(batch.links.map((link) => link.context.spanId)).toEqual(['c7ad6b7169203331']);
    expect(batch.attributes['projection.event_count']).toBe(4);

    await withBatchSpan('project untraced', [null, null], () => undefined);
    const untraced = spanNamed(tracing.finishedSpans(), 'project untraced');
    expect(untraced.parentSpanContext).toBeUndefined();
    expect(untraced.links).toEqual([]);
  });

  it('starts a new trace for a missing or malformed traceparent, not a child of the active span', async () => {
    await withSpan('poll', () =>
      Promise.all([
        withSpanFromTraceparent('none', null, SpanKind.CONSUMER, () => undefined),
        withSpanFromTraceparent('garbage', '00-zz-yy-01', SpanKind.CONSUMER, () => undefined),
      ]),
    );
    const poll = spanNamed(tracing.finishedSpans(), 'poll');
    for (const name of ['none', 'garbage']) {
      const span = spanNamed(tracing.finishedSpans(), name);
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.spanContext().traceId).not.toBe(poll.spanContext().traceId);
    }
  });

  it('records a failure on the span, with secrets masked, and rethrows it', async () => {
    const failing = withSpan('append', () => {
      throw new Error('rejected Bearer abc.def');
    });
    await expect(failing).rejects.toThrow('rejected Bearer abc.def');
    const span = spanNamed(tracing.finishedSpans(), 'append');
    expect(span.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: `rejected Bearer ${REDACTED}`,
    });
    expect(span.events[0].attributes?.['exception.message']).toBe(`rejected Bearer ${REDACTED}`);
    expect(span.ended).toBe(true);
  });
});
