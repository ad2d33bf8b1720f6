// Starts the contacts service: its runtime (database, event store, data
// keys, read-model projection, import worker, relay to Kafka), then its HTTP
// API on CONTACTS_PORT (default 3101) at 127.0.0.1; runServiceMain writes the
// start and stop lines and stops it gracefully on SIGINT and SIGTERM (the
// import worker giving its job back).
//
//   SWC_NODE_PROJECT=./tsconfig.base.json node -r @swc-node/register services/contacts/src/main.ts
import 'reflect-metadata';
import { runServiceMain } from '@engagement/service-runtime';
import { createContactsApp } from './app';
import { loadContactsConfig } from './config';
import { startContactsRuntime } from './runtime';

runServiceMain('contacts', async (log) => {
  const config = loadContactsConfig();
  const runtime = await startContactsRuntime(config, log);
  return {
    app: await createContactsApp(runtime),
    runtime,
    host: config.host,
    port: config.port,
    facts: {
      schema: config.schema,
      eventStoreSchema: config.eventStoreSchema,
      relay: config.relayEnabled,
      importWorker: config.importWorkerEnabled,
    },
  };
});
