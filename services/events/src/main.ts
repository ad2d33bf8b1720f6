// Starts the events service: its runtime (database, event store, read-model
// projection, seat keeper, relay to topic `events`), then its HTTP API on
// EVENTS_PORT (default 3102) at 127.0.0.1, stopped gracefully on SIGTERM.
//
//   SWC_NODE_PROJECT=./tsconfig.base.json node -r @swc-node/register services/events/src/main.ts
import 'reflect-metadata';
import { runServiceMain } from '@engagement/service-runtime';
import { createEventsApp } from './app';
import { loadEventsConfig } from './config';
import { startEventsRuntime } from './runtime';

runServiceMain('events', async (log) => {
  const config = loadEventsConfig();
  const runtime = await startEventsRuntime(config, log);
  return {
    app: await createEventsApp(runtime),
    runtime,
    host: config.host,
    port: config.port,
    facts: {
      schema: config.schema,
      eventStoreSchema: config.eventStoreSchema,
      relay: config.relayEnabled,
      contactsUrl: config.contactsUrl,
      zoom: config.zoom ? config.zoom.apiBase : 'off',
    },
  };
});
