// The bus producer on kafkajs: idempotent, acks from all in-sync replicas,
// one request in flight (so a retried request cannot overtake the next one
// and reorder a key), connected lazily with backoff on first use.
import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import { BusClosedError, type BusMessage, type BusProducer } from '../bus.port';
import { connectWithBackoff, type ConnectSettings } from './connect-with-backoff';

/**
 * Upper bound of the bytes of one produce request. The broker refuses a
 * record batch above message.max.bytes (1 MiB by default), so a large send
 * is split; the parts go one after the other, which keeps each key in order.
 */
const MAX_REQUEST_BYTES = 900 * 1024;

export class KafkajsProducer implements BusProducer {
  private connecting: Promise<Producer> | undefined;
  private readonly closing = new AbortController();

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: Omit<ConnectSettings, 'signal'>,
    private readonly onClose: (producer: KafkajsProducer) => void,
  ) {}

  async send(topic: string, messages: BusMessage[]): Promise<void> {
    for (const part of splitBySize(messages, MAX_REQUEST_BYTES)) {
      const producer = await this.connected();
      try {
        await producer.send({ topic, acks: -1, messages: part.map(toKafkajsMessage) });
      } catch (error) {
        // After a failed send the idempotent producer's sequence numbers may
        // no longer match the broker's: the next send gets a new producer
        // (a new producer id). Whatever the failed send did write may then be
        // written again, which at-least-once delivery allows.
        this.discard(producer);
        if (this.closing.signal.aborted) throw new BusClosedError('The producer');
        throw error;
      }
    }
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    this.onClose(this);
    const producer = await this.connecting?.catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }

  private connected(): Promise<Producer> {
    if (this.closing.signal.aborted) return Promise.reject(new BusClosedError('The producer'));
    if (!this.connecting) {
      const connecting = connectWithBackoff('connect a producer', () => this.connectOnce(), {
        ...this.settings,
        signal: this.closing.signal,
      });
      this.connecting = connecting;
      connecting.catch(() => {
        if (this.connecting === connecting) this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private async connectOnce(): Promise<Producer> {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // Topics are created with their partition count by ensureTopics, never
      // by the broker's defaults because someone produced to a typo.
      allowAutoTopicCreation: false,
      // Java-compatible murmur2 partitioning: other clients put a key in the same partition.
      createPartitioner: Partitioners.DefaultPartitioner,
      // Bounded (about 20 s), so that a send to a broker that is gone fails
      // and the caller (the relay) reports it and retries from its checkpoint.
      retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 6 },
    });
    try {
      await producer.connect();
      return producer;
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  private discard(producer: Producer): void {
    this.connecting = undefined;
    void producer.disconnect().catch(() => undefined);
  }
}

function toKafkajsMessage(message: BusMessage): Message {
  return { key: message.key, value: message.value, headers: message.headers };
}

function sizeOf(message: BusMessage): number {
  let bytes = Buffer.byteLength(message.key) + Buffer.byteLength(message.value) + 64;
  for (const [name, value] of Object.entries(message.headers))
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  return bytes;
}

export function splitBySize(messages: BusMessage[], maxBytes: number): BusMessage[][] {
  const parts: BusMessage[][] = [];
  let current: BusMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = sizeOf(message);
    if (current.length > 0 && bytes + size > maxBytes) {
      parts.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) parts.push(current);
  return parts;
}
