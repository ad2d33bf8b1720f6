// The sample consumer service: consumes the writer's topic in a consumer
// group and keeps sampleContactsProjection (source 'kafka') in its own
// schema. Each event goes through applyKafkaBatch: its id is recorded in
// processed_events in the same transaction as its rows, so a redelivered
// event (after a crash, a rebalance, a relay re-send) changes nothing. Run it as
//   node -r @swc-node/register libs/pipeline-samples/src/sample-consumer.main.ts \
//     --schema sample_rm --stream-prefix samplecontact- --topic sample-contacts --group sample-rm
// PostgreSQL and Kafka come from loadPlatformConfig (DATABASE_URL, KAFKA_BROKERS).
// Reports {"ready":"sample-consumer"} once it joined the group; with
// --report-applied 1 also {"applied":"<event id>","at":<ms>,"receivedAt":<ms>}
// after each commit (receivedAt: when its batch was handed to this process's handler).
import { consumeEvents, KafkajsBus } from '@engagement/bus';
import { loadPlatformConfig } from '@engagement/config';
import {
  applyKafkaBatch,
  prepareProjection,
  sampleContactsProjection,
} from '@engagement/projections';
import { integerOption, readOptions, report, resilientPool, runMain } from './sample-main';
import { nowMs } from './sample-writer';

runMain('sample-consumer', async () => {
  const options = readOptions('sample-consumer', {
    schema: { help: 'the read model schema' },
    'stream-prefix': { help: 'the streams the projection reads (for rebuilds)' },
    topic: { help: 'the Kafka topic' },
    group: { help: 'the consumer group' },
    name: { default: 'sample-contacts', help: 'the projection name' },
    'report-applied': { default: '0', help: '1: report each applied event with its commit time' },
    'partitions-concurrently': {
      default: '1',
      help: "partitions handled at once, each in order (the sample's rows are per stream, so partitions never share one)",
    },
    'session-timeout-ms': {
      default: '30000',
      help: "how soon the group gives a dead member's partitions away",
    },
  });
  const { databaseUrl, kafkaBrokers } = loadPlatformConfig();
  const concurrently = integerOption('partitions-concurrently', options['partitions-concurrently']);
  // One connection per partition handled at once, at least 2; a lost one fails one apply, which is retried.
  const pool = resilientPool(databaseUrl, Math.max(2, concurrently));
  const projection = sampleContactsProjection({
    schema: options.schema,
    streamPrefix: options['stream-prefix'],
    source: 'kafka',
    name: options.name,
  });
  await prepareProjection(pool, projection);
  const target = { projection, schema: projection.schema };
  const reportApplied = options['report-applied'] === '1';

  const bus = new KafkajsBus({
    brokers: kafkaBrokers,
    clientId: 'sample-consumer',
    sessionTimeoutMs: Number(options['session-timeout-ms']),
    partitionsConsumedConcurrently: Math.max(1, concurrently),
  });
  const consumer = await consumeEvents({
    bus,
    groupId: options.group,
    topics: [options.topic],
    // A throw (database down) is retried with backoff, never skipped; see consumeEvents.
    // One transaction per fetched batch: the rows and the processed ids together.
    handleBatch: async (events) => {
      const receivedAt = nowMs();
      const applied = await applyKafkaBatch(pool, target, events);
      if (reportApplied && applied > 0) {
        const at = nowMs();
        for (const event of events) report({ applied: event.id, at, receivedAt });
      }
    },
  });
  report({ ready: 'sample-consumer', group: options.group, pid: process.pid });
  return async () => {
    await consumer.stop();
    await bus.close();
    await pool.end();
  };
});
