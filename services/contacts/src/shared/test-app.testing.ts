// Test support for the contacts service's integration tests: the whole
// service (runtime and HTTP app) in-process on a random port, against the
// real PostgreSQL, in schemas of its own (read model and event store) with a
// master key of its own, so test files never share state and can run in
// parallel. close() stops it and drops its schemas.
import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { loadPlatformConfig, PlatformNotRunningError } from '@engagement/config';
import { signServiceToken } from '@engagement/service-auth';
import { Client } from 'pg';
import { createContactsApp } from '../app';
import type { ContactsConfig } from '../config';
import { startContactsRuntime, type ContactsRuntime } from '../runtime';
import { quietLog } from './log';

export interface TestResponse {
  status: number;
  contentType: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read what they assert
}

export interface StoredEventRow {
  stream_id: string;
  event_type: string;
  data: Record<string, unknown>;
  data_text: string;
}

export interface TestApp {
  url: string;
  /** The Kafka topic the relay produces to, when the relay runs. */
  topic: string;
  runtime: ContactsRuntime;
  app: INestApplication;
  schema: string;
  eventStoreSchema: string;
  /**
   * A request with a service token for 'contacts' (by default the actor
   * `test` with the admin scope, which holds every other); pass an
   * `authorization` header to send another one, or none.
   */
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<TestResponse>;
  /** An Authorization header value with a token signed by the service's key. */
  tokenFor(caller?: { actor?: string; scopes?: string[]; audience?: string }): string;
  /** A raw body with its content type (bulk imports, malformed JSON). */
  send(method: string, path: string, body: string, contentType: string): Promise<TestResponse>;
  /** The events table's rows as stored (data as jsonb and as text), oldest first. */
  storedEvents(streamPrefix?: string): Promise<StoredEventRow[]>;
  /** How many events the store holds. */
  eventCount(): Promise<number>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export function testDatabaseUrl(): string {
  try {
    return loadPlatformConfig().databaseUrl;
  } catch (error) {
    if (!(error instanceof PlatformNotRunningError)) throw error;
    return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  }
}

export function testKafkaBrokers(): string[] {
  try {
    return loadPlatformConfig().kafkaBrokers;
  } catch (error) {
    if (!(error instanceof PlatformNotRunningError)) throw error;
    return (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  }
}

export interface TestAppOptions {
  importWorker?: boolean;
  /** Relay to a Kafka topic of the test's own (contacts_t_<id>). */
  relay?: boolean;
  leadScoringRules?: string;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const id = randomUUID().replace(/-/g, '').slice(0, 10);
  const databaseUrl = testDatabaseUrl();
  const config: ContactsConfig = {
    name: 'contacts',
    port: 0,
    host: '127.0.0.1',
    databaseUrl,
    kafkaBrokers: options.relay ? testKafkaBrokers() : [],
    eventStoreConnectionString: undefined,
    schema: `contacts_t_${id}`,
    eventStoreSchema: `es_contacts_t_${id}`,
    masterKeys: `test:${randomBytes(32).toString('base64')}`,
    environment: 'development',
    serviceTokenKey: randomBytes(32),
    emailHashKey: randomBytes(32),
    leadScoringRules: options.leadScoringRules,
    relayEnabled: options.relay ?? false,
    topic: `contacts_t_${id}`,
    topicPartitions: 1,
    importWorkerEnabled: options.importWorker ?? false,
  };
  const runtime = await startContactsRuntime(config, quietLog(), {
    poolSize: 12,
    importWorker: { pollIntervalMs: 100 },
  });
  const app = await createContactsApp(runtime);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();

  const tokenFor: TestApp['tokenFor'] = (caller = {}) => {
    const actor = caller.actor ?? 'test';
    const token = signServiceToken(config.serviceTokenKey, {
      subject: actor,
      actor,
      scopes: caller.scopes ?? ['admin'],
      audience: caller.audience ?? 'contacts',
      requestId: randomUUID(),
    });
    return `Bearer ${token}`;
  };
  const send = async (
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
  ) => {
    const withToken =
      'authorization' in headers ? headers : { authorization: tokenFor(), ...headers };
    const response = await fetch(url + path, { method, body, headers: withToken });
    const contentType = response.headers.get('content-type') ?? '';
    const text = await response.text();
    let parsed: unknown = text;
    if (contentType.includes('json') && text.length > 0) parsed = JSON.parse(text);
    return { status: response.status, contentType, body: parsed };
  };

  return {
    url,
    topic: config.topic,
    runtime,
    app,
    tokenFor,
    schema: config.schema,
    eventStoreSchema: config.eventStoreSchema,
    request: (method, path, body, headers = {}) =>
      send(
        method,
        path,
        body === undefined ? undefined : JSON.stringify(body),
        body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ),
    send: (method, path, body, contentType) =>
      send(method, path, body, { 'content-type': contentType }),
    async storedEvents(streamPrefix = '') {
      const { rows } = await admin.query<StoredEventRow>(
        `SELECT stream_id, event_type, data, data::text AS data_text FROM "${config.eventStoreSchema}".events
          WHERE stream_id LIKE $1 ORDER BY global_position`,
        [streamPrefix.replace(/[\\%_]/g, '\\$&') + '%'],
      );
      return rows;
    },
    async eventCount() {
      const { rows } = await admin.query<{ count: string }>(
        `SELECT count(*) FROM "${config.eventStoreSchema}".events`,
      );
      return Number(rows[0].count);
    },
    async query<T>(sql: string, params: unknown[] = []) {
      const { rows } = await admin.query(sql, params);
      return rows as T[];
    },
    async close() {
      await app.close();
      await runtime.stop();
      await admin.query(`DROP SCHEMA IF EXISTS "${config.schema}" CASCADE`);
      await admin.query(`DROP SCHEMA IF EXISTS "${config.eventStoreSchema}" CASCADE`);
      await admin.end();
    },
  };
}

/** The seed's POST /api/contacts example, exactly as written. */
export const SEED_CREATE_CONTACT = {
  email: 'user@example.com',
  firstName: 'Austin',
  lastName: 'Mao',
  properties: {
    company: 'Ceremonia',
    job_title: 'Founder',
    industry: 'SaaS',
  },
  tags: ['webinar-attendee', 'hot-lead'],
  syncToCrms: ['hubspot', 'gohighlevel'],
};

/** A unique address per call, so tests never meet each other's contacts. */
export function uniqueEmail(prefix = 'person'): string {
  return `${prefix}.${randomUUID().slice(0, 8)}@example.com`;
}
