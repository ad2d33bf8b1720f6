// The preload that starts telemetry in every service process, before its
// main module loads pg, kafkajs or http (the instrumentations can patch
// them only as they are first required):
//
//   node -r @swc-node/register -r ./libs/observability/src/register.ts services/<name>/src/main.ts
//
// `npm start` (infra/services.mjs) and the e2e platform start every service
// this way, so a new service needs nothing of its own. Telemetry starts only
// when an OTLP endpoint is configured: otherwise nothing is loaded or
// patched, at no cost. The service name is OTEL_SERVICE_NAME, or else the
// folder of the main module (services/<name>/src/main.ts). Spans are sent
// in batches every OTEL_BSP_SCHEDULE_DELAY ms (5000 by default).
import { telemetryFromEnv } from './telemetry-from-env';

const options = telemetryFromEnv(process.env, process.argv[1]);
if (options) {
  // Required only when on: the SDK is not even loaded otherwise. A
  // synchronous require, so that it is done before the main module runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startTelemetry } = require('./telemetry') as typeof import('./telemetry');
  startTelemetry(options);
}
