// Test support for connector-gohighlevel (the same shape as connector-hubspot's: services
// share no test code): the GoHighLevel emulator as a child process on a port of our own, the connector in this
// process with its own schema, topics and consumer group, and a way to put
// contacts events on its contacts topic as the contacts service would
// (personal fields in clear: the clear-text reader takes them).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { eventToMessage, KafkajsBus, type BusProducer } from '@engagement/bus';
import { findWorkspaceRoot } from '@engagement/config';
import { clearTextOnlyReader, GOHIGHLEVEL, loadConnectorConfig, startConnector, type RunningConnector } from '@engagement/connector-kit';
import { signServiceToken } from '@engagement/service-auth';
import type { JsonObject, RecordedEvent } from '@engagement/event-store';
import { quietLog } from '@engagement/service-runtime';
import { gohighlevelAdapter } from '../gohighlevel/gohighlevel.adapter';

export const PRIVATE_INTEGRATION_TOKEN = 'pit-emulator-location-0001';
export const LOCATION_ID = 'EmulatorLocation0001';

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class EmulatorProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(port: number, env: Record<string, string> = {}): Promise<EmulatorProcess> {
    const root = findWorkspaceRoot();
    const child = spawn(join(root, 'node_modules', '.bin', 'node'), ['-r', '@swc-node/register', join(root, 'emulators/gohighlevel/src/main.ts')], {
      cwd: root,
      env: { ...process.env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'), GHL_EMULATOR_PORT: String(port), ...env },
      stdio: 'ignore',
    });
    const url = `http://127.0.0.1:${port}`;
    await waitFor('the GoHighLevel emulator', async () => (await fetch(`${url}/health`)).ok, 60_000);
    return new EmulatorProcess(child, url);
  }

  async admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}/__emulator${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  async api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${PRIVATE_INTEGRATION_TOKEN}`, version: '2021-07-28', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await response.json()) as T;
  }

  contacts() {
    return this.admin<{ contacts: Array<{ id: string; email?: string; firstName?: string; companyName?: string; tags: string[]; customFields: Array<{ id: string; value: unknown }> }> }>(
      'GET',
      '/contacts',
    ).then((r) => r.contacts);
  }

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await new Promise((resolve) => this.child.once('exit', resolve));
  }
}

export interface TestBed {
  connector: RunningConnector;
  /** A service token for this connector: admin by default, as the gateway signs for an admin key. */
  token(scopes?: string[]): string;
  url: string;
  schema: string;
  contactsTopic: string;
  crmTopic: string;
  publish(streamId: string, type: string, data: JsonObject): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestBed(emulator: EmulatorProcess, overrides: Record<string, string> = {}): Promise<TestBed> {
  const id = randomUUID().replace(/-/g, '').slice(0, 10);
  const schema = `connector_gohighlevel_t${id}`;
  const contactsTopic = `contacts.t${id}`;
  const crmTopic = `crm.gohighlevel.t${id}`;
  const env = {
    ...process.env,
    CONNECTOR_GOHIGHLEVEL_SCHEMA: schema,
    // Its own event store: the integration stream (integration-gohighlevel) is one per store.
    EVENT_STORE_SCHEMA: `es_${schema}`,
    CONNECTOR_GOHIGHLEVEL_TOPIC: crmTopic,
    CONNECTOR_GOHIGHLEVEL_CONTACTS_TOPIC: contactsTopic,
    CONNECTOR_GOHIGHLEVEL_GROUP: `connector-gohighlevel-t${id}`,
    CONNECTOR_GOHIGHLEVEL_PORT: '0',
    GHL_API_BASE: emulator.url,
    ...overrides,
  };
  const config = loadConnectorConfig(GOHIGHLEVEL, env);
  const connector = await startConnector({
    config,
    adapter: gohighlevelAdapter(config.apiBaseUrl),
    log: quietLog('connector-gohighlevel'),
    reader: clearTextOnlyReader,
    env,
    pusher: { idleMs: 100, settleMs: 50 },
  });
  await connector.app.listen(0, '127.0.0.1');
  const address = connector.app.getHttpServer().address() as { port: number };
  const bus = new KafkajsBus({ brokers: config.kafkaBrokers, clientId: `test-${id}` });
  await bus.ensureTopics([{ topic: contactsTopic, partitions: 3 }]);
  const producer: BusProducer = bus.producer();
  const revisions = new Map<string, bigint>();
  let position = 0n;
  return {
    connector,
    token: (scopes = ['admin']) =>
      `Bearer ${signServiceToken(config.serviceTokenKey, { subject: 'apikey:test', scopes, audience: config.name, requestId: randomUUID() })}`,
    url: `http://127.0.0.1:${address.port}`,
    schema,
    contactsTopic,
    crmTopic,
    async publish(streamId, type, data) {
      const revision = revisions.get(streamId) ?? 0n;
      revisions.set(streamId, revision + 1n);
      const event: RecordedEvent = {
        id: randomUUID(),
        type,
        schemaVersion: 1,
        data,
        metadata: { correlationId: randomUUID(), causationId: null, traceparent: null, actor: 'test', occurredAt: new Date().toISOString() },
        streamId,
        revision,
        globalPosition: position++,
      };
      await producer.send(contactsTopic, [eventToMessage(event)]);
      return event.id;
    },
    async stop() {
      await producer.close();
      await bus.close();
      await connector.stop();
      const { Pool } = await import('pg');
      const pool = new Pool({ connectionString: config.databaseUrl });
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pool.query(`DROP SCHEMA IF EXISTS es_${schema} CASCADE`);
      await pool.end();
    },
  };
}

export async function http<T = unknown>(
  method: string,
  url: string,
  body?: unknown,
  authorization?: string,
): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(authorization ? { authorization } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}
