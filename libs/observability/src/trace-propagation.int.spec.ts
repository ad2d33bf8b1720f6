// The proof that one trace follows a request through the append, the relay,
// Kafka and a consumer's projection, against the real PostgreSQL and Kafka.
//
// The path runs in a child process (testing/trace-propagation.scenario.ts):
// jest loads modules through its own loader, which the pg, kafkajs and http
// instrumentations cannot patch, and what they do (their spans, and kafkajs
// rewriting message headers) is part of what must be proved. That process
// starts telemetry as a service's main.ts does, with an in-memory span
// exporter, and hands its finished spans back as JSON.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { findWorkspaceRoot, loadPlatformConfig } from '@engagement/config';
import { SpanKind } from './trace-context';
import type { ExportedSpan, ScenarioOutput, ScenarioSettings } from './testing/scenario-output';

const PG = '@opentelemetry/instrumentation-pg';
const HTTP = '@opentelemetry/instrumentation-http';
const KAFKAJS = '@opentelemetry/instrumentation-kafkajs';
const OURS = '@engagement/observability';

const { databaseUrl, kafkaBrokers } = loadPlatformConfig();
const unique = randomUUID().replace(/-/g, '').slice(0, 12);
const outputDir = mkdtempSync(join(tmpdir(), 'trace-propagation-'));
const settings: ScenarioSettings = {
  databaseUrl,
  kafkaBrokers,
  schema: `obs_trace_${unique}`,
  topic: `obs-trace-${unique}`,
  groupId: `obs-trace-${unique}`,
  streamPrefix: `tracecontact${unique}-`,
  outputFile: join(outputDir, 'output.json'),
};

let output: ScenarioOutput;
let spans: ExportedSpan[];

beforeAll(async () => {
  const root = findWorkspaceRoot();
  // Not jest's NODE_OPTIONS, and no OTEL_* of the caller's shell: the
  // scenario must not export to a collector or be switched off.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => name !== 'NODE_OPTIONS' && !name.startsWith('OTEL_'),
    ),
  );
  try {
    await promisify(execFile)(
      process.execPath,
      ['-r', '@swc-node/register', join(__dirname, 'testing', 'trace-propagation.scenario.ts')],
      {
        cwd: root,
        env: {
          ...env,
          SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'),
          TRACE_SCENARIO: JSON.stringify(settings),
        },
        timeout: 150_000,
      },
    );
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`the scenario failed:\n${stderr ?? ''}\n${stdout ?? ''}`, { cause: error });
  }
  output = JSON.parse(readFileSync(settings.outputFile, 'utf8')) as ScenarioOutput;
  spans = output.spans;
}, 180_000);

afterAll(async () => {
  rmSync(outputDir, { recursive: true, force: true });
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${settings.schema}" CASCADE`);
  await client.end();
  const admin = new Kafka({
    clientId: 'observability-tests',
    brokers: kafkaBrokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const ours = [settings.topic, `${settings.topic}.dlq`].filter((t) => existing.has(t));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
    await admin.deleteGroups([settings.groupId]).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
});

/** The one span that matches; a clear failure when there is none or more. */
function only(what: string, match: (span: ExportedSpan) => boolean): ExportedSpan {
  const found = spans.filter(match);
  if (found.length !== 1) {
    const names = spans.map((s) => `${s.scope} ${s.name}`).join('\n  ');
    throw new Error(`expected one ${what}, found ${found.length}; spans:\n  ${names}`);
  }
  return found[0];
}

function query(span: ExportedSpan): string {
  return String(span.attributes['db.query.text'] ?? span.attributes['db.statement'] ?? '');
}

function traceparentOf(span: ExportedSpan): string {
  return `00-${span.traceId}-${span.spanId}-01`;
}

function path() {
  const request = only('HTTP server span', (s) => s.scope === HTTP && s.kind === SpanKind.SERVER);
  const publish = only('publish span', (s) => s.scope === OURS && s.kind === SpanKind.PRODUCER);
  const consumer = only('consumer span', (s) => s.scope === OURS && s.kind === SpanKind.CONSUMER);
  const projection = only(
    'projection span',
    (s) => s.scope === OURS && s.name.startsWith('project '),
  );
  const append = only(
    'append query',
    (s) => s.scope === PG && query(s).includes('append_to_stream'),
  );
  const projected = only(
    'projection insert',
    (s) => s.scope === PG && query(s).includes('INSERT INTO sample_contacts'),
  );
  return { request, publish, consumer, projection, append, projected };
}

describe('one trace from an HTTP request to a projection on the other side of Kafka', () => {
  it('went through: the consumer applied the event to the read model', () => {
    expect(output.projectedRow).toMatchObject({
      id: output.streamId,
      email: 'ada@example.com',
      name: 'Ada',
    });
  });

  it('puts every span of the path in one trace', () => {
    const { request, ...rest } = path();
    expect(request.parentSpanId).toBeNull();
    for (const span of Object.values(rest)) expect(span.traceId).toBe(request.traceId);
    // Every pg query of the request and of the projection is in it too.
    const queries = spans.filter((s) => s.scope === PG);
    expect(queries.length).toBeGreaterThan(4);
    for (const span of queries) expect(span.traceId).toBe(request.traceId);
  });

  it('appends inside the request span, and the event records that span as its traceparent', () => {
    const { request, append } = path();
    expect(append.parentSpanId).toBe(request.spanId);
    expect(output.eventTraceparent).toBe(traceparentOf(request));
  });

  it("publishes in a producer span whose parent is the event's traceparent, and sends that span's traceparent in the Kafka headers", () => {
    const { request, publish } = path();
    expect(publish.name).toBe(`publish ${settings.topic}`);
    expect(`00-${publish.traceId}-${publish.parentSpanId}-01`).toBe(output.eventTraceparent);
    expect(publish.parentSpanId).toBe(request.spanId);
    expect(publish.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': settings.topic,
      'event.type': 'SampleContactCreated',
      'event.stream_id': output.streamId,
    });
    expect(output.kafkaTraceparent).toBe(traceparentOf(publish));
  });

  it('consumes in a span whose parent is the publish span, and projects in a child of it, its queries inside', () => {
    const { publish, consumer, projection, projected } = path();
    expect(consumer.name).toBe(`process ${settings.topic}`);
    expect(consumer.parentSpanId).toBe(publish.spanId);
    expect(consumer.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': settings.topic,
      'event.id': publish.attributes['event.id'],
    });
    expect(projection.parentSpanId).toBe(consumer.spanId);
    expect(projected.parentSpanId).toBe(projection.spanId);
  });

  it("keeps the kafkajs instrumentation's own spans from cutting the trace: they link to the publish span", () => {
    const { publish } = path();
    const send = only(
      'kafkajs send span',
      (s) => s.scope === KAFKAJS && s.kind === SpanKind.PRODUCER,
    );
    expect(send.links).toContainEqual({ traceId: publish.traceId, spanId: publish.spanId });
    const processed = spans.filter((s) => s.scope === KAFKAJS && s.kind === SpanKind.CONSUMER);
    expect(processed.length).toBeGreaterThan(0);
    for (const span of processed)
      expect(span.links).toContainEqual({ traceId: publish.traceId, spanId: publish.spanId });
  });
});
