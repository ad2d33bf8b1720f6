// The sample writer's relay: a checkpointed subscription to the writer's
// event store schema (streams with the given prefix) that produces every
// event to the topic, keyed by stream; its checkpoint lives in the same
// schema and moves only after Kafka acknowledged. Run it as
//   node -r @swc-node/register libs/pipeline-samples/src/sample-relay.main.ts \
//     --schema sample_es --stream-prefix samplecontact- --topic sample-contacts
// Reports {"ready":"sample-relay"} once the topic exists and the relay runs,
// then {"checkpoint":"P"} at most every 200 ms while it moves. With
// --report-sent 1 also, per batch, {"sent":[event ids],"readAt":ms,
// "readMs":ms,"ackedAt":ms}: when the store read that returned the batch
// began, how long it took, and when Kafka acknowledged the batch (ms on the
// clock of nowMs), so the benchmark can split the lag into its stages.
import {
  EVENT_HEADERS,
  KafkajsBus,
  PostgresRelayCheckpoints,
  startRelay,
  type Bus,
  type BusMessage,
} from '@engagement/bus';
import { loadPlatformConfig } from '@engagement/config';
import { PostgresEventStore } from '@engagement/event-store';
import { integerOption, readOptions, report, resilientPool, runMain } from './sample-main';
import { nowMs } from './sample-writer';

runMain('sample-relay', async () => {
  const options = readOptions('sample-relay', {
    schema: { help: 'the event store schema (also holds the relay checkpoint)' },
    'stream-prefix': { help: 'relays the streams whose id starts with it' },
    topic: { help: 'the Kafka topic' },
    name: { default: 'sample-relay', help: 'the checkpoint name' },
    partitions: { default: '3', help: 'partitions of the topic when it is created' },
    'batch-size': { default: '500', help: 'events read and produced together' },
    'poll-interval-ms': { default: '100', help: 'store polling when no append was announced' },
    'report-sent': { default: '0', help: '1: report each batch with its read and ack times' },
  });
  const { databaseUrl, kafkaBrokers } = loadPlatformConfig();
  const store = await PostgresEventStore.connect({
    connectionString: databaseUrl,
    schema: options.schema,
    poolSize: 2, // the relay reads one batch at a time
    pollIntervalMs: integerOption('poll-interval-ms', options['poll-interval-ms']),
  });
  const pool = resilientPool(databaseUrl, 1); // a lost connection fails one save; the relay restarts
  const kafkaBus = new KafkajsBus({ brokers: kafkaBrokers, clientId: 'sample-relay' });
  const bus = options['report-sent'] === '1' ? reportingSends(kafkaBus, store) : kafkaBus;
  await bus.ensureTopics([
    { topic: options.topic, partitions: integerOption('partitions', options.partitions) },
  ]);
  const relay = startRelay({
    store,
    bus,
    topic: options.topic,
    filter: { streamPrefixes: [options['stream-prefix']] },
    checkpoints: new PostgresRelayCheckpoints(pool, options.schema),
    name: options.name,
    maxBatchSize: integerOption('batch-size', options['batch-size']),
  });
  report({ ready: 'sample-relay', topic: options.topic, pid: process.pid });

  let reported: bigint | undefined;
  const progress = setInterval(() => {
    if (relay.checkpoint !== reported) {
      reported = relay.checkpoint;
      report({ checkpoint: String(reported) });
    }
  }, 200);
  return async () => {
    clearInterval(progress);
    await relay.stop();
    await kafkaBus.close();
    await store.close();
    await pool.end();
  };
});

/**
 * The bus with each send reported, and the store's reads timed: the relay
 * sends a batch right after the read that returned it, so the last read
 * that began before a send is the batch's.
 */
function reportingSends(bus: KafkajsBus, store: PostgresEventStore): Bus {
  let lastRead = { at: 0, ms: 0 };
  const readAll = store.readAll.bind(store);
  store.readAll = async (readOptions) => {
    const at = nowMs();
    const result = await readAll(readOptions);
    if (result.events.length > 0) lastRead = { at, ms: nowMs() - at };
    return result;
  };
  return {
    ensureTopics: (specs) => bus.ensureTopics(specs),
    consume: (consumeOptions) => bus.consume(consumeOptions),
    close: () => bus.close(),
    producer: () => {
      const producer = bus.producer();
      return {
        close: () => producer.close(),
        send: async (topic: string, messages: BusMessage[]) => {
          const read = lastRead;
          await producer.send(topic, messages);
          report({
            sent: messages.map((m) => m.headers[EVENT_HEADERS.eventId]),
            readAt: read.at,
            readMs: read.ms,
            ackedAt: nowMs(),
          });
        },
      };
    },
  };
}
