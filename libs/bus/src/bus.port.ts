// The bus port: the small interface services and the relay use to talk to
// Kafka. It hides the client library (kafkajs today) so that a maintained
// client such as @confluentinc/kafka-javascript can be measured beside it
// and swapped in by writing one more adapter, without touching services.

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** Kafka `retention.ms`; -1 (keep forever) when omitted: event topics are history. */
  retentionMs?: number;
}

/** A message to produce. Messages with the same key land in the same partition, in order. */
export interface BusMessage {
  key: string;
  value: Buffer | string;
  headers: Record<string, string>;
}

export interface ConsumedMessage {
  /** Null when the producer sent no key. */
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  /** The message's offset in its partition, as a decimal string (offsets are 64-bit). */
  offset: string;
}

export interface MessageBatch {
  topic: string;
  partition: number;
  /** In offset order. */
  messages: ConsumedMessage[];
}

export interface BatchContext {
  /**
   * Tells the group coordinator this member is alive. Call it during long
   * work (retries) so the partition is not taken away; it throws when the
   * group is rebalancing, and that error must be left to propagate.
   */
  heartbeat(): Promise<void>;
  /**
   * False once the consumer is stopping or the partition was reassigned:
   * the batch should then be abandoned by throwing, so that nothing of it is
   * committed and its messages are delivered again.
   */
  isActive(): boolean;
}

export interface ConsumeOptions {
  groupId: string;
  topics: string[];
  /** Where a group without committed offsets starts: the oldest message, or only new ones. */
  fromBeginning: boolean;
  /**
   * Called with each batch; batches of one partition come one at a time, in
   * offset order. The batch's offsets are committed only after it resolved.
   * If it throws, nothing of the batch is committed and the batch is
   * delivered again after a backoff.
   */
  eachBatch(batch: MessageBatch, context: BatchContext): Promise<void>;
}

export interface ConsumerHandle {
  /** Stops fetching, waits for the batch in progress, and leaves the group. */
  stop(): Promise<void>;
}

export interface BusProducer {
  /**
   * Produces the messages to the topic and resolves once every in-sync
   * replica has them (acks = all). Messages of one call keep their order per key.
   */
  send(topic: string, messages: BusMessage[]): Promise<void>;
  close(): Promise<void>;
}

export interface Bus {
  /** Creates the topics that do not exist yet; existing topics are left as they are. */
  ensureTopics(specs: TopicSpec[]): Promise<void>;
  producer(): BusProducer;
  /** Resolves once the consumer has joined its group and runs. */
  consume(options: ConsumeOptions): Promise<ConsumerHandle>;
  /** Stops every consumer and producer this bus made. */
  close(): Promise<void>;
}

/** Thrown by calls still waiting (for a broker, for a retry) when the bus or its part was closed. */
export class BusClosedError extends Error {
  constructor(what: string) {
    super(`${what} was closed`);
    this.name = 'BusClosedError';
  }
}
