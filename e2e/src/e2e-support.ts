// What the e2e specs share: a reader of a Kafka topic from its beginning (a
// consumer group of its own, so it sees everything the platform under test
// published), a client of the gateway with the platform's API key, and
// waiting for something to become true.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { findWorkspaceRoot } from '@engagement/config';
import { KafkajsBus, silentLogger } from '@engagement/bus';
import { fromWireEvent, type RecordedEvent } from '@engagement/event-store';
import { freePort, type PlatformUnderTest } from './platform-under-test';

export { freePort };

export interface TopicReader {
  /** Every message value read so far, as it was on the topic. */
  values: Buffer[];
  /** The values as events. */
  events(): RecordedEvent[];
  stop(): Promise<void>;
}

export async function readTopic(
  brokers: string[],
  topic: string,
  partitions = 3,
): Promise<TopicReader> {
  const bus = new KafkajsBus({ brokers, clientId: 'e2e-reader', logger: silentLogger });
  await bus.ensureTopics([{ topic, partitions }]);
  const values: Buffer[] = [];
  const consumer = await bus.consume({
    groupId: `e2e-reader-${randomUUID()}`,
    topics: [topic],
    fromBeginning: true,
    eachBatch: async (batch) => {
      for (const message of batch.messages) values.push(Buffer.from(message.value));
    },
  });
  return {
    values,
    events: () => values.map((value) => fromWireEvent(value)),
    async stop() {
      await consumer.stop();
      await bus.close();
    },
  };
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read what they assert
  body: any;
}

/** A call through the gateway with the platform's API key (JSON in and out). */
export function gatewayApi(platform: PlatformUnderTest) {
  return async (method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
    const response = await fetch(`${platform.gatewayUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${platform.apiKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const json = (response.headers.get('content-type') ?? '').includes('json');
    return {
      status: response.status,
      headers: response.headers,
      body: text && json ? JSON.parse(text) : text || null,
    };
  };
}

/** The probe's first defined answer; fails after timeoutMs naming what it waited for. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The probe's first truthy answer; a probe that throws has not answered
 * yet. Fails after timeoutMs naming what it waited for, with the tail of
 * the platform's logs where `logs` gives them.
 */
export async function waitForTruthy<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  options: { timeoutMs?: number; logs?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${what}\n${options.logs?.().slice(-6000) ?? ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A call to an emulator's admin API (`/__emulator/...`): JSON, else the text; throws unless 2xx. */
export async function emulatorAdmin<T = Record<string, unknown>>(
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${url}/__emulator${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  try {
    return JSON.parse(text) as T;
  } catch {
    return text as T;
  }
}

/**
 * Starts an emulator of a third party (emulators/<name>) as a process, as
 * `npm start` does, and waits for its health URL. kill() it at the end.
 */
export async function startEmulatorProcess(
  name: string,
  env: Record<string, string>,
  healthUrl: string,
): Promise<ChildProcess> {
  const root = findWorkspaceRoot();
  const child = spawn(
    join(root, 'node_modules', '.bin', 'node'),
    ['-r', '@swc-node/register', join(root, 'emulators', name, 'src', 'main.ts')],
    {
      cwd: root,
      env: { ...process.env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'), ...env },
      stdio: 'ignore',
    },
  );
  await eventually(`the ${name} emulator`, async () =>
    (await fetch(healthUrl)
      .then((r) => r.ok)
      .catch(() => false))
      ? true
      : undefined,
  );
  return child;
}
