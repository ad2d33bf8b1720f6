// The sample writer service: appends SampleContactCreated/Renamed events to
// its own PostgreSQL event store schema, at a steady rate or flat out, then
// reports and exits. Run it as
//   node -r @swc-node/register libs/pipeline-samples/src/sample-writer.main.ts \
//     --schema sample_es --stream-prefix samplecontact- --count 10000 --rate 1000
// PostgreSQL comes from loadPlatformConfig (DATABASE_URL, else .data/platform.json).
// Reports: {"ready":"sample-writer"}, then {"done":"sample-writer","written":N,"lastPosition":"P"}.
import { loadPlatformConfig } from '@engagement/config';
import { PostgresEventStore } from '@engagement/event-store';
import { integerOption, readOptions, report, runMain } from './sample-main';
import { writeSampleContacts } from './sample-writer';

runMain('sample-writer', async () => {
  const options = readOptions('sample-writer', {
    schema: { help: 'the event store schema' },
    'stream-prefix': { help: 'stream ids start with it' },
    count: { default: '1000', help: 'events to write' },
    contacts: { default: '100', help: 'streams to spread them over' },
    rate: { default: '0', help: 'events per second; 0: as fast as possible' },
    concurrency: { default: '4', help: 'appends in flight' },
  });
  const concurrency = integerOption('concurrency', options.concurrency);
  const store = await PostgresEventStore.connect({
    connectionString: loadPlatformConfig().databaseUrl,
    schema: options.schema,
    poolSize: Math.max(1, concurrency), // one connection per append in flight, no more: the server is shared
  });
  const stopping = new AbortController();
  report({ ready: 'sample-writer', schema: options.schema, pid: process.pid });
  const writing = writeSampleContacts(
    store,
    {
      streamPrefix: options['stream-prefix'],
      count: integerOption('count', options.count),
      contacts: integerOption('contacts', options.contacts),
      ratePerSecond: integerOption('rate', options.rate),
      concurrency,
    },
    { signal: stopping.signal },
  ).then(async ({ written, lastPosition }) => {
    if (stopping.signal.aborted) return;
    await store.close();
    report({ done: 'sample-writer', written, lastPosition: lastPosition.toString() });
    process.exit(0);
  });
  writing.catch((error: unknown) => {
    process.stderr.write(`sample-writer: ${String(error)}\n`);
    process.exit(1);
  });
  return async () => {
    stopping.abort();
    await writing.catch(() => undefined);
    await store.close();
  };
});
