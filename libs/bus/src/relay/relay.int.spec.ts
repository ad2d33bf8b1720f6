import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { fromWireEvent, PostgresEventStore, type NewEvent } from '@engagement/event-store';
import { silentLogger } from '../bus-logger';
import { KafkajsBus } from '../kafka/kafkajs-bus';
import {
  deleteTopics,
  dropSchema,
  capturingLogger,
  readAllMessages,
  type ReadMessage,
  testInfrastructure,
  uniqueName,
  waitFor,
} from '../testing/test-infrastructure';
import { startRelay, type Relay } from './relay';
import { PostgresRelayCheckpoints, type RelayCheckpoints } from './relay-checkpoints';

const { databaseUrl, kafkaBrokers } = testInfrastructure();
const schema = uniqueName('bus_relay');
const topics: string[] = [];
let store: PostgresEventStore;
let pool: Pool;
let bus: KafkajsBus;
let checkpoints: PostgresRelayCheckpoints;

beforeAll(async () => {
  store = await PostgresEventStore.connect({
    connectionString: databaseUrl,
    schema,
    pollIntervalMs: 100,
  });
  pool = new Pool({ connectionString: databaseUrl, max: 4 });
  pool.on('error', () => undefined);
  bus = new KafkajsBus({ brokers: kafkaBrokers, clientId: 'relay-test', logger: silentLogger });
  checkpoints = new PostgresRelayCheckpoints(pool, schema);
});

afterAll(async () => {
  await bus.close();
  await store.close();
  await pool.end();
  await dropSchema(databaseUrl, schema);
  await deleteTopics(kafkaBrokers, topics);
});

function newEvent(index: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'ContactNoted',
    schemaVersion: 1,
    data: { index },
    metadata: {
      correlationId: randomUUID(),
      causationId: randomUUID(),
      traceparent: `00-${randomUUID().replace(/-/g, '')}-${randomUUID().replace(/-/g, '').slice(0, 16)}-01`,
      actor: 'relay-test',
      occurredAt: new Date().toISOString(),
    },
  };
}

/** Appends `streams` × `perStream` events, interleaving the streams; returns the streams and the last position. */
async function appendEvents(prefix: string, streams: number, perStream: number) {
  const streamIds = Array.from({ length: streams }, () => `${prefix}contact-${randomUUID()}`);
  const ids = new Map<string, string>(); // event id -> stream id
  let lastPosition = -1n;
  for (let round = 0; round < perStream; round++) {
    const results = await Promise.all(
      streamIds.map((streamId) => {
        const event = newEvent(round);
        ids.set(event.id, streamId);
        return store.appendToStream(streamId, [event], {
          expectedRevision: round === 0 ? 'no_stream' : BigInt(round - 1),
        });
      }),
    );
    for (const r of results) if (r.position > lastPosition) lastPosition = r.position;
  }
  return { streamIds, ids, lastPosition };
}

function containsAll(messages: ReadMessage[], ids: Map<string, string>): boolean {
  const received = new Set(messages.map((m) => fromWireEvent(m.value).id));
  return [...ids.keys()].every((id) => received.has(id));
}

async function newTopic(): Promise<string> {
  const topic = uniqueName('relay');
  topics.push(topic);
  await bus.ensureTopics([{ topic, partitions: 3 }]);
  return topic;
}

it('relays 1,000 events keyed by stream id, in order per stream, with headers, and checkpoints after the last', async () => {
  const prefix = `${uniqueName('r1')}-`;
  const topic = await newTopic();
  const { streamIds, ids, lastPosition } = await appendEvents(prefix, 100, 10);

  const relay = startRelay({
    store,
    bus,
    topic,
    filter: { streamPrefixes: [prefix] },
    checkpoints,
    name: topic,
    logger: silentLogger,
  });
  try {
    await waitFor(
      () => relay.checkpoint !== undefined && relay.checkpoint >= lastPosition,
      120_000,
    );
  } finally {
    await relay.stop();
  }

  const messages = await readAllMessages(
    kafkaBrokers,
    [topic],
    (received) => received.length >= 1_000,
  );
  const events = messages.map((m) => ({ message: m, event: fromWireEvent(m.value) }));
  expect(new Set(events.map((e) => e.event.id))).toEqual(new Set(ids.keys()));

  const partitionOfKey = new Map<string, number>();
  const revisionsByStream = new Map<string, bigint[]>();
  for (const { message, event } of events) {
    expect(message.key).toBe(event.streamId);
    expect(message.key).toBe(ids.get(event.id));
    expect(message.headers).toEqual({
      'event-id': event.id,
      'event-type': 'ContactNoted',
      'schema-version': '1',
      'content-type': 'application/json',
      'correlation-id': event.metadata.correlationId,
      'causation-id': event.metadata.causationId,
      traceparent: event.metadata.traceparent,
    });
    // One key, one partition: that is what keeps a stream in order.
    expect(partitionOfKey.get(message.key!) ?? message.partition).toBe(message.partition);
    partitionOfKey.set(message.key!, message.partition);
  }
  // Within a partition, messages arrive in offset order: their revisions must count up per stream.
  for (const { event } of [...events].sort((a, b) =>
    Number(BigInt(a.message.offset) - BigInt(b.message.offset)),
  )) {
    revisionsByStream.set(event.streamId, [
      ...(revisionsByStream.get(event.streamId) ?? []),
      event.revision,
    ]);
  }
  expect(revisionsByStream.size).toBe(streamIds.length);
  for (const revisions of revisionsByStream.values()) {
    expect(revisions).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i)));
  }

  // The stored checkpoint is the relay's, at or past the last event (the
  // event store's checkpoint may move past filtered-out positions), and
  // nothing of ours lies after it.
  const stored = await checkpoints.load(topic);
  expect(stored).toBe(relay.checkpoint);
  expect(stored! >= lastPosition).toBe(true);
  const rest = await store.readAll({ after: stored, filter: { streamPrefixes: [prefix] } });
  expect(rest.events).toHaveLength(0);
}, 240_000);

it('resumes from its checkpoint after a stop mid-way: every event arrives at least once', async () => {
  const prefix = `${uniqueName('r2')}-`;
  const topic = await newTopic();
  const { ids, lastPosition } = await appendEvents(prefix, 50, 20);

  // The first relay stops itself after its fifth saved checkpoint.
  let saves = 0;
  let stopping: Promise<void> | undefined;
  const stopAfterFive: RelayCheckpoints = {
    prepare: () => checkpoints.prepare(),
    load: (name) => checkpoints.load(name),
    save: async (name, position) => {
      await checkpoints.save(name, position);
      if (++saves === 5) stopping = first.stop();
    },
  };
  const options = {
    store,
    bus,
    topic,
    filter: { streamPrefixes: [prefix] },
    name: topic,
    maxBatchSize: 50,
    logger: silentLogger,
  };
  const first: Relay = startRelay({ ...options, checkpoints: stopAfterFive });
  await waitFor(() => stopping !== undefined, 120_000);
  await stopping;
  const midway = await checkpoints.load(topic);
  expect(midway).toBeDefined();
  expect(midway! < lastPosition).toBe(true);

  const second = startRelay({ ...options, checkpoints });
  try {
    await waitFor(
      () => second.checkpoint !== undefined && second.checkpoint >= lastPosition,
      120_000,
    );
  } finally {
    await second.stop();
  }

  // Reads until every event arrived: a missing event fails the test by timing out.
  const messages = await readAllMessages(kafkaBrokers, [topic], (received) =>
    containsAll(received, ids),
  );
  expect(messages.length).toBeGreaterThanOrEqual(ids.size);
}, 240_000);

it('restarts from the stored checkpoint when saving a checkpoint fails, losing nothing', async () => {
  const prefix = `${uniqueName('r3')}-`;
  const topic = await newTopic();
  const { ids, lastPosition } = await appendEvents(prefix, 20, 10);

  let failed = 0;
  const failingTwice: RelayCheckpoints = {
    prepare: () => checkpoints.prepare(),
    load: (name) => checkpoints.load(name),
    save: async (name, position) => {
      if (failed < 2) {
        failed++;
        throw new Error('database unavailable (simulated)');
      }
      await checkpoints.save(name, position);
    },
  };
  const relay = startRelay({
    store,
    bus,
    topic,
    filter: { streamPrefixes: [prefix] },
    checkpoints: failingTwice,
    name: topic,
    maxBatchSize: 40,
    logger: silentLogger,
    restartBackoff: { initialMs: 50, maxMs: 200 },
  });
  try {
    await waitFor(
      () => relay.checkpoint !== undefined && relay.checkpoint >= lastPosition,
      120_000,
    );
  } finally {
    await relay.stop();
  }
  expect(failed).toBe(2);

  // The first batch was produced three times (two failed saves): duplicates, and nothing missing.
  const messages = await readAllMessages(kafkaBrokers, [topic], (received) =>
    containsAll(received, ids),
  );
  const received = messages.map((m) => fromWireEvent(m.value).id);
  expect(new Set(received)).toEqual(new Set(ids.keys()));
  expect(received.length).toBeGreaterThan(ids.size);
}, 240_000);

it('restarts when the checkpoint write of the last batch fails, with no batch after it to notice', async () => {
  // The write runs while the next batch is read; here there is no next batch.
  const prefix = `${uniqueName('r5')}-`;
  const topic = await newTopic();
  const { lastPosition } = await appendEvents(prefix, 3, 1);
  let failed = 0;
  const failingOnce: RelayCheckpoints = {
    prepare: () => checkpoints.prepare(),
    load: (name) => checkpoints.load(name),
    save: async (name, position) => {
      if (failed++ === 0) throw new Error('database unavailable (simulated)');
      await checkpoints.save(name, position);
    },
  };
  const relay = startRelay({
    store,
    bus,
    topic,
    filter: { streamPrefixes: [prefix] },
    checkpoints: failingOnce,
    name: topic,
    logger: silentLogger,
    restartBackoff: { initialMs: 50, maxMs: 200 },
  });
  try {
    await waitFor(() => relay.checkpoint !== undefined && relay.checkpoint >= lastPosition, 60_000);
  } finally {
    await relay.stop();
  }
  expect(failed).toBe(2);
  expect(await checkpoints.load(topic)).toBe(lastPosition);
});

it('waits for a missing broker, reporting every attempt, saves no checkpoint meanwhile, and stops cleanly', async () => {
  const prefix = `${uniqueName('r4')}-`;
  await appendEvents(prefix, 2, 2);
  const logger = capturingLogger();
  // Nothing listens on port 1: the broker is "down" for the whole test.
  const deadBus = new KafkajsBus({
    brokers: ['127.0.0.1:1'],
    clientId: 'relay-test-no-broker',
    logger,
    connectBackoff: { initialMs: 50, maxMs: 200 },
  });
  const name = uniqueName('relay-no-broker');
  const relay = startRelay({
    store,
    bus: deadBus,
    topic: 'never',
    filter: { streamPrefixes: [prefix] },
    checkpoints,
    name,
    logger,
  });
  try {
    await waitFor(
      () =>
        logger.lines.filter((l) => l.message.includes('could not connect a producer')).length >= 2,
      120_000,
    );
  } finally {
    await relay.stop();
    await deadBus.close();
  }
  expect(relay.checkpoint).toBeUndefined();
  expect(await checkpoints.load(name)).toBeUndefined();
}, 180_000);
