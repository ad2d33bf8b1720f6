// For this library's unit tests: a real tracer provider whose finished spans
// are kept in memory, and the async-local-storage context manager, set as
// the global ones for one test file. (Jest loads modules through its own
// loader, which the pg/kafkajs/http instrumentations cannot patch: the
// end-to-end proof runs in a child process instead, see
// trace-propagation.int.spec.ts.)
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';

export interface InMemoryTracing {
  finishedSpans(): ReadableSpan[];
  reset(): void;
}

/** Registers global tracing in beforeAll and removes it in afterAll. */
export function useInMemoryTracing(): InMemoryTracing {
  const exporter = new InMemorySpanExporter();
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(
      new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
    );
  });
  afterEach(() => exporter.reset());
  afterAll(() => {
    trace.disable();
    context.disable();
  });
  return { finishedSpans: () => exporter.getFinishedSpans(), reset: () => exporter.reset() };
}

export function spanNamed(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1) throw new Error(`expected one span "${name}", found ${found.length}`);
  return found[0];
}
