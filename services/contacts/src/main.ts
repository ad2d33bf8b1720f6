// Starts the contacts service: its runtime (database, event store, data
// keys, read-model projection, import worker, relay to Kafka), then its HTTP
// API on CONTACTS_PORT (default 3101) at 127.0.0.1. One JSON line says it
// started, one that it stopped; SIGINT and SIGTERM stop it gracefully (the
// server stops taking requests and finishes those in flight, then the
// runtime stops in reverse order, the import worker giving its job back).
// Keep-alive connections (the gateway's) are closed as soon as they are idle
// rather than when they time out, and whatever is still open after
// HTTP_DRAIN_MS is cut; should stopping still take longer than STOP_LIMIT_MS,
// the process exits anyway, with code 1.
//
//   SWC_NODE_PROJECT=./tsconfig.base.json node -r @swc-node/register services/contacts/src/main.ts
import 'reflect-metadata';
import type { Server } from 'node:http';
import { createContactsApp } from './app';
import { loadContactsConfig } from './config';
import { startContactsRuntime } from './runtime';
import { jsonLog } from './shared/log';

const HTTP_DRAIN_MS = 3_000;
const STOP_LIMIT_MS = 10_000;

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
    const stopStarted = Date.now();
    setTimeout(() => {
      log.error('not stopped in time; exiting anyway', { signal, limitMs: STOP_LIMIT_MS });
      process.exit(1);
    }, STOP_LIMIT_MS).unref();
    try {
      const server = app.getHttpServer() as Server;
      const closeIdle = setInterval(() => server.closeIdleConnections(), 100);
      const cut = setTimeout(() => server.closeAllConnections(), HTTP_DRAIN_MS);
      try {
        await app.close();
      } finally {
        clearInterval(closeIdle);
        clearTimeout(cut);
      }
      await runtime.stop();
      log.info('stopped', { signal, stopMs: Date.now() - stopStarted });
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
