// Helpers for this library's integration tests: where the real broker and
// database are, names no other test uses (so test files run in parallel),
// and clean-up. Not exported from the library.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { loadPlatformConfig, PlatformNotRunningError } from '@engagement/config';
import type { BusLogger, LogFields } from '../bus-logger';

export interface TestInfrastructure {
  databaseUrl: string;
  kafkaBrokers: string[];
}

/** The platform's broker and database; the local defaults when `npm start` has not run. */
export function testInfrastructure(): TestInfrastructure {
  try {
    const { databaseUrl, kafkaBrokers } = loadPlatformConfig();
    return { databaseUrl, kafkaBrokers };
  } catch (error) {
    if (!(error instanceof PlatformNotRunningError)) throw error;
    return {
      databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      kafkaBrokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    };
  }
}

/** A name for a topic, group or schema that no other test run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface CapturedLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields?: LogFields;
}

/** A logger that keeps its lines, for tests that check what was reported. */
export function capturingLogger(): BusLogger & { lines: CapturedLine[] } {
  const lines: CapturedLine[] = [];
  const keep = (level: CapturedLine['level']) => (message: string, fields?: LogFields) => {
    lines.push({ level, message, fields });
  };
  return { lines, info: keep('info'), warn: keep('warn'), error: keep('error') };
}

export async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export async function deleteTopics(brokers: string[], topics: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'bus-tests', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  } finally {
    await admin.disconnect();
  }
}

export interface ReadMessage {
  topic: string;
  partition: number;
  key: string | null;
  value: string;
  headers: Record<string, string>;
  offset: string;
}

/** The topics' messages, read from the start by a plain kafkajs consumer (independent of the Bus) until `until` holds. */
export async function readAllMessages(
  brokers: string[],
  topics: string[],
  until: (received: ReadMessage[]) => boolean,
  timeoutMs = 90_000,
): Promise<ReadMessage[]> {
  const kafka = new Kafka({ clientId: 'bus-tests-reader', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 500 });
  const received: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          if (value !== undefined)
            headers[name] = (Array.isArray(value) ? value[0] : value).toString();
        }
        received.push({
          topic,
          partition,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? '',
          headers,
          offset: message.offset,
        });
      },
    });
    await waitFor(() => until(received), timeoutMs);
    return received;
  } finally {
    await consumer.disconnect();
  }
}
