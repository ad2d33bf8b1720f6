// Measures the event pipeline (issue 3) with the sample pair of
// libs/pipeline-samples:
//   (a) end-to-end lag: append (in this process) → relay (child process) →
//       Kafka → consumer (another child process) → committed in its read
//       model. The consumer reports each event's commit time (its
//       --report-applied lines); the lag is that minus the moment this
//       process called appendToStream, both read from the same machine's
//       clock (performance.timeOrigin + performance.now()). Append → Kafka
//       is until Kafka acknowledged the relay's batch (the relay's
//       --report-sent lines). A plain kafkajs "tap" consumer in this process
//       also notes when each event is first seen on the topic (that adds a
//       fetch of its own). Two phases: a steady BENCH_LAG_RATE (default 500)
//       events/s for BENCH_LAG_SECONDS (default 10), after an uncounted
//       warm-up second; then the writer flat out for BENCH_MAX_EVENTS
//       (default 5,000) events (its lag includes the queue that builds up
//       when the writer outruns the pipeline). Between them, the steady
//       rate again while `projections audit` of a sample projection over
//       BENCH_AUDIT_EVENTS (default 100,000) other events runs over and over
//       (each audit is one long repeatable-read transaction that writes): its
//       lag beside the quiet one shows what an audit costs live delivery.
//   (b) relay throughput: startRelay (in this process) over BENCH_RELAY_EVENTS
//       (default 50,000) pre-written events, until its checkpoint passes the
//       last one; beside it, its two halves alone: the store's readAll pages
//       and a bus producer sending the same messages.
//   (c) projection rebuild: rebuildProjection of sampleContactsProjection over
//       BENCH_REBUILD_EVENTS (default 100,000) events (10 per contact), and the
//       floor: the same events read with readAll, folded in memory into the
//       same sample_contacts rows, and written with multi-row INSERTs
//       (unnest arrays, 5,000 rows a statement) in one transaction.
// Every lag phase also splits each event's lag into stages (wake, read,
// send, fetch, apply; see STAGES) from the relay's --report-sent and the
// consumer's --report-applied lines, and prints their p50/p99.
// Goals (issues 3 and 13), compared, never asserted: p99 lag < 100 ms at 500 events/s
// (append → Kafka p99 < 50 ms), with and without an audit running,
// relay >= 10,000 events/s, rebuild >= 50,000 events/s. Prints a table and
// one JSON line; exits non-zero only on errors. Everything it creates
// (schemas, topics, groups) is removed at the end.
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import {
  KafkajsBus,
  PostgresRelayCheckpoints,
  eventToMessage,
  silentLogger,
  startRelay,
} from '@engagement/bus';
import { loadPlatformConfig } from '@engagement/config';
import { PostgresEventStore, type NewEvent, type RecordedEvent } from '@engagement/event-store';
import {
  nowMs,
  sampleEvent,
  startSampleProcess,
  writeSampleContacts,
  type SampleProcess,
} from '@engagement/pipeline-samples';
import {
  auditProjection,
  rebuildProjection,
  sampleContactsProjection,
  startProjection,
} from '@engagement/projections';

const LAG_RATE = numberFromEnv('BENCH_LAG_RATE', 500);
const LAG_SECONDS = numberFromEnv('BENCH_LAG_SECONDS', 10);
const MAX_EVENTS = numberFromEnv('BENCH_MAX_EVENTS', 5_000);
const RELAY_EVENTS = numberFromEnv('BENCH_RELAY_EVENTS', 50_000);
const REBUILD_EVENTS = numberFromEnv('BENCH_REBUILD_EVENTS', 100_000);
const AUDIT_EVENTS = numberFromEnv('BENCH_AUDIT_EVENTS', 100_000);
const EVENTS_PER_CONTACT = 10;
const PARTITIONS = 3;
const GOALS = {
  lagP99Ms: 100,
  toKafkaP99Ms: 50,
  relayEventsPerSecond: 10_000,
  rebuildEventsPerSecond: 50_000,
};

const id = randomUUID().replace(/-/g, '').slice(0, 10);
const names = {
  lagStore: `bench_pipe_es_${id}`,
  lagRead: `bench_pipe_rm_${id}`,
  lagPrefix: `benchlag${id}-`,
  lagTopic: `bench-pipeline-lag-${id}`,
  lagGroup: `bench-pipeline-lag-${id}`,
  bulkStore: `bench_pipe_bulk_${id}`,
  bulkPrefix: `benchbulk${id}-`,
  relayTopic: `bench-pipeline-relay-${id}`,
  producerTopic: `bench-pipeline-producer-${id}`,
  rebuildRead: `bench_pipe_rebuild_${id}`,
  auditStore: `bench_pipe_audit_es_${id}`,
  auditRead: `bench_pipe_audit_rm_${id}`,
  auditPrefix: `benchaudit${id}-`,
  floor: `bench_pipe_floor_${id}`,
};

const { databaseUrl, kafkaBrokers } = loadPlatformConfig();

// ---------------------------------------------------------------- (a) lag

interface LagFigures {
  events: number;
  seconds: number;
  writeRate: number;
  deliveredRate: number;
  lagMs: Percentiles;
  /** Append called → the batch holding it acknowledged by Kafka (acks=all), from the relay's reports. */
  toKafkaAckedMs: Percentiles;
  /** Append called → first seen by the tap, a consumer of its own (adds a fetch). */
  toKafkaMs: Percentiles;
  kafkaToReadModelMs: Percentiles;
  /** Where the lag goes, stage by stage (each event's own times; see STAGES). */
  stages: Record<Stage, Percentiles>;
}

/**
 * The stages of an event's way, from the relay's and the consumer's reports:
 * wake   append called → the relay's store read that returned it began
 *        (the append's commit, NOTIFY, the relay busy with the batch before,
 *        waiting for an older append in flight, a poll);
 * read   that read (read_all);
 * send   read done → Kafka acknowledged the batch (produce, acks=all);
 * fetch  acknowledged → the consumer's handler got it (kafkajs fetch);
 * apply  handler → committed in the read model (one transaction per batch).
 */
const STAGES = ['wake', 'read', 'send', 'fetch', 'apply'] as const;
type Stage = (typeof STAGES)[number];

interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

interface AuditLoad {
  /** Audits finished while the load ran; the one running at stop() is waited for. */
  stop(): Promise<{ audits: number; eventsPerAudit: number; secondsPerAudit: number }>;
}

/**
 * Prefills AUDIT_EVENTS events, runs the sample projection over them to the
 * end, then audits it again and again (auditProjection: one repeatable-read
 * transaction that rebuilds and compares) until stopped.
 */
async function startAuditLoad(pool: Pool): Promise<AuditLoad> {
  const store = await PostgresEventStore.connect({
    connectionString: databaseUrl,
    schema: names.auditStore,
  });
  const last = await prefill(
    store,
    names.auditPrefix,
    Math.ceil(AUDIT_EVENTS / EVENTS_PER_CONTACT),
  );
  await store.connectionPool.query(`ANALYZE ${names.auditStore}.events`);
  const projection = sampleContactsProjection({
    schema: names.auditRead,
    streamPrefix: names.auditPrefix,
    name: 'bench-audit',
  });
  const live = await startProjection({ store, pool, projection });
  await live.waitForPosition(last, 600_000);
  await live.stop();
  let stopping = false;
  let audits = 0;
  let eventsPerAudit = 0;
  let auditSeconds = 0;
  let started!: () => void;
  const firstStarted = new Promise<void>((resolve) => (started = resolve));
  const quiet = () => ({ update: () => undefined, finish: () => undefined });
  const loop = (async () => {
    while (!stopping) {
      const t0 = nowMs();
      const audit = auditProjection({ store, pool, progress: quiet }, projection);
      started();
      const report = await audit;
      audits++;
      eventsPerAudit = report.rebuild.eventsRead;
      auditSeconds += (nowMs() - t0) / 1000;
    }
  })();
  await firstStarted;
  await new Promise((resolve) => setTimeout(resolve, 500)); // well inside the first audit's transaction
  return {
    stop: async () => {
      stopping = true;
      await loop;
      await store.close();
      return { audits, eventsPerAudit, secondsPerAudit: auditSeconds / Math.max(audits, 1) };
    },
  };
}

async function benchLag(pool: Pool): Promise<{
  steady: LagFigures;
  audited: LagFigures;
  audit: { audits: number; eventsPerAudit: number; secondsPerAudit: number };
  max: LagFigures;
}> {
  const appended = new Map<string, number>(); // event id -> when appendToStream was called
  const applied = new Map<string, number>(); // event id -> consumer's commit time
  const onKafka = new Map<string, number>(); // event id -> first seen by the tap
  const relayed = new Map<string, { readAt: number; readMs: number; ackedAt: number }>();
  const received = new Map<string, number>(); // event id -> handed to the consumer's handler

  const processes: SampleProcess[] = [];
  const store = await PostgresEventStore.connect({
    connectionString: databaseUrl,
    schema: names.lagStore,
    poolSize: 16, // the flat-out phase keeps 16 appends in flight
  });
  const tap = await startTap(names.lagTopic, onKafka);
  try {
    const relay = startSampleProcess('relay', {
      schema: names.lagStore,
      'stream-prefix': names.lagPrefix,
      topic: names.lagTopic,
      partitions: PARTITIONS,
      'report-sent': 1,
    });
    processes.push(relay);
    relay.onReport((line) => {
      if (!Array.isArray(line.sent)) return;
      const times = {
        readAt: Number(line.readAt),
        readMs: Number(line.readMs),
        ackedAt: Number(line.ackedAt),
      };
      for (const eventId of line.sent as string[])
        if (!relayed.has(eventId)) relayed.set(eventId, times);
    });
    await relay.ready;
    const consumer = startSampleProcess('consumer', {
      schema: names.lagRead,
      'stream-prefix': names.lagPrefix,
      topic: names.lagTopic,
      group: names.lagGroup,
      'report-applied': 1,
      // Its rows are per stream: the partitions' batches are applied side by side.
      'partitions-concurrently': PARTITIONS,
    });
    processes.push(consumer);
    consumer.onReport((line) => {
      if (typeof line.applied === 'string' && typeof line.at === 'number') {
        applied.set(line.applied, line.at);
        if (typeof line.receivedAt === 'number') received.set(line.applied, line.receivedAt);
      }
    });
    await consumer.ready;
    await tap.ready();

    const stagesOf = (ids: string[]): Record<Stage, Percentiles> => {
      const traced = ids.filter((i) => relayed.has(i) && received.has(i));
      const stage = (
        f: (i: string, r: { readAt: number; readMs: number; ackedAt: number }) => number,
      ) => percentiles(traced.map((i) => f(i, relayed.get(i)!)));
      return {
        wake: stage((i, r) => r.readAt - appended.get(i)!),
        read: stage((_, r) => r.readMs),
        send: stage((_, r) => r.ackedAt - r.readAt - r.readMs),
        fetch: stage((i, r) => received.get(i)! - r.ackedAt),
        apply: stage((i) => applied.get(i)! - received.get(i)!),
      };
    };

    let phase = 0;
    const runPhase = async (label: string, count: number, rate: number, concurrency: number) => {
      const ids: string[] = [];
      const started = nowMs();
      await writeSampleContacts(
        store,
        {
          streamPrefix: `${names.lagPrefix}${phase++}-`,
          count,
          contacts: 100,
          ratePerSecond: rate,
          concurrency,
        },
        {
          onAppended: ({ event, startedAt }) => {
            appended.set(event.id, startedAt);
            ids.push(event.id);
          },
        },
      );
      const writeSeconds = (nowMs() - started) / 1000;
      await waitUntil(
        `${label}: every event in the read model`,
        () => ids.every((i) => applied.has(i)),
        180_000,
      );
      const lastApplied = Math.max(...ids.map((i) => applied.get(i)!));
      const figures: LagFigures = {
        events: ids.length,
        seconds: writeSeconds,
        writeRate: ids.length / writeSeconds,
        deliveredRate: ids.length / ((lastApplied - started) / 1000),
        lagMs: percentiles(ids.map((i) => applied.get(i)! - appended.get(i)!)),
        toKafkaAckedMs: percentiles(
          ids.filter((i) => relayed.has(i)).map((i) => relayed.get(i)!.ackedAt - appended.get(i)!),
        ),
        toKafkaMs: percentiles(
          ids.filter((i) => onKafka.has(i)).map((i) => onKafka.get(i)! - appended.get(i)!),
        ),
        kafkaToReadModelMs: percentiles(
          ids.filter((i) => onKafka.has(i)).map((i) => applied.get(i)! - onKafka.get(i)!),
        ),
        stages: stagesOf(ids),
      };
      log(
        `${label}: ${figures.events} events, written at ${fmt(figures.writeRate)}/s, delivered at ${fmt(figures.deliveredRate)}/s; ` +
          `lag p50 ${ms(figures.lagMs.p50)} p95 ${ms(figures.lagMs.p95)} p99 ${ms(figures.lagMs.p99)} max ${ms(figures.lagMs.max)} ` +
          `(to Kafka acknowledged p50 ${ms(figures.toKafkaAckedMs.p50)} p99 ${ms(figures.toKafkaAckedMs.p99)}; ` +
          `seen by the tap p50 ${ms(figures.toKafkaMs.p50)} p99 ${ms(figures.toKafkaMs.p99)}; tap to read model p50 ${ms(figures.kafkaToReadModelMs.p50)} p99 ${ms(figures.kafkaToReadModelMs.p99)}); ` +
          `stages p50/p99: ${stagesText(figures.stages)}`,
      );
      return figures;
    };

    await runPhase('lag warm-up (not counted)', LAG_RATE, LAG_RATE, 4);
    const steady = await runPhase(
      `lag at ${LAG_RATE} events/s`,
      Math.round(LAG_RATE * LAG_SECONDS),
      LAG_RATE,
      4,
    );
    log(`audit load: prefilling ${AUDIT_EVENTS} events and projecting them...`);
    const load = await startAuditLoad(pool);
    let audited: LagFigures;
    let audit: Awaited<ReturnType<AuditLoad['stop']>>;
    try {
      audited = await runPhase(
        `lag at ${LAG_RATE} events/s with an audit running`,
        Math.round(LAG_RATE * LAG_SECONDS),
        LAG_RATE,
        4,
      );
    } finally {
      audit = await load.stop();
    }
    log(
      `audit load: ${audit.audits} audits of ${audit.eventsPerAudit} events, ${audit.secondsPerAudit.toFixed(1)} s each`,
    );
    const max = await runPhase('lag at the maximum rate', MAX_EVENTS, 0, 16);
    return { steady, audited, audit, max };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await tap.stop();
    await store.close();
  }
}

/** A plain kafkajs consumer of the topic, from its end, noting when each event id is first seen. */
async function startTap(topic: string, seen: Map<string, number>) {
  const kafka = new Kafka({
    clientId: 'bench-pipeline-tap',
    brokers: kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `${topic}-tap`, maxWaitTimeInMs: 100 });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  return {
    ready: async () => {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        // It only watches: a commit after every batch would delay its next fetch.
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const at = nowMs();
          for (const message of batch.messages) {
            const eventId = message.headers?.['event-id']?.toString();
            if (eventId && !seen.has(eventId)) seen.set(eventId, at);
          }
        },
      });
      await waitUntil('the tap to join its group', () => joined, 60_000);
    },
    stop: () => consumer.disconnect(),
  };
}

// ---------------------------------------------------------------- bulk data

/**
 * Writes `contacts` contacts of EVENTS_PER_CONTACT events each, one append
 * per contact (created + renames), 8 appends in flight. Returns the last position.
 */
async function prefill(
  store: PostgresEventStore,
  prefix: string,
  contacts: number,
): Promise<bigint> {
  let last = -1n;
  let next = 0;
  const worker = async () => {
    while (next < contacts) {
      const c = next++;
      const events: NewEvent[] = [
        sampleEvent('SampleContactCreated', { email: `c${c}@example.com`, name: `Contact ${c}` }),
      ];
      for (let r = 1; r < EVENTS_PER_CONTACT; r++)
        events.push(sampleEvent('SampleContactRenamed', { name: `Contact ${c} v${r}` }));
      const { position } = await store.appendToStream(`${prefix}${randomUUID()}`, events, {
        expectedRevision: 'no_stream',
      });
      if (position > last) last = position;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return last;
}

// ---------------------------------------------------------------- (b) relay

interface RelayFigures {
  events: number;
  eventsPerSecond: number;
  readOnlyEventsPerSecond: number;
  produceOnlyEventsPerSecond: number;
  batchSize: number;
}

async function benchRelay(
  store: PostgresEventStore,
  pool: Pool,
  prefix: string,
  lastPosition: bigint,
  events: number,
): Promise<RelayFigures> {
  const bus = new KafkajsBus({
    brokers: kafkaBrokers,
    clientId: 'bench-pipeline',
    logger: silentLogger,
  });
  try {
    await bus.ensureTopics([
      { topic: names.relayTopic, partitions: PARTITIONS },
      { topic: names.producerTopic, partitions: PARTITIONS },
    ]);
    const batchSize = 500; // startRelay's default
    const started = nowMs();
    const relay = startRelay({
      store,
      bus,
      topic: names.relayTopic,
      filter: { streamPrefixes: [prefix] },
      checkpoints: new PostgresRelayCheckpoints(pool, names.bulkStore),
      name: 'bench-relay',
      logger: silentLogger,
    });
    await waitUntil(
      'the relay to pass the last event',
      () => (relay.checkpoint ?? -1n) >= lastPosition,
      300_000,
    );
    const seconds = (nowMs() - started) / 1000;
    await relay.stop();
    const onTopic = await topicMessageCount(names.relayTopic);
    if (onTopic < events)
      throw new Error(`relay: ${onTopic} messages on the topic, ${events} events written`);
    const eventsPerSecond = events / seconds;
    log(
      `relay: ${events} events to Kafka in ${seconds.toFixed(2)} s: ${fmt(eventsPerSecond)} events/s (batches of ${batchSize})`,
    );

    // Its halves alone: reading the store, and producing the same messages.
    const read: RecordedEvent[][] = [];
    const readStarted = nowMs();
    for (let after: bigint | undefined; ;) {
      const page = await store.readAll({
        after,
        maxCount: batchSize,
        filter: { streamPrefixes: [prefix] },
      });
      if (page.events.length > 0) read.push(page.events);
      after = page.checkpoint;
      if (page.events.length < batchSize && page.isEnd) break;
    }
    const readOnly = events / ((nowMs() - readStarted) / 1000);
    const producer = bus.producer();
    const produceStarted = nowMs();
    for (const page of read) await producer.send(names.producerTopic, page.map(eventToMessage));
    const produceOnly = events / ((nowMs() - produceStarted) / 1000);
    await producer.close();
    log(
      `relay halves: store readAll pages of ${batchSize}: ${fmt(readOnly)} events/s; ` +
        `bus producer sends of ${batchSize} (acks all, idempotent): ${fmt(produceOnly)} events/s`,
    );
    return {
      events,
      eventsPerSecond,
      readOnlyEventsPerSecond: readOnly,
      produceOnlyEventsPerSecond: produceOnly,
      batchSize,
    };
  } finally {
    await bus.close();
  }
}

async function topicMessageCount(topic: string): Promise<number> {
  const admin = new Kafka({
    clientId: 'bench-pipeline',
    brokers: kafkaBrokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

// ---------------------------------------------------------------- (c) rebuild

interface RebuildFigures {
  events: number;
  rows: number;
  eventsPerSecond: number;
  floorEventsPerSecond: number;
  floorReadSeconds: number;
  floorInsertSeconds: number;
  rowsIdentical: boolean;
}

async function benchRebuild(
  store: PostgresEventStore,
  pool: Pool,
  prefix: string,
  events: number,
): Promise<RebuildFigures> {
  const projection = sampleContactsProjection({ schema: names.rebuildRead, streamPrefix: prefix });
  const summary = await rebuildProjection({ store, pool, progress: quietProgress }, projection);
  if (summary.eventsRead !== events)
    throw new Error(`rebuild read ${summary.eventsRead} events, expected ${events}`);
  log(
    `rebuild: ${summary.eventsRead} events, ${summary.rowsWritten} rows in ${summary.seconds.toFixed(2)} s: ` +
      `${fmt(summary.eventsPerSecond)} events/s`,
  );

  // The floor: the same reads, the same rows, written in bulk.
  const started = nowMs();
  const rows = new Map<
    string,
    { email: string; name: string | null; renames: number; last: bigint; at: string }
  >();
  let read = 0;
  for (let after: bigint | undefined; ;) {
    const page = await store.readAll({
      after,
      maxCount: 5_000,
      filter: { streamPrefixes: [prefix] },
    });
    for (const e of page.events) {
      read++;
      if (e.type === 'SampleContactCreated') {
        if (!rows.has(e.streamId))
          rows.set(e.streamId, {
            email: String(e.data.email),
            name: typeof e.data.name === 'string' ? e.data.name : null,
            renames: 0,
            last: e.globalPosition,
            at: e.metadata.occurredAt,
          });
      } else if (e.type === 'SampleContactRenamed') {
        const row = rows.get(e.streamId);
        if (row)
          Object.assign(row, {
            name: String(e.data.name),
            renames: row.renames + 1,
            last: e.globalPosition,
            at: e.metadata.occurredAt,
          });
      }
    }
    after = page.checkpoint;
    if (page.events.length < 5_000 && page.isEnd) break;
  }
  const readDone = nowMs();
  const client = await pool.connect();
  try {
    await client.query(`CREATE SCHEMA ${names.floor}`);
    await client.query(`CREATE TABLE ${names.floor}.sample_contacts (
      id text PRIMARY KEY, email text NOT NULL, name text, renames integer NOT NULL DEFAULT 0,
      last_position bigint NOT NULL, updated_at timestamptz NOT NULL)`);
    const insertStarted = nowMs();
    await client.query('BEGIN');
    const all = [...rows.entries()];
    for (let i = 0; i < all.length; i += 5_000) {
      const part = all.slice(i, i + 5_000);
      await client.query(
        `INSERT INTO ${names.floor}.sample_contacts (id, email, name, renames, last_position, updated_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::timestamptz[])`,
        [
          part.map(([k]) => k),
          part.map(([, r]) => r.email),
          part.map(([, r]) => r.name),
          part.map(([, r]) => r.renames),
          part.map(([, r]) => r.last.toString()),
          part.map(([, r]) => r.at),
        ],
      );
    }
    await client.query('COMMIT');
    const done = nowMs();
    const { rows: diff } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${names.floor}.sample_contacts f
         FULL JOIN ${summary.schema}.sample_contacts r ON f.id = r.id
        WHERE to_jsonb(f) IS DISTINCT FROM to_jsonb(r)`,
    );
    const floor = {
      eventsPerSecond: read / ((done - started) / 1000),
      readSeconds: (readDone - started) / 1000,
      insertSeconds: (done - insertStarted) / 1000,
    };
    log(
      `rebuild floor (plain pg): ${read} events read in ${floor.readSeconds.toFixed(2)} s, ${rows.size} rows inserted in ` +
        `${floor.insertSeconds.toFixed(2)} s: ${fmt(floor.eventsPerSecond)} events/s; rows identical to the rebuild: ${diff[0].n === 0}`,
    );
    return {
      events,
      rows: summary.rowsWritten,
      eventsPerSecond: summary.eventsPerSecond,
      floorEventsPerSecond: floor.eventsPerSecond,
      floorReadSeconds: floor.readSeconds,
      floorInsertSeconds: floor.insertSeconds,
      rowsIdentical: diff[0].n === 0,
    };
  } finally {
    client.release();
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  log(
    `PostgreSQL ${redact(databaseUrl)}, Kafka ${kafkaBrokers.join(',')}; run id ${id}; ${cpus().length} cores, load average ${loadText()}`,
  );
  const pool = new Pool({ connectionString: databaseUrl, max: 4 });
  pool.on('error', () => undefined);
  try {
    const lag = await benchLag(pool);

    const store = await PostgresEventStore.connect({
      connectionString: databaseUrl,
      schema: names.bulkStore,
    });
    let relay: RelayFigures;
    let rebuild: RebuildFigures;
    try {
      const relayContacts = Math.ceil(RELAY_EVENTS / EVENTS_PER_CONTACT);
      const rebuildContacts = Math.max(
        0,
        Math.ceil(REBUILD_EVENTS / EVENTS_PER_CONTACT) - relayContacts,
      );
      const prefillStarted = nowMs();
      // Relayed: `<prefix>r…`; the rebuild reads those and `<prefix>x…`, 100,000 in all.
      const relayLast = await prefill(store, `${names.bulkPrefix}r`, relayContacts);
      await prefill(store, `${names.bulkPrefix}x`, rebuildContacts);
      await store.connectionPool.query(`ANALYZE ${names.bulkStore}.events`);
      log(
        `prefilled ${(relayContacts + rebuildContacts) * EVENTS_PER_CONTACT} events in ${((nowMs() - prefillStarted) / 1000).toFixed(1)} s`,
      );
      relay = await benchRelay(
        store,
        pool,
        `${names.bulkPrefix}r`,
        relayLast,
        relayContacts * EVENTS_PER_CONTACT,
      );
      rebuild = await benchRebuild(
        store,
        pool,
        names.bulkPrefix,
        (relayContacts + rebuildContacts) * EVENTS_PER_CONTACT,
      );
    } finally {
      await store.close();
    }
    report(lag, relay, rebuild);
  } finally {
    await cleanUp(pool);
    await pool.end();
  }
}

function report(
  lag: Awaited<ReturnType<typeof benchLag>>,
  relay: RelayFigures,
  rebuild: RebuildFigures,
): void {
  const rows: [string, string, string, string][] = [
    [
      `end-to-end lag p99 at ${LAG_RATE} events/s`,
      `< ${GOALS.lagP99Ms} ms`,
      ms(lag.steady.lagMs.p99),
      lag.steady.lagMs.p99 < GOALS.lagP99Ms ? 'met' : 'MISSED',
    ],
    [
      `... with an audit running`,
      `< ${GOALS.lagP99Ms} ms`,
      ms(lag.audited.lagMs.p99),
      lag.audited.lagMs.p99 < GOALS.lagP99Ms ? 'met' : 'MISSED',
    ],
    [
      `append → Kafka (acknowledged) p99 at ${LAG_RATE} events/s`,
      `< ${GOALS.toKafkaP99Ms} ms`,
      ms(lag.steady.toKafkaAckedMs.p99),
      lag.steady.toKafkaAckedMs.p99 < GOALS.toKafkaP99Ms ? 'met' : 'MISSED',
    ],
    [
      `... with an audit running`,
      `< ${GOALS.toKafkaP99Ms} ms`,
      ms(lag.audited.toKafkaAckedMs.p99),
      lag.audited.toKafkaAckedMs.p99 < GOALS.toKafkaP99Ms ? 'met' : 'MISSED',
    ],
    [
      `append → seen on Kafka by the tap p99 (one fetch more)`,
      `-`,
      ms(lag.steady.toKafkaMs.p99),
      '',
    ],
    [
      'relay throughput',
      `>= ${fmt(GOALS.relayEventsPerSecond)} events/s`,
      `${fmt(relay.eventsPerSecond)} events/s`,
      relay.eventsPerSecond >= GOALS.relayEventsPerSecond ? 'met' : 'MISSED',
    ],
    [
      'projection rebuild',
      `>= ${fmt(GOALS.rebuildEventsPerSecond)} events/s`,
      `${fmt(rebuild.eventsPerSecond)} events/s`,
      rebuild.eventsPerSecond >= GOALS.rebuildEventsPerSecond ? 'met' : 'MISSED',
    ],
  ];
  const header: [string, string, string, string] = ['measure', 'goal', 'measured', ''];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    console.log(cells.map((cell, c) => cell.padEnd(widths[c])).join('  '));
  const lagLine = (label: string, f: LagFigures) =>
    `${label}: ${f.events} events written at ${fmt(f.writeRate)}/s, delivered at ${fmt(f.deliveredRate)}/s; ` +
    `append → read model p50 ${ms(f.lagMs.p50)}, p95 ${ms(f.lagMs.p95)}, p99 ${ms(f.lagMs.p99)}, max ${ms(f.lagMs.max)}; ` +
    `append → Kafka acknowledged p50 ${ms(f.toKafkaAckedMs.p50)}, p99 ${ms(f.toKafkaAckedMs.p99)}; ` +
    `append → seen by the tap p50 ${ms(f.toKafkaMs.p50)}, p99 ${ms(f.toKafkaMs.p99)}; seen by the tap → read model p50 ${ms(f.kafkaToReadModelMs.p50)}, p99 ${ms(f.kafkaToReadModelMs.p99)}` +
    `; stages p50/p99: ${stagesText(f.stages)}` +
    (f.deliveredRate < 0.95 * f.writeRate
      ? ' — the pipeline did not keep up: this lag is mostly the queue growing'
      : '');

  console.log('');
  console.log(
    `Pipeline benchmark (goals of issue 3; compared, not asserted); ${cpus().length} cores, load average now ${loadText()}`,
  );
  line(header);
  line(widths.map((w) => '-'.repeat(w)));
  rows.forEach(line);
  console.log('');
  console.log(lagLine(`- lag, steady ${LAG_RATE} events/s`, lag.steady));
  console.log(lagLine(`- lag, steady ${LAG_RATE} events/s, audit running`, lag.audited));
  console.log(
    `- audit load: ${lag.audit.audits} audits of ${lag.audit.eventsPerAudit} events, ${lag.audit.secondsPerAudit.toFixed(1)} s each, back to back during that phase`,
  );
  console.log(lagLine('- lag, writer flat out', lag.max));
  console.log(
    `- relay: ${relay.events} events; its halves alone: store readAll ${fmt(relay.readOnlyEventsPerSecond)} events/s, ` +
      `bus producer ${fmt(relay.produceOnlyEventsPerSecond)} events/s (batches of ${relay.batchSize})`,
  );
  console.log(
    `- rebuild: ${rebuild.events} events into ${rebuild.rows} rows: ${fmt(rebuild.eventsPerSecond)} events/s; ` +
      `plain pg floor (read + fold + multi-row INSERT): ${fmt(rebuild.floorEventsPerSecond)} events/s ` +
      `(read ${rebuild.floorReadSeconds.toFixed(2)} s, insert ${rebuild.floorInsertSeconds.toFixed(2)} s); same rows: ${rebuild.rowsIdentical}`,
  );
  console.log(
    JSON.stringify({
      benchmark: 'pipeline',
      at: new Date().toISOString(),
      settings: {
        lagRate: LAG_RATE,
        lagSeconds: LAG_SECONDS,
        maxEvents: MAX_EVENTS,
        relayEvents: RELAY_EVENTS,
        rebuildEvents: REBUILD_EVENTS,
        auditEvents: AUDIT_EVENTS,
        partitions: PARTITIONS,
      },
      machine: {
        cores: cpus().length,
        loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
      },
      goals: GOALS,
      lag: {
        steady: roundAll(lag.steady),
        withAudit: roundAll(lag.audited),
        audit: roundAll(lag.audit),
        max: roundAll(lag.max),
      },
      relay: roundAll(relay),
      rebuild: roundAll(rebuild),
      met: {
        lag: lag.steady.lagMs.p99 < GOALS.lagP99Ms,
        lagWithAudit: lag.audited.lagMs.p99 < GOALS.lagP99Ms,
        toKafka: lag.steady.toKafkaAckedMs.p99 < GOALS.toKafkaP99Ms,
        relay: relay.eventsPerSecond >= GOALS.relayEventsPerSecond,
        rebuild: rebuild.eventsPerSecond >= GOALS.rebuildEventsPerSecond,
      },
    }),
  );
}

async function cleanUp(pool: Pool): Promise<void> {
  for (const schema of [
    names.auditStore,
    names.auditRead,
    `${names.auditRead}_audit`,
    names.lagStore,
    names.lagRead,
    names.bulkStore,
    names.rebuildRead,
    `${names.rebuildRead}_rebuild`,
    names.floor,
  ])
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(warn);
  const admin = new Kafka({
    clientId: 'bench-pipeline',
    brokers: kafkaBrokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = [
      names.lagTopic,
      `${names.lagTopic}.dlq`,
      names.relayTopic,
      names.producerTopic,
    ].filter((t) => existing.has(t));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(warn);
    await admin.deleteGroups([names.lagGroup, `${names.lagTopic}-tap`]).catch(warn);
  } finally {
    await admin.disconnect();
  }
}

// ---------------------------------------------------------------- helpers

const quietProgress = () => ({ update: () => undefined, finish: () => undefined });

function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { p50: NaN, p95: NaN, p99: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank: the smallest value with at least p% of the values at or below it.
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  return { p50: at(50), p95: at(95), p99: at(99), max: sorted[sorted.length - 1] };
}

async function waitUntil(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number; got "${raw}"`);
  return value;
}

function roundAll<T>(value: T): T {
  if (typeof value === 'number')
    return (Number.isInteger(value) ? value : Math.round(value * 10) / 10) as T;
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundAll(v)])) as T;
  return value;
}

function loadText(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function stagesText(stages: Record<Stage, Percentiles>): string {
  return STAGES.map(
    (stage) => `${stage} ${stages[stage].p50.toFixed(1)}/${stages[stage].p99.toFixed(1)} ms`,
  ).join(', ');
}

function ms(n: number): string {
  return `${n.toFixed(1)} ms`;
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

function log(message: string): void {
  console.log(`[pipeline bench] ${message}`);
}

function warn(error: unknown): void {
  console.error('[pipeline bench] cleanup:', error);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('[pipeline bench] failed:', error);
    process.exit(1);
  },
);
