// Trace context helpers, small and explicit: read the active span as a W3C
// traceparent (for CommandContext and event metadata), write it into
// outgoing headers, and continue a trace from a traceparent found in an
// event's metadata or in Kafka headers.
//
// They use their own W3C trace-context propagator instead of the global one,
// so that they behave the same whether startTelemetry ran or not (without it
// there is no active span: currentTraceparent() is null, spans are no-ops).
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { maskSecrets } from './redact';
import { TRACER_NAME } from './span-attributes';

export { SpanKind };

const w3c = new W3CTraceContextPropagator();

/** The active span as a W3C traceparent (`00-<trace id>-<span id>-<flags>`); null when no span is active. */
export function currentTraceparent(ctx: Context = context.active()): string | null {
  const carrier: Record<string, string> = {};
  w3c.inject(ctx, carrier, defaultTextMapSetter);
  return carrier.traceparent ?? null;
}

/**
 * Writes the active span's `traceparent` (and `tracestate`, if any) into
 * `headers` and returns them; leaves them as they are when no span is active.
 */
export function injectTraceparent<Headers extends Record<string, string>>(
  headers: Headers,
  ctx: Context = context.active(),
): Headers {
  w3c.inject(ctx, headers, defaultTextMapSetter);
  return headers;
}

/**
 * A context whose parent is the span a traceparent names. It starts from
 * the root context, not the active one: a message's own trace is what a
 * consumer continues, not whatever happens to be active around it. A
 * missing or malformed traceparent gives the root context (a new trace).
 */
export function contextFromTraceparent(
  traceparent: string | null | undefined,
  tracestate?: string | null,
): Context {
  if (!traceparent) return ROOT_CONTEXT;
  const carrier: Record<string, string> = { traceparent };
  if (tracestate) carrier.tracestate = tracestate;
  return w3c.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
}

/** Runs `fn` in a new span, a child of the active one; the span ends when `fn` settles. */
export function withSpan<T>(
  name: string,
  fn: (span: Span) => Promise<T> | T,
  options: SpanOptions = {},
): Promise<T> {
  return runInSpan(name, context.active(), options, fn);
}

/**
 * Continues a trace from another process: extracts `traceparent`, starts a
 * span as its child (a new root span when it is missing or malformed), and
 * runs `fn` in that span's context, so that everything `fn` does (pg
 * queries, further spans, log lines) belongs to the same trace.
 */
export function withSpanFromTraceparent<T>(
  name: string,
  traceparent: string | null | undefined,
  kind: SpanKind,
  fn: (span: Span) => Promise<T> | T,
  attributes?: Attributes,
): Promise<T> {
  return runInSpan(name, contextFromTraceparent(traceparent), { kind, attributes }, fn);
}

/**
 * Runs work done for several events at once (a projection's batch) in one
 * span: a child of the first traceparent given, linked to the other distinct
 * ones, so that each event's trace leads to the batch that handled it.
 */
export function withBatchSpan<T>(
  name: string,
  traceparents: ReadonlyArray<string | null | undefined>,
  fn: (span: Span) => Promise<T> | T,
  attributes?: Attributes,
): Promise<T> {
  const distinct = [...new Set(traceparents.filter((t): t is string => Boolean(t)))];
  const links = distinct.slice(1).flatMap((traceparent) => {
    const linked = trace.getSpanContext(contextFromTraceparent(traceparent));
    return linked ? [{ context: linked }] : [];
  });
  return runInSpan(
    name,
    contextFromTraceparent(distinct[0]),
    { kind: SpanKind.INTERNAL, attributes, links },
    fn,
  );
}

async function runInSpan<T>(
  name: string,
  parent: Context,
  options: SpanOptions,
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  const span = trace.getTracer(TRACER_NAME).startSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      attributes: options.attributes,
      links: options.links,
    },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (error) {
    recordSpanError(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Marks a span failed. The message and stack are masked like log lines:
 * spans leave the process too (to Jaeger), so a secret an error message
 * quotes must not travel with them.
 */
export function recordSpanError(span: Span, error: unknown): void {
  const failure =
    error instanceof Error
      ? error
      : new Error(typeof error === 'string' ? error : 'non-error thrown');
  const message = maskSecrets(failure.message);
  span.recordException({
    name: failure.name,
    message,
    stack: failure.stack === undefined ? undefined : maskSecrets(failure.stack),
  });
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}
