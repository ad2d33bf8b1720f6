// Traces from the running services: the real gateway and contacts processes,
// started as `npm start` starts them (telemetry preloaded), export their
// spans over OTLP/HTTP to a receiver inside this test. A request sent with a
// client's traceparent must come back as one trace holding the gateway's
// span, the contacts service's append to the event store, the relay's
// publish to Kafka and the read-model projection's apply.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { startPlatformUnderTest, type PlatformUnderTest } from './platform-under-test';

/** A span as OTLP/JSON carries it, with its service's name. */
interface ReceivedSpan {
  service: string;
  scope: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
}

const SERVER = 2; // OTLP SpanKind: SPAN_KIND_SERVER
const received: ReceivedSpan[] = [];
let receiver: Server;
let platform: PlatformUnderTest;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/v1/traces') {
        const raw = Buffer.concat(chunks);
        const body = request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        received.push(...spansOf(JSON.parse(body.toString('utf8'))));
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        response.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as AddressInfo;
  platform = await startPlatformUnderTest({
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      // JSON is what the OTLP/HTTP exporter sends; say so for whoever reads this.
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      // Batches every 200 ms instead of 5 s: the trace arrives while we wait.
      OTEL_BSP_SCHEDULE_DELAY: '200',
    },
  });
});

afterAll(async () => {
  await platform?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

it('follows a client request through the gateway, the append, the relay and the projection in one trace', async () => {
  const traceId = randomBytes(16).toString('hex');
  const clientSpanId = randomBytes(8).toString('hex');
  const response = await fetch(`${platform.gatewayUrl}/api/contacts`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${platform.apiKey}`,
      'content-type': 'application/json',
      traceparent: `00-${traceId}-${clientSpanId}-01`,
    },
    body: JSON.stringify({ email: `traced-${randomBytes(6).toString('hex')}@example.com` }),
  });
  expect(response.status).toBe(201);

  const wanted = {
    'the gateway answering the client': (s: ReceivedSpan) =>
      s.service === 'api-gateway' && s.kind === SERVER && s.parentSpanId === clientSpanId,
    'the contacts service handling the forwarded request': (s: ReceivedSpan) =>
      s.service === 'contacts' && s.kind === SERVER,
    'the append to the event store': (s: ReceivedSpan) =>
      s.service === 'contacts' &&
      s.scope === '@opentelemetry/instrumentation-pg' &&
      // One stream (append_to_stream) or, for a create, the reservation and the contact together.
      /\.append_to_streams?\(/.test(statementOf(s)) &&
      statementOf(s).includes(`"${platform.eventStoreSchema}".append_to_stream`),
    "the relay's publish to Kafka": (s: ReceivedSpan) =>
      s.service === 'contacts' && s.name === `publish ${platform.contactsTopic}`,
    "the projection's apply": (s: ReceivedSpan) =>
      s.service === 'contacts' && s.name.startsWith('project '),
  };
  const missing = () =>
    Object.entries(wanted)
      .filter(([, found]) => !received.some((s) => s.traceId === traceId && found(s)))
      .map(([what]) => what);

  const deadline = Date.now() + 30_000;
  while (missing().length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const inTrace = received.filter((s) => s.traceId === traceId);
  expect({ missing: missing(), spans: inTrace.map((s) => `${s.service}: ${s.name}`) }).toEqual({
    missing: [],
    spans: expect.any(Array),
  });
  // One trace: every span of it hangs from the client's span through spans of the trace.
  const ids = new Set([clientSpanId, ...inTrace.map((s) => s.spanId)]);
  expect(inTrace.filter((s) => !ids.has(s.parentSpanId)).map((s) => s.name)).toEqual([]);
});

function statementOf(span: ReceivedSpan): string {
  const text = span.attributes['db.query.text'] ?? span.attributes['db.statement'];
  return typeof text === 'string' ? text : '';
}

// OTLP/JSON: resourceSpans[].{resource.attributes, scopeSpans[].{scope, spans[]}}.
interface OtlpAttribute {
  key: string;
  value: Record<string, unknown>;
}
interface OtlpRequest {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: OtlpAttribute[];
      }[];
    }[];
  }[];
}

function spansOf(request: OtlpRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resource) => {
    const service = String(attributesOf(resource.resource?.attributes)['service.name'] ?? '');
    return (resource.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        service,
        scope: scope.scope?.name ?? '',
        name: span.name,
        kind: span.kind,
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        attributes: attributesOf(span.attributes),
      })),
    );
  });
}

function attributesOf(attributes: OtlpAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries(
    (attributes ?? []).map(({ key, value }) => [key, Object.values(value)[0]]),
  );
}
