// Test support for messaging's integration tests: the whole service
// (runtime and HTTP app) in-process on a random port, against the real
// PostgreSQL, in schemas of its own (read model and event store), with an
// SMTP server of its own (smtp-server) that keeps what it receives, and
// contacts put straight into the replica. close() stops it all and drops
// the schemas.
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { loadPlatformConfig } from '@engagement/config';
import { signServiceToken } from '@engagement/service-auth';
import { Pool } from 'pg';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { createMessagingApp } from '../app';
import type { MessagingConfig } from '../config';
import { parseQuietHours } from '../rules/send-rules';
import { parseReminderOffsets } from '../reminders/reminder-schedule';
import {
  startMessagingRuntime,
  type MessagingRuntime,
  type MessagingRuntimeOptions,
} from '../runtime';
import type { Log } from '@engagement/service-runtime';

export const quietLog: Log = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
} as unknown as Log;

export type TestMail = ParsedMail & { envelopeTo: string[] };

export class TestSmtpServer {
  readonly received: TestMail[] = [];
  /** Addresses the server refuses at RCPT TO with 550 (a hard bounce). */
  readonly refuse = new Set<string>();
  /** How long the server takes to accept each message (a slow server). */
  delayMs = 0;
  private server!: SMTPServer;
  port = 0;

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo: (address, _session, callback) => {
        if (this.refuse.has(address.address)) {
          const error = new Error('5.1.1 No such user') as Error & { responseCode: number };
          error.responseCode = 550;
          return callback(error);
        }
        callback();
      },
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then(async (mail) => {
            if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
            return mail;
          })
          .then((mail) => {
            this.received.push(
              Object.assign(mail, { envelopeTo: session.envelope.rcptTo.map((r) => r.address) }),
            );
            callback();
          })
          .catch(callback);
      },
    });
    // A client killed mid-message (the crash tests) resets its connection: smtp-server reports
    // it as an 'error' event, which must not end the test process.
    this.server.on('error', () => undefined);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface TestResponse {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read what they assert
}

export interface TestBed {
  url: string;
  config: MessagingConfig;
  runtime: MessagingRuntime;
  app: INestApplication;
  smtp: TestSmtpServer;
  pool: Pool;
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<TestResponse>;
  /** A contact in messaging's replica, as the contacts topic would have made it. */
  addContact(contact?: Partial<ReplicaContact>): Promise<string>;
  /** Waits until `check` holds (the background worker is asynchronous). */
  eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export type ReplicaContact = {
  contactId: string;
  email: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  status: string;
  consent: Record<string, boolean>;
  timezone: string;
  tags: string[];
  lifecycleStage: string;
  properties: Record<string, string>;
};

export function testConfig(id: string, overrides: Partial<MessagingConfig> = {}): MessagingConfig {
  const platform = loadPlatformConfig();
  return {
    name: 'messaging',
    serviceTokenKey: randomBytes(32),
    port: 0,
    host: '127.0.0.1',
    databaseUrl: platform.databaseUrl,
    kafkaBrokers: platform.kafkaBrokers,
    eventStoreConnectionString: undefined,
    schema: `messaging_t_${id}`,
    eventStoreSchema: `es_messaging_t_${id}`,
    relayEnabled: false,
    topic: `messaging_t_${id}`,
    topicPartitions: 1,
    smtpUrl: 'smtp://127.0.0.1:1?tls=off',
    smtpPool: 2,
    emailFrom: 'Test <test@engagement.local>',
    messageIdDomain: 'test.local',
    twilio: {
      apiBase: 'http://127.0.0.1:1',
      accountSid: 'AC1',
      authToken: 'token',
      smsFrom: '+15005550006',
      whatsappFrom: 'whatsapp:+15005550006',
    },
    publicUrl: 'http://gateway.test/api',
    trackingSecret: randomBytes(32),
    reminderOffsets: parseReminderOffsets('24h,1h'),
    quietHours: parseQuietHours('off'),
    dailyCap: 3,
    maxAttempts: 3,
    retryBaseMs: 50,
    sendConcurrency: 4,
    leaseMs: 60_000,
    contactsTopic: `contacts_t_${id}`,
    eventsTopic: `events_t_${id}`,
    contactsUrl: 'http://127.0.0.1:1',
    workersEnabled: true,
    ...overrides,
  };
}

export async function startTestBed(
  overrides: Partial<MessagingConfig> = {},
  options: MessagingRuntimeOptions = {},
): Promise<TestBed> {
  const id = randomUUID().replace(/-/g, '').slice(0, 10);
  const smtp = new TestSmtpServer();
  await smtp.start();
  const config = testConfig(id, { smtpUrl: `smtp://127.0.0.1:${smtp.port}?tls=off`, ...overrides });
  const runtime = await startMessagingRuntime(config, quietLog, {
    consumeContacts: false,
    consumeEvents: false,
    poolSize: 8,
    // No contacts service here: contacts events come in clear, and nothing is sealed with a
    // contact's key (e2e/src/erasure.e2e.spec.ts runs messaging against the real contacts).
    decrypter: null,
    ...options,
  });
  const app = await createMessagingApp(runtime);
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  const pool = new Pool({ connectionString: config.databaseUrl, max: 3 });

  return {
    url,
    config,
    runtime,
    app,
    smtp,
    pool,
    async request(method, path, body, headers = {}) {
      const response = await fetch(`${url}${path}`, {
        method,
        redirect: 'manual',
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          authorization: `Bearer ${signServiceToken(config.serviceTokenKey, {
            subject: 'apikey:test',
            actor: 'test',
            scopes: ['admin'],
            audience: 'messaging',
            requestId: randomUUID(),
          })}`,
          ...headers,
        },
        body:
          body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, headers: response.headers, body: parsed };
    },
    async addContact(contact = {}) {
      const c: ReplicaContact = {
        contactId: randomUUID(),
        email: `c-${randomUUID().slice(0, 8)}@example.com`,
        phone: null,
        firstName: 'Ann',
        lastName: 'Lee',
        status: 'active',
        consent: { email: true, marketing: true },
        timezone: 'UTC',
        tags: [],
        lifecycleStage: 'lead',
        properties: {},
        ...contact,
      };
      await pool.query(
        `INSERT INTO ${config.schema}.contact_replica
           (contact_id, status, consent, timezone, lifecycle_stage, tags, properties, email, phone, first_name, last_name, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())`,
        [
          c.contactId,
          c.status,
          JSON.stringify(c.consent),
          c.timezone,
          c.lifecycleStage,
          c.tags,
          JSON.stringify(c.properties),
          c.email,
          c.phone,
          c.firstName,
          c.lastName,
        ],
      );
      return c.contactId;
    },
    async eventually(check, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await check();
        if (value) return value as never;
        if (Date.now() > deadline) throw new Error('condition not met in time');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      await app.close();
      await runtime.stop();
      await smtp.close();
      await pool.query(`DROP SCHEMA IF EXISTS ${config.schema} CASCADE`);
      await pool.query(`DROP SCHEMA IF EXISTS ${config.eventStoreSchema} CASCADE`);
      await pool.end();
    },
  };
}
