import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import type { ConsumedMessage, ConsumerHandle } from '../bus.port';
import { BusClosedError } from '../bus.port';
import { silentLogger } from '../bus-logger';
import {
  capturingLogger,
  deleteTopics,
  testInfrastructure,
  uniqueName,
  waitFor,
} from '../testing/test-infrastructure';
import { KafkajsBus } from './kafkajs-bus';

const { kafkaBrokers } = testInfrastructure();

describe('KafkajsBus against the real broker', () => {
  const topic = uniqueName('bus-smoke');
  let bus: KafkajsBus;
  let handle: ConsumerHandle | undefined;

  beforeAll(() => {
    bus = new KafkajsBus({
      brokers: kafkaBrokers,
      clientId: 'bus-smoke-test',
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await handle?.stop();
    await bus.close();
    await deleteTopics(kafkaBrokers, [topic]);
  });

  it('creates topics with the configured replication factor and min.insync.replicas', async () => {
    const durable = uniqueName('bus-durable');
    const configured = new KafkajsBus({
      brokers: kafkaBrokers,
      clientId: 'bus-durability-test',
      logger: silentLogger,
      topicDurability: { replicationFactor: 1, minInsyncReplicas: 1 },
    });
    const admin = new Kafka({ brokers: kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    try {
      await configured.ensureTopics([{ topic: durable, partitions: 2 }]);
      await admin.connect();
      const { topics } = await admin.fetchTopicMetadata({ topics: [durable] });
      expect(topics[0].partitions.map((p) => p.replicas.length)).toEqual([1, 1]);
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: durable }],
      });
      const entry = resources[0].configEntries.find((e) => e.configName === 'min.insync.replicas');
      expect(entry).toMatchObject({ configValue: '1', isDefault: false });
    } finally {
      await admin.disconnect();
      await configured.close();
      await deleteTopics(kafkaBrokers, [durable]);
    }
  });

  it('creates a topic idempotently, produces a message and consumes it with key, value and headers', async () => {
    await bus.ensureTopics([{ topic, partitions: 3 }]);
    await bus.ensureTopics([{ topic, partitions: 3 }]); // a second start-up changes nothing

    const producer = bus.producer();
    await producer.send(topic, [
      { key: 'contact-1', value: 'hello', headers: { 'event-type': 'Greeted' } },
    ]);

    const received: Array<ConsumedMessage & { topic: string; partition: number }> = [];
    handle = await bus.consume({
      groupId: uniqueName('bus-smoke-group'),
      topics: [topic],
      fromBeginning: true,
      eachBatch: async ({ topic: from, partition, messages }) => {
        received.push(...messages.map((m) => ({ ...m, topic: from, partition })));
      },
    });
    await waitFor(() => received.length >= 1);
    await producer.close();

    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      topic,
      key: 'contact-1',
      headers: { 'event-type': 'Greeted' },
      offset: '0',
    });
    expect(received[0].value.toString()).toBe('hello');
  });
});

describe('KafkajsBus commits', () => {
  let bus: KafkajsBus;
  const topics: string[] = [];
  beforeAll(() => {
    bus = new KafkajsBus({
      brokers: kafkaBrokers,
      clientId: 'bus-commit-test',
      logger: silentLogger,
      redeliveryBackoff: { initialMs: 20, maxMs: 100 },
    });
  });
  afterAll(async () => {
    await bus.close();
    await deleteTopics(kafkaBrokers, topics);
  });

  async function topicWith(values: string[]): Promise<string> {
    const topic = uniqueName('bus-commit');
    topics.push(topic);
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    const producer = bus.producer();
    await producer.send(
      topic,
      values.map((value) => ({ key: 'k', value, headers: {} })),
    );
    await producer.close();
    return topic;
  }

  it('delivers a batch again, from the same offset, after eachBatch threw', async () => {
    const topic = await topicWith(['a', 'b']);
    const deliveries: string[][] = [];
    const handle = await bus.consume({
      groupId: uniqueName('bus-commit-group'),
      topics: [topic],
      fromBeginning: true,
      eachBatch: async ({ messages }) => {
        deliveries.push(messages.map((m) => `${m.offset}:${m.value.toString()}`));
        if (deliveries.length === 1) throw new Error('first delivery fails');
      },
    });
    try {
      await waitFor(() => deliveries.length >= 2);
    } finally {
      await handle.stop();
    }
    expect(deliveries[0]).toEqual(['0:a', '1:b']);
    expect(deliveries[1]).toEqual(['0:a', '1:b']);
  });

  it('commits nothing of a batch abandoned at stop: the group receives it again', async () => {
    const topic = await topicWith(['x']);
    const groupId = uniqueName('bus-commit-group');
    let started = false;
    const first = await bus.consume({
      groupId,
      topics: [topic],
      fromBeginning: true,
      eachBatch: async (_batch, context) => {
        started = true;
        await waitFor(() => !context.isActive());
        throw new Error('stopped before the batch was done');
      },
    });
    await waitFor(() => started);
    await first.stop();

    const received: string[] = [];
    const second = await bus.consume({
      groupId,
      topics: [topic],
      fromBeginning: true,
      eachBatch: async ({ messages }) => {
        received.push(...messages.map((m) => `${m.offset}:${m.value.toString()}`));
      },
    });
    try {
      await waitFor(() => received.length >= 1);
    } finally {
      await second.stop();
    }
    expect(received).toEqual(['0:x']);
  });

  it('has committed every handled batch once stop() returns (commits go in the background)', async () => {
    const topic = await topicWith(['a', 'b', 'c']);
    const groupId = uniqueName('bus-commit-group');
    const handled: string[] = [];
    const handle = await bus.consume({
      groupId,
      topics: [topic],
      fromBeginning: true,
      eachBatch: async ({ messages }) => {
        handled.push(...messages.map((m) => m.value.toString()));
      },
    });
    await waitFor(() => handled.length >= 3);
    await handle.stop();

    const admin = new Kafka({
      clientId: 'bus-commit-test-admin',
      brokers: kafkaBrokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(offsets.partitions).toEqual([{ partition: 0, offset: '3', metadata: null }]);
    } finally {
      await admin.disconnect();
    }
  });
});

describe('KafkajsBus without a broker', () => {
  it('keeps retrying with backoff, reports each attempt, and gives up only when closed', async () => {
    const logger = capturingLogger();
    // Nothing listens on port 1: every connection is refused at once.
    const bus = new KafkajsBus({
      brokers: ['127.0.0.1:1'],
      clientId: 'bus-no-broker-test',
      logger,
      connectBackoff: { initialMs: 50, maxMs: 200 },
    });
    const ensuring = bus.ensureTopics([{ topic: uniqueName('never'), partitions: 1 }]);
    ensuring.catch(() => undefined);

    const attempts = () =>
      logger.lines.filter((l) => l.message.includes('could not create topics'));
    await waitFor(() => attempts().length >= 2, 120_000);
    expect(attempts()[0]).toMatchObject({ level: 'warn', fields: { attempt: 1 } });
    expect(attempts()[0].message).toMatch(
      /127\.0\.0\.1:1: could not create topics \(attempt 1: .+\); retrying in \d+ ms/,
    );
    expect(attempts()[1].fields).toMatchObject({ attempt: 2 });

    await bus.close();
    await expect(ensuring).rejects.toBeInstanceOf(BusClosedError);
  }, 180_000);
});
