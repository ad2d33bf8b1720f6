// Runs the gateway with every log level on through the paths that handle
// keys (bootstrap, creation, authentication good and bad, revocation,
// idempotent replay, upstream failure, the CLI) and checks that nothing it
// wrote contains key material or the Authorization header.
import type { LogLevel } from '@nestjs/common';
import { Pool } from 'pg';
import { generateApiKey, hashApiKey } from '../api-keys/api-key';
import { ApiKeyStore } from '../api-keys/api-key.store';
import { runApiKeyCli } from '../api-keys/apikey.cli';
import { bearer, startGateway, testDatabaseUrl, UpstreamStandIn } from '../testing/gateway-harness';

const ALL_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

function captureOutput() {
  const lines: string[] = [];
  const record = (chunk: unknown) => {
    lines.push(Buffer.isBuffer(chunk) ? chunk.toString() : String(chunk));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(record),
    jest.spyOn(process.stderr, 'write').mockImplementation(record),
    ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
      jest.spyOn(console, method).mockImplementation((...args) => void record(args.join(' '))),
    ),
  ];
  return { lines, restore: () => spies.forEach((spy) => spy.mockRestore()) };
}

it('never writes API keys, their hashes or Authorization headers to the logs', async () => {
  const upstream = await UpstreamStandIn.start();
  upstream.handler = (request, res) => {
    if (!request.url.startsWith('/contacts/broken')) return false;
    res.socket?.destroy();
    return true;
  };
  const bootstrapKey = generateApiKey();
  const secrets: string[] = [bootstrapKey];
  const cliOut: string[] = [];
  const output = captureOutput();
  try {
    const gateway = await startGateway(
      { bootstrapKey, upstreams: { contacts: upstream.url } },
      ALL_LEVELS,
    );
    try {
      const { id, key } = await gateway.createKey(['write']);
      secrets.push(key);
      const call = (path: string, init: RequestInit = {}) => fetch(`${gateway.url}${path}`, init);

      await call(`/api/contacts?token=${key}`, { headers: bearer(key) });
      const idempotent = {
        method: 'POST',
        headers: { ...bearer(key), 'content-type': 'application/json', 'idempotency-key': 'k1' },
        body: '{"email":"a@example.com"}',
      };
      await call('/api/contacts', idempotent);
      await call('/api/contacts', idempotent);
      await call('/api/contacts/broken', { headers: bearer(key) });
      await call('/api/contacts', { headers: bearer(`${key}x`) });
      await call('/api/api-keys', { headers: bearer(key) });
      await call(`/api/api-keys/${id}`, { method: 'DELETE', headers: bearer(bootstrapKey) });
      await call('/api/contacts', { headers: bearer(key) });
      await call('/api/contacts', { headers: { authorization: `Basic ${key}` } });

      const pool = new Pool({ connectionString: testDatabaseUrl(), max: 1 });
      try {
        await runApiKeyCli(['create', '--scopes', 'read'], new ApiKeyStore(pool, gateway.schema), {
          out: (line) => cliOut.push(line),
          err: (line) => process.stderr.write(`${line}\n`),
        });
      } finally {
        await pool.end();
      }
      secrets.push(cliOut[0]!);
    } finally {
      await gateway.close();
    }
  } finally {
    output.restore();
    await upstream.close();
  }

  const logs = output.lines.join('');
  // The capture worked: access-log lines and the 502's warning are there.
  expect(logs).toContain('"path":"/api/contacts"');
  expect(logs).toContain('"status":401');
  expect(logs).toContain('contacts failed');
  expect(logs).toContain('created API key');

  expect(secrets).toHaveLength(3);
  for (const secret of secrets) {
    expect(logs).not.toContain(secret);
    expect(logs).not.toContain(secret.slice(4, 24)); // any long piece of the random part
    expect(logs).not.toContain(hashApiKey(secret));
  }
  expect(logs).not.toMatch(/bearer |basic |authorization/i);
});
