// Starts the messaging service: its runtime (projections, replica of
// contacts, channels, send workers, reminders, campaigns, relay), then its
// HTTP API on MESSAGING_PORT (default 3103) at 127.0.0.1.
//
//   SWC_NODE_PROJECT=./tsconfig.base.json node -r @swc-node/register services/messaging/src/main.ts
import 'reflect-metadata';
import { runServiceMain } from '@engagement/service-runtime';
import { createMessagingApp } from './app';
import { loadMessagingConfig } from './config';
import { startMessagingRuntime } from './runtime';

runServiceMain('messaging', async (log) => {
  const config = loadMessagingConfig();
  const runtime = await startMessagingRuntime(config, log);
  return {
    app: await createMessagingApp(runtime),
    runtime,
    host: config.host,
    port: config.port,
    facts: {
      schema: config.schema,
      relay: config.relayEnabled,
      smtp: config.smtpUrl,
      twilio: config.twilio.apiBase,
    },
  };
});
