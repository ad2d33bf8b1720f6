// OpenTelemetry for a service process, set up once: HTTP, pg and kafkajs
// instrumented, W3C trace context propagated, spans exported over OTLP/HTTP
// when OTEL_EXPORTER_OTLP_ENDPOINT is set (Jaeger in docker-compose listens
// on 4318) and otherwise created but not exported, so that trace ids still
// reach log lines and event metadata. OTEL_SDK_DISABLED=true turns it off.
//
// The instrumentations patch `pg`, `kafkajs` and `http` as they are
// required, so this must run before anything loads them. A service's
// main.ts does it with its first import:
//
//   // services/contacts/src/telemetry.ts
//   import { startTelemetry } from '@engagement/observability';
//   export const stopTelemetry = startTelemetry({ serviceName: 'contacts' });
//
//   // services/contacts/src/main.ts
//   import { stopTelemetry } from './telemetry'; // first: before pg, kafkajs, Nest
//   import { ... } from '...';
//   ...
//   process.once('SIGTERM', () => void app.close().then(stopTelemetry));
//
// (TypeScript compiles imports to require() calls in their order, so the
// first import runs before any other module is loaded.) This library's own
// index loads none of the instrumented modules, so importing it is safe.
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  NoopSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { keepPublishTraceContext } from './kafka-tracing';

export interface TelemetryOptions {
  /** `service.name` of every span: the service, e.g. 'contacts'. */
  serviceName: string;
  /**
   * Where finished spans go, each as soon as it ends. Tests pass an
   * InMemorySpanExporter; services leave it out and get OTLP/HTTP when
   * OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, or no export.
   */
  exporter?: SpanExporter;
  /** Where OTEL_SDK_DISABLED and the OTLP endpoint are read; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Flushes the spans not yet exported and stops the SDK. */
export type StopTelemetry = () => Promise<void>;

let running: { serviceName: string; stop: StopTelemetry } | undefined;

/**
 * Starts OpenTelemetry for this process. A second call changes nothing and
 * returns the first call's stop function: the instrumentations and the
 * global tracer provider can be registered only once per process.
 */
export function startTelemetry(options: TelemetryOptions): StopTelemetry {
  if (running) {
    if (running.serviceName !== options.serviceName) {
      process.emitWarning(
        `startTelemetry: already started as "${running.serviceName}"; "${options.serviceName}" ignored`,
      );
    }
    return running.stop;
  }
  const env = options.env ?? process.env;
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') {
    running = { serviceName: options.serviceName, stop: async () => undefined };
    return running.stop;
  }

  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    // Trace context only: baggage would travel into every Kafka message and
    // pg comment without anyone reading it.
    textMapPropagator: new W3CTraceContextPropagator(),
    spanProcessors: [spanProcessor(options.exporter, env)],
    // Traces only. Left out, the SDK would start OTLP metric and log
    // exporters that send to localhost:4318 whether or not anyone listens.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        // Health probes answer every few seconds: a trace each would bury the real ones.
        ignoreIncomingRequestHook: (request) => request.url === '/health',
      }),
      // Only inside a trace: the relay's and projections' polling queries
      // would otherwise start a new trace several times a second.
      new PgInstrumentation({ requireParentSpan: true }),
      new KafkaJsInstrumentation({ producerHook: keepPublishTraceContext }),
    ],
  });
  sdk.start();

  let stopping: Promise<void> | undefined;
  const stop: StopTelemetry = () => (stopping ??= sdk.shutdown());
  running = { serviceName: options.serviceName, stop };
  return stop;
}

/** Whether startTelemetry ran in this process (see register.ts: the preload that runs it). */
export function telemetryStarted(): boolean {
  return running !== undefined;
}

function spanProcessor(exporter: SpanExporter | undefined, env: NodeJS.ProcessEnv): SpanProcessor {
  if (exporter) return new SimpleSpanProcessor({ exporter });
  const url = otlpTracesUrl(env);
  if (url) return new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }) });
  // Spans are still created and sampled (trace ids for logs and event
  // metadata); they are just not sent anywhere.
  return new NoopSpanProcessor();
}

/** The OTLP/HTTP traces URL the OpenTelemetry environment variables name, if any. */
function otlpTracesUrl(env: NodeJS.ProcessEnv): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  // The general endpoint is a base URL: signals go to /v1/<signal> under it.
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT)
    return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return undefined;
}
