// A CRM connector's integration tests run its emulator (emulators/<crm>)
// as a child process on a port of their own, and the connector in the test
// process with its own schema, topics and consumer group; publish() puts
// contacts events on its contacts topic as the contacts service would
// (personal fields in clear: the clear-text reader takes them). What
// differs between connectors is data: the provider's facts, its adapter,
// the emulator's name and port variable, and the headers its API wants.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { eventToMessage, KafkajsBus, type BusProducer } from '@engagement/bus';
import { findWorkspaceRoot } from '@engagement/config';
import {
  clearTextOnlyReader,
  loadConnectorConfig,
  startConnector,
  type CrmAdapter,
  type ProviderFacts,
  type RunningConnector,
} from '@engagement/connector-kit';
import type { JsonObject, RecordedEvent } from '@engagement/event-store';
import { signServiceToken } from '@engagement/service-auth';
import { quietLog } from '@engagement/service-runtime';

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface EmulatorSpec {
  /** The folder under emulators/. */
  name: string;
  /** What the tests call it (in a timeout's message). */
  displayName: string;
  /** The variable the emulator takes its port from. */
  portVariable: string;
  /** What every call to its API carries (authorization, version). */
  apiHeaders: Record<string, string>;
}

/** A CRM emulator's process; each connector's test bed starts its own (a subclass with start()). */
export class EmulatorProcess {
  protected constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly apiHeaders: Record<string, string>,
  ) {}

  protected static async spawn(
    spec: EmulatorSpec,
    port: number,
    env: Record<string, string>,
  ): Promise<{ child: ChildProcess; url: string }> {
    const root = findWorkspaceRoot();
    const child = spawn(
      join(root, 'node_modules', '.bin', 'node'),
      ['-r', '@swc-node/register', join(root, 'emulators', spec.name, 'src', 'main.ts')],
      {
        cwd: root,
        env: {
          ...process.env,
          SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'),
          [spec.portVariable]: String(port),
          ...env,
        },
        stdio: 'ignore',
      },
    );
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      `the ${spec.displayName} emulator`,
      async () => (await fetch(`${url}/health`)).ok,
      60_000,
    );
    return { child, url };
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
      headers: { ...this.apiHeaders, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await response.json()) as T;
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

export async function startConnectorTestBed(options: {
  provider: ProviderFacts;
  adapter: (apiBaseUrl: string) => CrmAdapter;
  emulator: { url: string };
  overrides?: Record<string, string>;
}): Promise<TestBed> {
  const { key } = options.provider;
  const prefix = `CONNECTOR_${key.toUpperCase()}`;
  const id = randomUUID().replace(/-/g, '').slice(0, 10);
  const schema = `connector_${key}_t${id}`;
  const contactsTopic = `contacts.t${id}`;
  const crmTopic = `crm.${key}.t${id}`;
  const env = {
    ...process.env,
    [`${prefix}_SCHEMA`]: schema,
    // Its own event store: the integration stream (integration-<crm>) is one per store.
    EVENT_STORE_SCHEMA: `es_${schema}`,
    [`${prefix}_TOPIC`]: crmTopic,
    [`${prefix}_CONTACTS_TOPIC`]: contactsTopic,
    [`${prefix}_GROUP`]: `connector-${key}-t${id}`,
    [`${prefix}_PORT`]: '0',
    [options.provider.baseUrlEnv]: options.emulator.url,
    ...options.overrides,
  };
  const config = loadConnectorConfig(options.provider, env);
  const connector = await startConnector({
    config,
    adapter: options.adapter(config.apiBaseUrl),
    log: quietLog(`connector-${key}`),
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
      `Bearer ${signServiceToken(config.serviceTokenKey, {
        subject: 'apikey:test',
        scopes,
        audience: config.name,
        requestId: randomUUID(),
      })}`,
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
        metadata: {
          correlationId: randomUUID(),
          causationId: null,
          traceparent: null,
          actor: 'test',
          occurredAt: new Date().toISOString(),
        },
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
