// The main() of every service: start it (its runtime, then its HTTP app),
// listen, write one JSON line when started and one when stopped, and stop
// gracefully on SIGINT and SIGTERM: the server stops taking requests and
// finishes those in flight, then the runtime stops in reverse order.
// Keep-alive connections (the gateway's) are closed as soon as they are idle
// rather than when they time out, and whatever is still open after
// HTTP_DRAIN_MS is cut; should stopping still take longer than STOP_LIMIT_MS,
// the process exits anyway, with code 1. Telemetry is not started here but
// by a preload (libs/observability/src/register.ts), before anything loads;
// a process started without it while an OTLP endpoint is set is warned.
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { telemetryFromEnv, telemetryStarted } from '@engagement/observability';
import { serviceLog, type Log, type LogFields } from './log';

const HTTP_DRAIN_MS = 3_000;
const STOP_LIMIT_MS = 10_000;

export interface StartedService {
  app: INestApplication;
  /** Stops what runs besides HTTP (the ServiceRuntime, or the service's own runtime). */
  runtime: { stop(): Promise<void> };
  host: string;
  port: number;
  /** Extra facts for the "started" line (schemas, what runs). Never secrets. */
  facts?: LogFields;
}

export function runServiceMain(
  service: string,
  start: (log: Log) => Promise<StartedService>,
): void {
  const log = serviceLog(service);
  // Telemetry must start before pg, kafkajs and http are loaded, which is
  // long past by now: only the preload can do it. Say so rather than send nothing.
  if (telemetryFromEnv(process.env, process.argv[1]) && !telemetryStarted()) {
    log.warn('an OTLP endpoint is set but telemetry was not started: no traces', {
      fix: 'start the process with -r ./libs/observability/src/register.ts (README, "Traces")',
    });
  }
  main(log, start).catch((error: unknown) => {
    log.error('could not start', { error: (error as Error).stack ?? String(error) });
    process.exit(1);
  });
}

async function main(log: Log, start: (log: Log) => Promise<StartedService>): Promise<void> {
  const started = Date.now();
  const { app, runtime, host, port, facts } = await start(log);
  await app.listen(port, host);
  log.info('started', { url: `http://${host}:${port}`, ...facts, startMs: Date.now() - started });

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
      await closeHttp(app);
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

/** Stops taking requests, lets those in flight finish (HTTP_DRAIN_MS at most), closes the app. */
export async function closeHttp(app: INestApplication): Promise<void> {
  const server = app.getHttpServer() as Server;
  const closeIdle = setInterval(() => server.closeIdleConnections(), 100);
  const cut = setTimeout(() => server.closeAllConnections(), HTTP_DRAIN_MS);
  try {
    await app.close();
  } finally {
    clearInterval(closeIdle);
    clearTimeout(cut);
  }
}
