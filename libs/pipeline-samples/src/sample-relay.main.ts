// The sample writer's relay: a checkpointed subscription to the writer's
// event store schema (streams with the given prefix) that produces every
// event to the topic, keyed by stream; its checkpoint lives in the same
// schema and moves only after Kafka acknowledged. Run it as
//   node -r @swc-node/register libs/pipeline-samples/src/sample-relay.main.ts \
//     --schema sample_es --stream-prefix samplecontact- --topic sample-contacts
// Reports {"ready":"sample-relay"} once the topic exists and the relay runs,
// then {"checkpoint":"P"} at most every 200 ms while it moves.
import { KafkajsBus, PostgresRelayCheckpoints, startRelay } from '@engagement/bus';
import { loadPlatformConfig } from '@engagement/config';
import { PostgresEventStore } from '@engagement/event-store';
import { integerOption, readOptions, report, resilientPool, runMain } from './sample-main';

runMain('sample-relay', async () => {
  const options = readOptions('sample-relay', {
    schema: { help: 'the event store schema (also holds the relay checkpoint)' },
    'stream-prefix': { help: 'relays the streams whose id starts with it' },
    topic: { help: 'the Kafka topic' },
    name: { default: 'sample-relay', help: 'the checkpoint name' },
    partitions: { default: '3', help: 'partitions of the topic when it is created' },
    'batch-size': { default: '500', help: 'events read and produced together' },
    'poll-interval-ms': { default: '100', help: 'store polling when no append was announced' },
  });
  const { databaseUrl, kafkaBrokers } = loadPlatformConfig();
  const store = await PostgresEventStore.connect({
    connectionString: databaseUrl,
    schema: options.schema,
    poolSize: 2, // the relay reads one batch at a time
    pollIntervalMs: integerOption('poll-interval-ms', options['poll-interval-ms']),
  });
  const pool = resilientPool(databaseUrl, 1); // a lost connection fails one save; the relay restarts
  const bus = new KafkajsBus({ brokers: kafkaBrokers, clientId: 'sample-relay' });
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
    await bus.close();
    await store.close();
    await pool.end();
  };
});
