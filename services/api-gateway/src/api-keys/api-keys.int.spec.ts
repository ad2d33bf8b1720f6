import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import {
  bearer,
  startGateway,
  testDatabaseUrl,
  UpstreamStandIn,
  type TestGateway,
} from '../testing/gateway-harness';
import { ApiKeyStore } from './api-key.store';
import { runApiKeyCli } from './apikey.cli';

const repoRoot = join(__dirname, '../../../..');

/** Sends a path exactly as written: fetch would normalise away the dot segments we test. */
function rawRequest(url: string, method: string, path: string, key: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = httpRequest({ hostname, port, method, path, headers: bearer(key) }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('API keys', () => {
  let upstream: UpstreamStandIn;
  let gateway: TestGateway;

  beforeAll(async () => {
    upstream = await UpstreamStandIn.start();
    gateway = await startGateway({ upstreams: { contacts: upstream.url } });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  const call = (path: string, init: RequestInit = {}) => fetch(`${gateway.url}${path}`, init);

  describe('authentication', () => {
    it('answers a request without a key with 401 problem+json and WWW-Authenticate', async () => {
      const response = await call('/api/contacts');
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="engagement-platform"');
      expect(await response.json()).toMatchObject({ status: 401, code: 'missing-api-key' });
      expect(upstream.apiRequests).toHaveLength(0);
    });

    it('refuses other schemes and unknown keys', async () => {
      const basic = await call('/api/contacts', {
        headers: { authorization: 'Basic dXNlcjpwdw==' },
      });
      expect(basic.status).toBe(401);
      const unknown = await call('/api/contacts', { headers: bearer('eng_notAKeyWeKnow') });
      expect(unknown.status).toBe(401);
      expect(unknown.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(await unknown.json()).toMatchObject({ code: 'invalid-api-key' });
    });

    it('refuses a revoked key', async () => {
      const { id, key } = await gateway.createKey(['read']);
      expect((await call('/api/contacts', { headers: bearer(key) })).status).toBe(200);
      const revoked = await call(`/api/api-keys/${id}`, {
        method: 'DELETE',
        headers: bearer(gateway.adminKey),
      });
      expect(revoked.status).toBe(204);
      const after = await call('/api/contacts', { headers: bearer(key) });
      expect(after.status).toBe(401);
      expect(after.headers.get('www-authenticate')).toContain('invalid_token');
    });

    it('refuses a key revoked elsewhere at once, though other gateways had it cached', async () => {
      // A second gateway on the same table, with a cache that would keep the key for a minute.
      const other = await startGateway({
        schema: gateway.schema,
        bootstrapKey: gateway.adminKey,
        upstreams: { contacts: upstream.url },
        apiKeyCacheTtlMs: 60_000,
      });
      const pool = new Pool({ connectionString: testDatabaseUrl(), max: 1 });
      try {
        const viaOther = (key: string) =>
          fetch(`${other.url}/api/contacts`, { headers: bearer(key) });
        const refusedSoon = async (key: string) => {
          const started = Date.now();
          while (Date.now() - started < 5_000) {
            if ((await viaOther(key)).status === 401) return Date.now() - started;
            await new Promise((r) => setTimeout(r, 20));
          }
          throw new Error('still accepted 5 s after its revocation');
        };

        // Revoked through the first gateway's API.
        const first = await gateway.createKey(['read']);
        expect((await viaOther(first.key)).status).toBe(200);
        const revoked = await call(`/api/api-keys/${first.id}`, {
          method: 'DELETE',
          headers: bearer(gateway.adminKey),
        });
        expect(revoked.status).toBe(204);
        expect(await refusedSoon(first.key)).toBeLessThan(2_000);

        // Revoked by the command line, straight in the database.
        const second = await gateway.createKey(['read']);
        expect((await viaOther(second.key)).status).toBe(200);
        const err: string[] = [];
        const output = { out: () => undefined, err: (line: string) => err.push(line) };
        const store = new ApiKeyStore(pool, gateway.schema);
        expect(await runApiKeyCli(['revoke', second.id], store, output)).toBe(0);
        expect(await refusedSoon(second.key)).toBeLessThan(2_000);
      } finally {
        await pool.end();
        await other.close({ keepSchema: true });
      }
    });

    it('lets health, readiness and the API docs through without a key', async () => {
      expect((await call('/health')).status).toBe(200);
      expect((await call('/ready')).status).toBe(200);
      expect((await call('/openapi.json')).status).toBe(200);
      expect((await call('/docs')).status).toBe(200);
    });
  });

  describe('scopes', () => {
    it('read reads, write writes, admin administers; each implies the ones below', async () => {
      const read = (await gateway.createKey(['read'])).key;
      const write = (await gateway.createKey(['write'])).key;
      const admin = (await gateway.createKey(['admin'])).key;
      const post = (key: string, path = '/api/contacts') =>
        call(path, {
          method: 'POST',
          headers: { ...bearer(key), 'content-type': 'application/json' },
          body: '{"email":"a@example.com"}',
        });

      expect((await call('/api/contacts', { headers: bearer(read) })).status).toBe(200);
      const denied = await post(read);
      expect(denied.status).toBe(403);
      expect(denied.headers.get('www-authenticate')).toContain(
        'error="insufficient_scope", scope="write"',
      );
      expect(await denied.json()).toMatchObject({
        code: 'insufficient-scope',
        requiredScope: 'write',
      });

      expect((await call('/api/contacts', { headers: bearer(write) })).status).toBe(200);
      expect((await post(write)).status).toBe(201);
      expect((await call('/api/api-keys', { headers: bearer(write) })).status).toBe(403);
      expect((await post(write, '/api/contacts/c1/erase')).status).toBe(403);
      expect((await call('/api/contacts/c1/export', { headers: bearer(write) })).status).toBe(403);
      const eraser = (await gateway.createKey(['pii:erase'])).key;
      expect((await post(eraser, '/api/contacts/c1/erase')).status).toBe(200);
      expect((await call('/api/contacts/c1/export', { headers: bearer(eraser) })).status).toBe(403);

      expect((await call('/api/contacts', { headers: bearer(admin) })).status).toBe(200);
      expect((await post(admin)).status).toBe(201);
      expect((await call('/api/api-keys', { headers: bearer(admin) })).status).toBe(200);
      expect((await post(admin, '/api/contacts/c1/erase')).status).toBe(200);
      expect(upstream.apiRequests.at(-1)).toMatchObject({
        method: 'POST',
        url: '/contacts/c1/erase',
      });
    });

    it('cannot be side-stepped by spelling an admin path differently', async () => {
      const write = (await gateway.createKey(['write'])).key;
      const before = upstream.apiRequests.length;
      for (const path of ['/api/contacts/c1/ERASE', '/api/contacts/c1/%65rase', '/API/API-KEYS']) {
        expect((await rawRequest(gateway.url, 'POST', path, write)).status).toBe(403);
      }
      const dotted = await rawRequest(gateway.url, 'POST', '/api/contacts/c2/../c1/erase', write);
      expect(dotted.status).toBe(400);
      expect(JSON.parse(dotted.body)).toMatchObject({ code: 'invalid-path' });
      expect(upstream.apiRequests.length).toBe(before);
    });
  });

  describe('management', () => {
    it('creates a key, shows it once, and lists keys without secrets', async () => {
      const created = await call('/api/api-keys', {
        method: 'POST',
        headers: { ...bearer(gateway.adminKey), 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'crm-sync', scopes: ['read', 'write'] }),
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('cache-control')).toBe('no-store');
      const body = (await created.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ name: 'crm-sync', scopes: ['read', 'write'], revokedAt: null });
      expect(body.key).toMatch(/^eng_[A-Za-z0-9_-]{43}$/);
      expect(body.prefix).toBe((body.key as string).slice(0, 12));

      await call('/api/contacts', { headers: bearer(body.key as string) });
      // last_used_at is written after the request, off its path: list until it shows.
      let text = '';
      let listed: Record<string, unknown>[] = [];
      for (let attempt = 0; attempt < 100; attempt++) {
        text = await (await call('/api/api-keys', { headers: bearer(gateway.adminKey) })).text();
        listed = (JSON.parse(text) as { items: Record<string, unknown>[] }).items;
        if (listed.find((k) => k.id === body.id)?.lastUsedAt) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(text).not.toContain(body.key as string);
      expect(text).not.toMatch(/"(key|keyHash|key_hash)"/);
      expect(listed.find((k) => k.id === body.id)).toMatchObject({
        name: 'crm-sync',
        lastUsedAt: expect.any(String),
      });
    });

    it('answers malformed requests with 4xx problems', async () => {
      const post = (body: string) =>
        call('/api/api-keys', {
          method: 'POST',
          headers: { ...bearer(gateway.adminKey), 'content-type': 'application/json' },
          body,
        });
      const invalid = await post(JSON.stringify({ scopes: ['root'], extra: 1 }));
      expect(invalid.status).toBe(422);
      const problem = (await invalid.json()) as { errors: { field: string }[] };
      expect(problem.errors.map((e) => e.field).sort()).toEqual(['extra', 'scopes']);
      expect((await post('{"scopes":')).status).toBe(400);
      expect(
        (await post(JSON.stringify({ scopes: ['read'], name: 'x'.repeat(20_000) }))).status,
      ).toBe(413);
      const admin = bearer(gateway.adminKey);
      expect(
        (await call('/api/api-keys/not-a-uuid', { method: 'DELETE', headers: admin })).status,
      ).toBe(400);
      const missing = await call('/api/api-keys/00000000-0000-4000-8000-000000000000', {
        method: 'DELETE',
        headers: admin,
      });
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toMatch(/problem\+json/);
    });
  });

  describe('bootstrap key', () => {
    it('is an admin key, ensured once however often the gateway starts', async () => {
      const again = await startGateway({
        schema: gateway.schema,
        bootstrapKey: gateway.adminKey,
        upstreams: { contacts: upstream.url },
      });
      await again.close({ keepSchema: true });
      const list = await call('/api/api-keys', { headers: bearer(gateway.adminKey) });
      const items = (
        (await list.json()) as { items: { name: string; scopes: string[]; prefix: string }[] }
      ).items;
      const bootstraps = items.filter((k) => k.name === 'bootstrap');
      expect(bootstraps).toHaveLength(1);
      expect(bootstraps[0]).toMatchObject({ scopes: ['admin'] });
    });

    it('stays revoked once revoked, across restarts', async () => {
      const bootstrapKey = 'operator-chosen-bootstrap-key-42';
      const first = await startGateway({ bootstrapKey, upstreams: { contacts: upstream.url } });
      const items = (await (
        await fetch(`${first.url}/api/api-keys`, { headers: bearer(bootstrapKey) })
      ).json()) as { items: { id: string; prefix: string }[] };
      expect(items.items[0]!.prefix).toBe('****');
      await fetch(`${first.url}/api/api-keys/${items.items[0]!.id}`, {
        method: 'DELETE',
        headers: bearer(bootstrapKey),
      });
      await first.close({ keepSchema: true });
      const second = await startGateway({
        schema: first.schema,
        bootstrapKey,
        upstreams: { contacts: upstream.url },
      });
      try {
        expect(
          (await fetch(`${second.url}/api/contacts`, { headers: bearer(bootstrapKey) })).status,
        ).toBe(401);
      } finally {
        await second.close();
      }
    });

    it('refuses to start with a bootstrap key too short to be a secret', async () => {
      await expect(startGateway({ bootstrapKey: 'short' })).rejects.toThrow(/API_BOOTSTRAP_KEY/);
    });
  });

  describe('command line', () => {
    it('creates a key that authenticates, printing only the key to stdout', async () => {
      const pool = new Pool({ connectionString: testDatabaseUrl(), max: 1 });
      const out: string[] = [];
      const err: string[] = [];
      try {
        const store = new ApiKeyStore(pool, gateway.schema);
        const output = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
        expect(
          await runApiKeyCli(['create', '--scopes', 'read,write', '--name', 'ci'], store, output),
        ).toBe(0);
        expect(await runApiKeyCli(['create', '--scopes', 'root'], store, output)).toBe(2);
        expect(await runApiKeyCli(['frobnicate'], store, output)).toBe(2);
      } finally {
        await pool.end();
      }
      expect(out).toHaveLength(1);
      expect(out[0]).toMatch(/^eng_[A-Za-z0-9_-]{43}$/);
      expect(err.join('\n')).not.toContain(out[0]!);
      const authenticated = await call('/api/contacts', {
        method: 'POST',
        headers: bearer(out[0]!),
      });
      expect(authenticated.status).toBe(201);
    });

    it('works as the real process the npm script runs', async () => {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [
          '-r',
          '@swc-node/register',
          'services/api-gateway/src/api-keys/apikey.cli.ts',
          'create',
          '--scopes',
          'read',
        ],
        {
          cwd: repoRoot,
          env: {
            ...process.env,
            NODE_OPTIONS: '',
            SWC_NODE_PROJECT: './tsconfig.base.json',
            DATABASE_URL: testDatabaseUrl(),
            API_GATEWAY_SCHEMA: gateway.schema,
          },
        },
      );
      const key = stdout.trim();
      expect(stdout).toMatch(/^eng_[A-Za-z0-9_-]{43}\n$/);
      expect(stderr).toContain('created API key');
      expect(stderr).not.toContain(key);
      expect((await call('/api/contacts', { headers: bearer(key) })).status).toBe(200);
      expect((await call('/api/contacts', { method: 'POST', headers: bearer(key) })).status).toBe(
        403,
      );
    }, 60_000);
  });
});
