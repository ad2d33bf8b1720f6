// One consumer group member on kafkajs, with the commit rule of the bus:
// a batch's offsets are committed only after eachBatch resolved (no
// autocommit), and a batch that failed is delivered again, never skipped.
// The commit is sent without holding up the next batch: kafkajs fetches the
// next batch only when eachBatch returns, and waiting for the broker's
// answer to every commit first was most of the delay between a message's
// arrival on the topic and its handling (see bench/pipeline.bench.ts, stage
// "fetch"). A commit that fails, or is cut short by a stop, leaves the
// previous offset committed: those messages come again (at least once, as
// ever), never skipped.
import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { backoffDelay, waitWhileHeartbeating, type BackoffOptions } from '../backoff';
import {
  BusClosedError,
  type BatchContext,
  type ConsumeOptions,
  type ConsumedMessage,
  type ConsumerHandle,
} from '../bus.port';
import { describeError } from '../bus-logger';
import { connectWithBackoff, type ConnectSettings } from './connect-with-backoff';

export interface KafkajsConsumerSettings extends Omit<ConnectSettings, 'signal'> {
  /** Wait before a failed batch is delivered again. */
  redeliveryBackoff: BackoffOptions;
  partitionsConsumedConcurrently: number;
  sessionTimeoutMs: number;
}

export class KafkajsConsumer implements ConsumerHandle {
  private consumer: Consumer | undefined;
  private readonly stopping = new AbortController();
  /** Consecutive failed deliveries per topic-partition, for the backoff. */
  private readonly failures = new Map<string, number>();
  /** The next offset to commit per topic-partition, waiting for the commit in flight. */
  private readonly pendingOffsets = new Map<
    string,
    { topic: string; partition: number; offset: string }
  >();
  private committing: Promise<void> | undefined;
  private commitWith: EachBatchPayload['commitOffsetsIfNecessary'] | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: ConsumeOptions,
    private readonly settings: KafkajsConsumerSettings,
    private readonly onStop: (consumer: KafkajsConsumer) => void,
  ) {}

  async start(): Promise<void> {
    const consumer = await connectWithBackoff(
      `join consumer group ${this.options.groupId}`,
      () => this.startOnce(),
      {
        ...this.settings,
        signal: this.stopping.signal,
      },
    );
    if (this.stopping.signal.aborted) {
      await consumer.disconnect().catch(() => undefined);
      throw new BusClosedError('The consumer');
    }
    this.consumer = consumer;
  }

  async stop(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    this.onStop(this);
    // The offsets of batches handled are worth keeping: the commit in flight, then the rest once.
    await this.committing;
    if (this.pendingOffsets.size > 0) await this.commitOnce();
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
  }

  private async startOnce(): Promise<Consumer> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      // A consumer must not create another service's topic with the broker's defaults.
      allowAutoTopicCreation: false,
      // When idle, a fetch returns after a second: stop() and rebalances wait for it.
      maxWaitTimeInMs: 1_000,
      sessionTimeout: this.settings.sessionTimeoutMs,
      // Heartbeats well inside the session, as Kafka recommends (a third).
      heartbeatInterval: Math.max(Math.floor(this.settings.sessionTimeoutMs / 3), 500),
      // Group operations (join, commit) ride out a broker restart of several
      // seconds before kafkajs gives up and restarts the member.
      retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 5 },
    });
    let started = false;
    let crashedWhileStarting: unknown;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (started) this.onCrash(consumer, payload.error, payload.restart);
      else crashedWhileStarting = payload.error;
    });
    try {
      await consumer.connect();
      await consumer.subscribe({
        topics: this.options.topics,
        fromBeginning: this.options.fromBeginning,
      });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.settings.partitionsConsumedConcurrently,
        eachBatch: (payload) => this.handleBatch(payload),
      });
      // kafkajs's run() reports a failed group join as a crash, not as a rejection.
      if (crashedWhileStarting !== undefined) throw crashedWhileStarting;
      started = true;
      return consumer;
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  // kafkajs restarts by itself after retriable failures (restart = true);
  // after any other it gives up, and this member would be gone for good.
  private onCrash(consumer: Consumer, error: Error, restartedByKafkajs: boolean): void {
    if (restartedByKafkajs || this.stopping.signal.aborted || this.consumer !== consumer) return;
    this.settings.logger.error(
      `Kafka consumer group ${this.options.groupId} crashed (${describeError(error)}); joining it again`,
    );
    this.consumer = undefined;
    void consumer
      .disconnect()
      .catch(() => undefined)
      .then(() => this.start())
      .catch(() => undefined); // only rejects once stopped
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const partitionId = `${batch.topic}[${batch.partition}]`;
    let heartbeatError: unknown;
    const context: BatchContext = {
      heartbeat: async () => {
        try {
          await payload.heartbeat();
        } catch (error) {
          heartbeatError = error;
          throw error;
        }
      },
      isActive: () => payload.isRunning() && !payload.isStale(),
    };
    try {
      await this.options.eachBatch(
        {
          topic: batch.topic,
          partition: batch.partition,
          messages: batch.messages.map(toConsumedMessage),
        },
        context,
      );
    } catch (error) {
      // A rebalance: kafkajs must see it to rejoin; the batch comes again after.
      if (heartbeatError !== undefined) throw heartbeatError;
      // Stopping, or the partition moved: leave the batch uncommitted.
      if (!context.isActive()) return;
      const failures = (this.failures.get(partitionId) ?? 0) + 1;
      this.failures.set(partitionId, failures);
      const delay = backoffDelay(failures, this.settings.redeliveryBackoff);
      this.settings.logger.error(
        `Kafka consumer group ${this.options.groupId}: ${partitionId} from offset ${batch.firstOffset()} failed ` +
          `(${describeError(error)}); delivering it again in ${delay} ms`,
        {
          groupId: this.options.groupId,
          topic: batch.topic,
          partition: batch.partition,
          attempt: failures,
        },
      );
      // Not resolving the offsets makes kafkajs fetch the same messages again.
      await waitWhileHeartbeating(delay, context);
      return;
    }
    this.failures.delete(partitionId);
    const last = batch.messages[batch.messages.length - 1].offset;
    payload.resolveOffset(last);
    this.commitInBackground(payload, batch.topic, batch.partition, last);
  }

  /**
   * Queues the partition's next offset for commit. One commit request at a
   * time, in order, with the newest offset of every partition queued
   * meanwhile: commits never go backwards and never pile up.
   */
  private commitInBackground(
    payload: EachBatchPayload,
    topic: string,
    partition: number,
    lastOffset: string,
  ): void {
    const offset = (BigInt(lastOffset) + 1n).toString();
    this.pendingOffsets.set(`${topic}[${partition}]`, { topic, partition, offset });
    this.commitWith = payload.commitOffsetsIfNecessary;
    if (!this.committing) {
      this.committing = this.commitPending().finally(() => (this.committing = undefined));
    }
  }

  private async commitPending(): Promise<void> {
    while (this.pendingOffsets.size > 0) {
      await this.commitOnce();
      // Batches go on being handled until the disconnect: stop() commits what is left, once.
      if (this.stopping.signal.aborted) return;
    }
  }

  private async commitOnce(): Promise<void> {
    const offsets = [...this.pendingOffsets.values()];
    this.pendingOffsets.clear();
    const topics = [...new Set(offsets.map((o) => o.topic))].map((topic) => ({
      topic,
      partitions: offsets
        .filter((o) => o.topic === topic)
        .map(({ partition, offset }) => ({ partition, offset })),
    }));
    try {
      await this.commitWith!({ topics });
    } catch (error) {
      if (this.stopping.signal.aborted) return;
      this.settings.logger.warn(
        `Kafka consumer group ${this.options.groupId}: committing offsets failed (${describeError(error)}); ` +
          'a later commit covers them, or those messages come again',
        { groupId: this.options.groupId },
      );
    }
  }
}

function toConsumedMessage(message: KafkaMessage): ConsumedMessage {
  return {
    key: message.key === null ? null : message.key.toString(),
    value: message.value ?? Buffer.alloc(0),
    headers: headersToStrings(message.headers),
    offset: message.offset,
  };
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) result[name] = first.toString();
  }
  return result;
}
