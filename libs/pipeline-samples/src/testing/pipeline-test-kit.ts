// Helpers for the pipeline's fault tests: a run with names no other test
// uses (schemas, stream prefix, topic, group), the sample processes started
// with those names, the checks (every event on the topic at least once,
// every effect in the read model exactly once), and clean-up. Each test
// creates its own run, so test files can run side by side.
import { randomInt, randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { loadPlatformConfig } from '@engagement/config';
import { PostgresEventStore } from '@engagement/event-store';
import { runProjectionsCli, sampleContactsProjection } from '@engagement/projections';
import { startSampleProcess, type SampleProcess } from '../sample-process';

export interface PipelineRun {
  databaseUrl: string;
  kafkaBrokers: string[];
  /** The writer's event store schema (also holds the relay checkpoint). */
  storeSchema: string;
  /** The consumer's read model schema. */
  readSchema: string;
  streamPrefix: string;
  topic: string;
  group: string;
  projectionName: string;
  /** Direct access to the database for checks (not through any proxy). */
  pool: Pool;
  /** Every process started through this run, to kill what a failed test left behind. */
  processes: SampleProcess[];
}

export function newPipelineRun(label: string): PipelineRun {
  const { databaseUrl, kafkaBrokers } = loadPlatformConfig();
  const id = randomUUID().replace(/-/g, '').slice(0, 10);
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  pool.on('error', () => undefined);
  return {
    databaseUrl,
    kafkaBrokers,
    storeSchema: `pipe_${label}_es_${id}`,
    readSchema: `pipe_${label}_rm_${id}`,
    streamPrefix: `samplecontact${id}-`,
    topic: `pipeline-${label}-${id}`,
    group: `pipeline-${label}-${id}`,
    projectionName: 'sample-contacts',
    pool,
    processes: [],
  };
}

export function startWriter(
  run: PipelineRun,
  plan: { count: number; rate: number; contacts?: number; concurrency?: number },
): SampleProcess {
  return track(
    run,
    startSampleProcess('writer', {
      schema: run.storeSchema,
      'stream-prefix': run.streamPrefix,
      count: plan.count,
      rate: plan.rate,
      contacts: plan.contacts ?? 100,
      concurrency: plan.concurrency ?? 4,
    }),
  );
}

export function startRelay(run: PipelineRun, env: NodeJS.ProcessEnv = {}): SampleProcess {
  return track(
    run,
    startSampleProcess(
      'relay',
      { schema: run.storeSchema, 'stream-prefix': run.streamPrefix, topic: run.topic },
      env,
    ),
  );
}

export function startConsumer(run: PipelineRun, env: NodeJS.ProcessEnv = {}): SampleProcess {
  return track(
    run,
    startSampleProcess(
      'consumer',
      {
        schema: run.readSchema,
        'stream-prefix': run.streamPrefix,
        topic: run.topic,
        group: run.group,
        name: run.projectionName,
        // The broker's minimum: a killed consumer's partitions move on after 6 s, not 30.
        'session-timeout-ms': '6000',
      },
      env,
    ),
  );
}

function track(run: PipelineRun, process: SampleProcess): SampleProcess {
  run.processes.push(process);
  return process;
}

/** The writer's last report: it exits 0 after `{"done": ...}`. */
export async function writerDone(writer: SampleProcess): Promise<{ written: number }> {
  let done: { written: number } | undefined;
  writer.onReport((line) => {
    if ('done' in line) done = { written: Number(line.written) };
  });
  const { code, signal } = await writer.exited;
  if (code !== 0 || !done)
    throw new Error(
      `writer exited (code ${code}, signal ${signal}):\n${writer.logs().slice(-4_000)}`,
    );
  return done;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function randomBetween(minMs: number, maxMs: number): number {
  return randomInt(minMs, maxMs + 1);
}

export async function waitFor(
  what: string,
  condition: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** How many events the consumer's projection has applied (its processed_events rows). */
export async function appliedCount(run: PipelineRun): Promise<number> {
  const exists = await run.pool.query(
    `SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'processed_events'`,
    [run.readSchema],
  );
  if (exists.rowCount === 0) return 0;
  const { rows } = await run.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "${run.readSchema}".processed_events WHERE consumer = $1`,
    [run.projectionName],
  );
  return rows[0].n;
}

/** Waits until `count` events are applied; on timeout the error carries the processes' last logs. */
export async function waitForApplied(
  run: PipelineRun,
  count: number,
  timeoutMs: number,
): Promise<void> {
  try {
    await waitFor(
      `${count} events applied`,
      async () => (await appliedCount(run)) >= count,
      timeoutMs,
    );
  } catch (error) {
    const logs = run.processes
      .slice(-3)
      .map((p) => `--- ${p.kind} (pid ${p.pid}) stderr, last lines:\n${p.logs().slice(-3_000)}`);
    throw new Error(
      `${(error as Error).message} (applied: ${await appliedCount(run)})\n${logs.join('\n')}`,
    );
  }
}

/** Every event id the writer stored, from its event store (the truth the checks compare with). */
export async function storedEventIds(run: PipelineRun): Promise<string[]> {
  const { rows } = await run.pool.query<{ event_id: string }>(
    `SELECT event_id FROM "${run.storeSchema}".events WHERE stream_id LIKE $1`,
    [`${run.streamPrefix}%`],
  );
  return rows.map((r) => r.event_id);
}

/**
 * Reads the topic from the start with a plain kafkajs consumer of its own
 * (independent of the bus) until every expected id was seen; returns how
 * many messages carried each id.
 */
export async function readTopicEventIds(
  run: PipelineRun,
  expected: string[],
  timeoutMs = 90_000,
): Promise<{ copies: Map<string, number>; messages: number }> {
  const kafka = new Kafka({
    clientId: 'pipeline-tests-reader',
    brokers: run.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `${run.group}-reader`, maxWaitTimeInMs: 500 });
  const copies = new Map<string, number>();
  const missing = new Set(expected);
  let messages = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [run.topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          messages++;
          const id = message.headers?.['event-id']?.toString();
          if (!id) continue;
          copies.set(id, (copies.get(id) ?? 0) + 1);
          missing.delete(id);
        }
      },
    });
    await waitFor(`every event on ${run.topic}`, async () => missing.size === 0, timeoutMs).catch(
      (error: Error) => {
        throw new Error(
          `${error.message}: ${missing.size} of ${expected.length} event ids never arrived`,
        );
      },
    );
    return { copies, messages };
  } finally {
    await consumer.disconnect();
  }
}

export interface ReadModelCheck {
  /** Stored events without a processed_events row, and rows without a stored event. */
  unprocessed: number;
  unknownProcessed: number;
  processed: number;
  /** Contacts whose row differs from what their events say (renames, name, last position). */
  wrongContacts: { id: string; expected: unknown; actual: unknown }[];
  contacts: number;
}

/**
 * Compares the read model with the event store: each stored event recorded
 * once in processed_events, and each contact's row equal to the effect of
 * its events applied once: renames = its SampleContactRenamed events, name =
 * the last one's, last_position = its last event's.
 */
export async function checkReadModel(run: PipelineRun): Promise<ReadModelCheck> {
  const es = `"${run.storeSchema}".events`;
  const rm = `"${run.readSchema}"`;
  const prefix = `${run.streamPrefix}%`;
  const { rows: counts } = await run.pool.query<{
    unprocessed: number;
    unknown: number;
    processed: number;
  }>(
    `SELECT
       (SELECT count(*)::int FROM ${es} e WHERE e.stream_id LIKE $1 AND NOT EXISTS
          (SELECT 1 FROM ${rm}.processed_events p WHERE p.consumer = $2 AND p.event_id = e.event_id::text)) AS unprocessed,
       (SELECT count(*)::int FROM ${rm}.processed_events p WHERE p.consumer = $2 AND NOT EXISTS
          (SELECT 1 FROM ${es} e WHERE e.event_id::text = p.event_id)) AS unknown,
       (SELECT count(*)::int FROM ${rm}.processed_events p WHERE p.consumer = $2) AS processed`,
    [prefix, run.projectionName],
  );
  const { rows: expected } = await run.pool.query<{
    id: string;
    renames: number;
    name: string;
    last_position: string;
  }>(
    `SELECT stream_id AS id,
            count(*) FILTER (WHERE event_type = 'SampleContactRenamed')::int AS renames,
            (array_agg(data->>'name' ORDER BY global_position DESC))[1] AS name,
            max(global_position)::text AS last_position
       FROM ${es} WHERE stream_id LIKE $1 GROUP BY stream_id`,
    [prefix],
  );
  const { rows: actual } = await run.pool.query<{
    id: string;
    renames: number;
    name: string;
    last_position: string;
  }>(`SELECT id, renames, name, last_position::text FROM ${rm}.sample_contacts`);
  const byId = new Map(actual.map((row) => [row.id, row]));
  const wrongContacts: ReadModelCheck['wrongContacts'] = [];
  for (const row of expected) {
    const found = byId.get(row.id);
    byId.delete(row.id);
    if (
      !found ||
      found.renames !== row.renames ||
      found.name !== row.name ||
      found.last_position !== row.last_position
    )
      wrongContacts.push({ id: row.id, expected: row, actual: found ?? null });
  }
  for (const extra of byId.values())
    wrongContacts.push({ id: extra.id, expected: null, actual: extra });
  return {
    unprocessed: counts[0].unprocessed,
    unknownProcessed: counts[0].unknown,
    processed: counts[0].processed,
    wrongContacts: wrongContacts.slice(0, 10),
    contacts: actual.length,
  };
}

/** `projections audit <name>` over the consumer's projection: its exit code and output. */
export async function auditReadModel(run: PipelineRun): Promise<{ code: number; output: string }> {
  const store = await PostgresEventStore.connect({
    connectionString: run.databaseUrl,
    schema: run.storeSchema,
    poolSize: 2,
  });
  const lines: string[] = [];
  try {
    const projection = sampleContactsProjection({
      schema: run.readSchema,
      streamPrefix: run.streamPrefix,
      source: 'kafka',
      name: run.projectionName,
    });
    const code = await runProjectionsCli(['audit', run.projectionName], {
      store,
      pool: run.pool,
      projections: [projection],
      out: (line) => lines.push(line),
      progress: () => ({ update: () => undefined, finish: () => undefined }),
    });
    return { code, output: lines.join('\n') };
  } finally {
    await store.close();
  }
}

/** Kills whatever is still running, drops the schemas, deletes the topics and groups. */
export async function cleanUp(run: PipelineRun): Promise<void> {
  // SIGTERM first: a consumer that stops cleanly leaves its group, which can then be deleted.
  await Promise.all(run.processes.map((p) => p.stop(15_000)));
  for (const schema of [
    run.storeSchema,
    run.readSchema,
    `${run.readSchema}_audit`,
    `${run.readSchema}_rebuild`,
  ])
    await run.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await run.pool.end();
  const admin = new Kafka({
    clientId: 'pipeline-tests',
    brokers: run.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = [run.topic, `${run.topic}.dlq`].filter((t) => existing.has(t));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    await admin.deleteGroups([run.group, `${run.group}-reader`]).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}
