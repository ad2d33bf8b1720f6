// Starts the contacts service: its runtime (database, event store, data
// keys, read-model projection, import worker, relay to Kafka), then its HTTP
// API on CONTACTS_PORT (default 3101) at 127.0.0.1. One JSON line says it
// started, one that it stopped; SIGINT and SIGTERM stop it gracefully (the
// server stops taking requests and finishes those in flight, then the
// runtime stops in reverse order).
//
//   SWC_NODE_PROJECT=./tsconfig.base.json node -r @swc-node/register services/contacts/src/main.ts
import 'reflect-metadata';
import { createContactsApp } from './app';
import { loadContactsConfig } from './config';
import { startContactsRuntime } from './runtime';
import { jsonLog } from './shared/log';

async function main(): Promise<void> {
  const log = jsonLog();
  const started = Date.now();
  const config = loadContactsConfig();
  const runtime = await startContactsRuntime(config, log);
  const app = await createContactsApp(runtime);
  await app.listen(config.port, config.host);
  log.info('started', {
    url: `http://${config.host}:${config.port}`,
    schema: config.schema,
    eventStoreSchema: config.eventStoreSchema,
    relay: config.relayEnabled,
    importWorker: config.importWorkerEnabled,
    startMs: Date.now() - started,
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    try {
      await app.close();
      await runtime.stop();
      log.info('stopped', { signal });
      process.exit(0);
    } catch (error) {
      log.error('stopped with an error', { signal, error: (error as Error).message });
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  jsonLog().error('could not start', { error: (error as Error).stack ?? String(error) });
  process.exit(1);
});
