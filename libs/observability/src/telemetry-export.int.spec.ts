// startTelemetry's export path against a local OTLP/HTTP receiver (what
// Jaeger listens with on 4318): spans reach /v1/traces under the configured
// endpoint, labelled with the service name, once stop() flushed them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTelemetry } from './telemetry';
import { withSpan } from './trace-context';

let receiver: Server;
const received: { path: string; body: string }[] = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', body });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});

afterAll(() => new Promise((resolve) => receiver.close(resolve)));

it('exports spans over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT when it is set', async () => {
  const { port } = receiver.address() as AddressInfo;
  const stop = startTelemetry({
    serviceName: 'export-test',
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/` },
  });
  await withSpan('exported work', () => undefined);
  await stop();
  expect(received.map((r) => r.path)).toContain('/v1/traces');
  const body = received.map((r) => r.body).join('\n');
  expect(body).toContain('exported work');
  expect(body).toContain('export-test');
});
