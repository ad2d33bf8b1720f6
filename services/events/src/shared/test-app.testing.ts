// Test support for the events service's integration tests: the whole
// service (runtime and HTTP app) in-process on a random port, against the
// real PostgreSQL, in schemas of its own, with a stand-in for the contacts
// service's upsert (PUT /contacts: one id per email, 201 then 200) that can
// be told to fail, and for its data keys (GET /contacts/:id/data-keys, 410
// once erase() was called). close() stops it and drops its schemas.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { loadPlatformConfig } from '@engagement/config';
import { signServiceToken, verifyServiceToken } from '@engagement/service-auth';
import { quietLog, serviceLog } from '@engagement/service-runtime';
import { Client } from 'pg';
import { createEventsApp } from '../app';
import type { EventsConfig } from '../config';
import { startEventsRuntime, type EventsRuntime } from '../runtime';

export interface TestResponse {
  status: number;
  contentType: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read what they assert
}

/** The contacts service's upsert by email, in memory. */
export interface FakeContacts {
  url: string;
  /** email → contact id */
  contacts: Map<string, string>;
  calls: number;
  /** The contact's data key is destroyed: its data-keys answer 410 from now on. */
  erase(contactId: string): void;
  /** Answer the next n calls with 503. */
  failNext(n: number): void;
  close(): Promise<void>;
}

/** An admin token for the events service, signed with its key (what the gateway sends). */
export function tokenFor(key: Buffer, scopes = ['admin']): string {
  const token = signServiceToken(key, {
    subject: 'apikey:test',
    actor: 'test',
    scopes,
    audience: 'events',
    requestId: randomUUID(),
  });
  return `Bearer ${token}`;
}

/** Checks the events service's own token, as contacts would (401 otherwise). */
export async function startFakeContacts(key: Buffer): Promise<FakeContacts> {
  const contacts = new Map<string, string>();
  const names = new Map<string, string>();
  const dataKeys = new Map<string, string>(); // contact id → base64 key; erased: none
  const erased = new Set<string>();
  let failures = 0;
  const fake = { contacts, calls: 0 } as FakeContacts;
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      fake.calls++;
      let scopes: readonly string[];
      try {
        const header = request.headers.authorization ?? '';
        scopes = verifyServiceToken(key, header.replace(/^Bearer /, ''), 'contacts').scopes;
      } catch {
        response.writeHead(401, { 'content-type': 'application/problem+json' }).end('{}');
        return;
      }
      if (failures > 0) {
        failures--;
        response.writeHead(503, { 'content-type': 'application/problem+json' }).end('{}');
        return;
      }
      const keys = /^\/contacts\/([0-9a-f-]{36})\/data-keys$/.exec(request.url ?? '');
      if (request.method === 'GET' && keys) {
        if (!scopes.includes('pii:read')) return void response.writeHead(403).end();
        if (erased.has(keys[1])) return void response.writeHead(410).end();
        const dataKey = dataKeys.get(keys[1]);
        if (!dataKey) return void response.writeHead(404).end();
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ contactId: keys[1], keys: { k1: dataKey }, currentKeyId: 'k1' }));
        return;
      }
      const read = /^\/contacts\/([0-9a-f-]{36})$/.exec(request.url ?? '');
      if (request.method === 'GET' && read) {
        const found = [...contacts].find(([, id]) => id === read[1]);
        if (!found) return void response.writeHead(404).end();
        response.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: found[1],
            email: found[0],
            firstName: names.get(found[0]) ?? null,
            lastName: null,
          }),
        );
        return;
      }
      if (request.method !== 'PUT' || request.url !== '/contacts') {
        response.writeHead(404).end();
        return;
      }
      const email = String(JSON.parse(body).email).trim().toLowerCase();
      if (JSON.parse(body).firstName) names.set(email, JSON.parse(body).firstName);
      const existing = contacts.get(email);
      const id = existing ?? randomUUID();
      contacts.set(email, id);
      if (!existing) dataKeys.set(id, randomBytes(32).toString('base64'));
      response
        .writeHead(existing ? 200 : 201, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id, position: '1', revision: 0 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.failNext = (n) => (failures = n);
  fake.erase = (contactId) => {
    erased.add(contactId);
    for (const [email, id] of contacts) if (id === contactId) contacts.delete(email);
  };
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  return fake;
}

export interface TestApp {
  url: string;
  topic: string;
  runtime: EventsRuntime;
  app: INestApplication;
  schema: string;
  eventStoreSchema: string;
  contacts: FakeContacts;
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<TestResponse>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Waits until the read model has applied everything appended so far. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  relay?: boolean;
  poolSize?: number;
  /** Zoom (an emulator's URL and its development credentials); none by default. */
  zoom?: EventsConfig['zoom'];
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const id = randomUUID().replace(/-/g, '').slice(0, 10);
  const platform = loadPlatformConfig();
  const serviceTokenKey = randomBytes(32);
  const contacts = await startFakeContacts(serviceTokenKey);
  const config: EventsConfig = {
    name: 'events',
    serviceTokenKey,
    port: 0,
    host: '127.0.0.1',
    databaseUrl: platform.databaseUrl,
    kafkaBrokers: platform.kafkaBrokers,
    eventStoreConnectionString: undefined,
    schema: `events_t_${id}`,
    eventStoreSchema: `es_events_t_${id}`,
    relayEnabled: options.relay ?? false,
    topic: `events_t_${id}`,
    topicPartitions: 1,
    contactsUrl: contacts.url,
    // Reminders are tested through the consumer's handler (reminders-sent.int.spec.ts).
    messagingTopic: null,
    reactorsEnabled: true,
    zoom: options.zoom ?? null,
  };
  // TEST_LOG=1 shows the service's log (warnings of reactors and projections).
  const log = process.env.TEST_LOG ? serviceLog('events') : quietLog();
  const runtime = await startEventsRuntime(config, log, {
    poolSize: options.poolSize ?? 6,
  });
  const app = await createEventsApp(runtime);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const admin = new Client({ connectionString: platform.databaseUrl });
  await admin.connect();

  return {
    url,
    topic: config.topic,
    runtime,
    app,
    schema: config.schema,
    eventStoreSchema: config.eventStoreSchema,
    contacts,
    async request(method, path, body, headers = {}) {
      const response = await fetch(url + path, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: {
          authorization: tokenFor(serviceTokenKey),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
      });
      const contentType = response.headers.get('content-type') ?? '';
      const text = await response.text();
      return {
        status: response.status,
        contentType,
        body: contentType.includes('json') && text ? JSON.parse(text) : text,
      };
    },
    async query<T>(sql: string, params: unknown[] = []) {
      return (await admin.query(sql, params)).rows as T[];
    },
    async settle() {
      const { rows } = await admin.query<{ max: string | null }>(
        `SELECT max(global_position)::text AS max FROM "${config.eventStoreSchema}".events`,
      );
      if (rows[0].max !== null) await runtime.waiter.waitFor(rows[0].max);
    },
    async close() {
      await app.close();
      await runtime.stop();
      await contacts.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${config.schema}" CASCADE`);
      await admin.query(`DROP SCHEMA IF EXISTS "${config.eventStoreSchema}" CASCADE`);
      await admin.end();
    },
  };
}

/** A valid POST /events body: a webinar an hour from now. */
export function newEvent(overrides: Record<string, unknown> = {}) {
  return {
    title: 'How to Build AI Funnels',
    type: 'webinar',
    platform: 'virtual_custom',
    platformUrl: 'https://example.com/live',
    scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
    timezone: 'America/New_York',
    durationMinutes: 45,
    ...overrides,
  };
}

/** Creates an event and opens its registration; returns its id. */
export async function openEvent(
  t: TestApp,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const created = await t.request('POST', '/events', newEvent(overrides));
  if (created.status !== 201) throw new Error(`create: ${JSON.stringify(created.body)}`);
  const id = created.body.id as string;
  for (const action of ['schedule', 'open-registration']) {
    const moved = await t.request('POST', `/events/${id}/${action}`);
    if (moved.status !== 200) throw new Error(`${action}: ${JSON.stringify(moved.body)}`);
  }
  return id;
}
