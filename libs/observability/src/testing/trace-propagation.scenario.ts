// The process trace-propagation.int.spec.ts runs: one request's real path,
// with the real pg, kafkajs and http instrumentations (which cannot patch
// modules under jest's loader, hence a process of its own). A tiny HTTP
// server takes a command and appends it through handleCommand with the
// active traceparent in the event's metadata; the relay of libs/bus
// produces the event to Kafka; a consumer of libs/bus continues the trace
// from the message's headers and applies sampleContactsProjection. The
// finished spans and what was seen on the way are written as JSON to the
// file the test names. Settings arrive as JSON in TRACE_SCENARIO.
import { exporter, stopTelemetry } from './scenario-telemetry'; // first: before pg, kafkajs, http load
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import {
  consumeEvents,
  KafkajsBus,
  PostgresRelayCheckpoints,
  silentLogger,
  startRelay,
  type Bus,
} from '@engagement/bus';
import { handleCommand, type Decider, type DomainEvent } from '@engagement/decider';
import { PostgresEventStore, type EventStore } from '@engagement/event-store';
import {
  applyKafkaBatch,
  prepareProjection,
  sampleContactsProjection,
} from '@engagement/projections';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { traceProducer, withConsumerSpan } from '../kafka-tracing';
import { SPAN_ATTRIBUTES } from '../span-attributes';
import { currentTraceparent, withSpan } from '../trace-context';
import type { ExportedSpan, ScenarioOutput, ScenarioSettings } from './scenario-output';

type ContactCreated = DomainEvent<'SampleContactCreated', { email: string; name: string }>;
type CreateContact = { email: string; name: string };

const contacts: Decider<CreateContact, ContactCreated, { exists: boolean }> = {
  initialState: () => ({ exists: false }),
  evolve: () => ({ exists: true }),
  decide: (command, state) =>
    state.exists ? [] : [{ type: 'SampleContactCreated', data: { ...command } }],
};

async function run(settings: ScenarioSettings): Promise<Omit<ScenarioOutput, 'spans'>> {
  const { databaseUrl, schema, topic, streamPrefix } = settings;
  const store = await PostgresEventStore.connect({
    connectionString: databaseUrl,
    schema,
    pollIntervalMs: 50,
  });
  const pool = new Pool({ connectionString: databaseUrl, max: 4 });
  const bus = new KafkajsBus({
    brokers: settings.kafkaBrokers,
    clientId: 'trace-scenario',
    logger: silentLogger,
  });
  const projection = sampleContactsProjection({
    schema,
    streamPrefix,
    source: 'kafka',
    name: 'trace-sample-contacts',
  });
  await prepareProjection(pool, projection);
  await bus.ensureTopics([{ topic, partitions: 1 }]);

  const seen: { kafkaTraceparent: string | null } = { kafkaTraceparent: null };
  let applied!: () => void;
  const appliedOnce = new Promise<void>((resolve) => (applied = resolve));
  const consumer = await consumeEvents({
    bus,
    groupId: settings.groupId,
    topics: [topic],
    logger: silentLogger,
    handle: (event, message) =>
      withConsumerSpan(message, event, async () => {
        seen.kafkaTraceparent = message.headers.traceparent ?? null;
        await withSpan(
          `project ${projection.name}`,
          () => applyKafkaBatch(pool, { projection, schema }, [event]),
          { attributes: { [SPAN_ATTRIBUTES.projectionName]: projection.name } },
        );
        applied();
      }),
  });
  const relay = startRelay({
    store,
    bus: withTracedProducers(bus),
    topic,
    filter: { streamPrefixes: [streamPrefix] },
    checkpoints: new PostgresRelayCheckpoints(pool, schema),
    name: topic,
    logger: silentLogger,
  });
  const server = createServer((request, response) => {
    createContact(store, streamPrefix, request).then(
      (body) => respond(response, 201, body),
      (error: unknown) => respond(response, 500, { error: String(error) }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  try {
    // fetch is not instrumented: the server's span is the trace's root, as
    // for a request arriving at the gateway from outside.
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/contacts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ada@example.com', name: 'Ada' }),
    });
    const body = (await response.json()) as { streamId: string };
    if (response.status !== 201)
      throw new Error(`POST /contacts: ${response.status} ${JSON.stringify(body)}`);
    await withTimeout(appliedOnce, 60_000, 'the consumer did not apply the event');
    // kafkajs's own consumer spans end when the batch is done, just after.
    await waitFor(() => exporter.getFinishedSpans().some(isKafkajsProcessSpan), 10_000);

    const [event] = await store.readStream(body.streamId);
    const { rows } = await pool.query(`SELECT * FROM "${schema}".sample_contacts WHERE id = $1`, [
      body.streamId,
    ]);
    return {
      streamId: body.streamId,
      eventTraceparent: event?.metadata.traceparent ?? null,
      kafkaTraceparent: seen.kafkaTraceparent,
      projectedRow: rows[0] ?? null,
    };
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await relay.stop();
    await consumer.stop();
    await bus.close();
    await store.close();
    await pool.end();
  }
}

/** The command endpoint: what a service's controller does with its request. */
async function createContact(store: EventStore, streamPrefix: string, request: IncomingMessage) {
  let text = '';
  for await (const chunk of request) text += chunk;
  const streamId = `${streamPrefix}${randomUUID()}`;
  const result = await handleCommand(
    store,
    streamId,
    contacts,
    JSON.parse(text) as CreateContact,
    {
      now: new Date(),
      actor: 'trace-scenario',
      correlationId: randomUUID(),
      causationId: null,
      traceparent: currentTraceparent(),
    },
    {
      upcast: (e) => ({ type: e.type, data: e.data }) as ContactCreated,
      schemaVersionOf: () => 1,
    },
  );
  return { streamId, position: String(result.position) };
}

/**
 * The bus, with every producer it hands out traced: what startRelay does by
 * itself once it wraps its producer in traceProducer. traceProducer leaves
 * a traced producer as it is, so this stays right after that change.
 */
function withTracedProducers(bus: Bus): Bus {
  return {
    ensureTopics: (specs) => bus.ensureTopics(specs),
    producer: () => traceProducer(bus.producer()),
    consume: (options) => bus.consume(options),
    close: () => bus.close(),
  };
}

function respond(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function isKafkajsProcessSpan(span: ReadableSpan): boolean {
  return (
    span.instrumentationScope.name === '@opentelemetry/instrumentation-kafkajs' &&
    span.name.startsWith('process ')
  );
}

function toExported(span: ReadableSpan): ExportedSpan {
  return {
    name: span.name,
    kind: span.kind,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    scope: span.instrumentationScope.name,
    attributes: { ...span.attributes },
    links: span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId })),
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitFor(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const settings = JSON.parse(process.env.TRACE_SCENARIO ?? '{}') as ScenarioSettings;
run(settings)
  .then(async (seen) => {
    // Before stopping: shutting down clears the in-memory exporter.
    const output: ScenarioOutput = { ...seen, spans: exporter.getFinishedSpans().map(toExported) };
    await stopTelemetry();
    writeFileSync(settings.outputFile, JSON.stringify(output, null, 2));
    // kafkajs and pg may keep timers for a moment; the work is done.
    process.exit(0);
  })
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
