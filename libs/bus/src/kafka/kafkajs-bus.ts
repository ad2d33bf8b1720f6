// The Bus on kafkajs 2.2. kafkajs has had no release since 2023; it stays
// behind the Bus port so that another client can replace this one file set.
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { BackoffOptions } from '../backoff';
import type { Bus, BusProducer, ConsumeOptions, ConsumerHandle, TopicSpec } from '../bus.port';
import { BusClosedError } from '../bus.port';
import { jsonLinesLogger, type BusLogger } from '../bus-logger';
import { connectWithBackoff } from './connect-with-backoff';
import { KafkajsConsumer } from './kafkajs-consumer';
import { kafkajsLogCreator } from './kafkajs-log-creator';
import {
  checkedDurability,
  topicDurabilityFromEnv,
  type TopicDurability,
} from './topic-durability';
import { KafkajsProducer } from './kafkajs-producer';

export interface KafkajsBusOptions {
  brokers: string[];
  /** Names this process in the broker's logs and quotas, e.g. the service name. */
  clientId: string;
  logger?: BusLogger;
  /** Waits between attempts to reach the broker at start; default 0.5 s doubling to 30 s. */
  connectBackoff?: BackoffOptions;
  /** Waits before a batch that failed is delivered again; default 0.2 s doubling to 5 s. */
  redeliveryBackoff?: BackoffOptions;
  /** Partitions one consumer processes at the same time, each still in order; default 1. */
  partitionsConsumedConcurrently?: number;
  /**
   * How long the group waits for a member that stopped heartbeating (a crashed
   * process) before giving its partitions to another; default 30 s (kafkajs'),
   * at least the broker's group.min.session.timeout.ms (6 s by default).
   */
  sessionTimeoutMs?: number;
  /**
   * Replicas of each partition of the topics this bus creates, and how many
   * must be in sync for an acks=all write; default from
   * KAFKA_REPLICATION_FACTOR and KAFKA_MIN_INSYNC_REPLICAS (1 and 1).
   */
  topicDurability?: TopicDurability;
}

// Kafka's rule for topic names.
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export class KafkajsBus implements Bus {
  private readonly kafka: Kafka;
  private readonly logger: BusLogger;
  private readonly connectBackoff: BackoffOptions;
  private readonly closing = new AbortController();
  private readonly producers = new Set<KafkajsProducer>();
  private readonly consumers = new Set<KafkajsConsumer>();
  private readonly durability: TopicDurability;

  constructor(private readonly options: KafkajsBusOptions) {
    if (options.brokers.length === 0) throw new Error('KafkajsBus needs at least one broker');
    this.durability = options.topicDurability
      ? checkedDurability(options.topicDurability)
      : topicDurabilityFromEnv();
    this.logger = options.logger ?? jsonLinesLogger('bus');
    this.connectBackoff = options.connectBackoff ?? { initialMs: 500, maxMs: 30_000 };
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.WARN,
      logCreator: kafkajsLogCreator(this.logger),
      connectionTimeout: 3_000,
      // Connections and metadata: two quick retries inside kafkajs (about a
      // second); longer outages are waited out by connectWithBackoff, which
      // reports every attempt. Producers and consumers set their own retries.
      retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 2 },
    });
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    for (const spec of specs) {
      if (!TOPIC_NAME.test(spec.topic))
        throw new Error(`Invalid Kafka topic name: "${spec.topic}"`);
      if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
        throw new Error(`Topic ${spec.topic}: partitions must be a positive integer`);
      }
    }
    await connectWithBackoff(
      'create topics',
      () => this.withAdmin((admin) => this.createMissing(admin, specs)),
      {
        brokers: this.options.brokers,
        logger: this.logger,
        backoff: this.connectBackoff,
        signal: this.closing.signal,
      },
    );
  }

  producer(): BusProducer {
    if (this.closing.signal.aborted) throw new BusClosedError('The bus');
    const producer = new KafkajsProducer(
      this.kafka,
      { brokers: this.options.brokers, logger: this.logger, backoff: this.connectBackoff },
      (closed) => this.producers.delete(closed),
    );
    this.producers.add(producer);
    return producer;
  }

  async consume(options: ConsumeOptions): Promise<ConsumerHandle> {
    if (this.closing.signal.aborted) throw new BusClosedError('The bus');
    if (options.topics.length === 0) throw new Error('consume needs at least one topic');
    const consumer = new KafkajsConsumer(
      this.kafka,
      options,
      {
        brokers: this.options.brokers,
        logger: this.logger,
        backoff: this.connectBackoff,
        redeliveryBackoff: this.options.redeliveryBackoff ?? { initialMs: 200, maxMs: 5_000 },
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
        sessionTimeoutMs: this.options.sessionTimeoutMs ?? 30_000,
      },
      (stopped) => this.consumers.delete(stopped),
    );
    this.consumers.add(consumer);
    try {
      await consumer.start();
    } catch (error) {
      await consumer.stop();
      throw error;
    }
    return consumer;
  }

  async close(): Promise<void> {
    this.closing.abort();
    await Promise.allSettled([...this.consumers].map((c) => c.stop()));
    await Promise.allSettled([...this.producers].map((p) => p.close()));
  }

  private async withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      return await work(admin);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private async createMissing(admin: Admin, specs: TopicSpec[]): Promise<void> {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((spec) => !existing.has(spec.topic));
    if (missing.length > 0) {
      // Another process may create the same topic meanwhile: kafkajs then
      // answers false instead of throwing, which is what we want.
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((spec) => ({
          topic: spec.topic,
          numPartitions: spec.partitions,
          replicationFactor: this.durability.replicationFactor,
          configEntries: [
            { name: 'retention.ms', value: String(spec.retentionMs ?? -1) },
            { name: 'min.insync.replicas', value: String(this.durability.minInsyncReplicas) },
          ],
        })),
      });
      this.logger.info(
        `Kafka: created topics ${missing.map((s) => `${s.topic} (${s.partitions} partitions)`).join(', ')} ` +
          `with ${this.durability.replicationFactor} replicas, ${this.durability.minInsyncReplicas} in sync`,
      );
    }
    const present = specs.filter((spec) => existing.has(spec.topic));
    if (present.length === 0) return;
    // Existing topics are not altered: adding partitions would move keys to
    // other partitions and break their order. A mismatch is only reported.
    const { topics } = await admin.fetchTopicMetadata({ topics: present.map((s) => s.topic) });
    for (const spec of present) {
      const partitions = topics.find((t) => t.name === spec.topic)?.partitions;
      const actual = partitions?.length;
      if (actual !== undefined && actual !== spec.partitions) {
        this.logger.warn(
          `Kafka: topic ${spec.topic} has ${actual} partitions, configured ${spec.partitions}; left as it is`,
        );
      }
      const replicas = partitions?.[0]?.replicas.length;
      if (replicas !== undefined && replicas !== this.durability.replicationFactor) {
        this.logger.warn(
          `Kafka: topic ${spec.topic} has ${replicas} replicas, configured ${this.durability.replicationFactor}; left as it is`,
        );
      }
    }
  }
}
