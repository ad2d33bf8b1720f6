#!/usr/bin/env node
// Starts, stops and reports the platform's infrastructure (npm start / stop /
// status run this):
//
//   node infra/platform.mjs start|stop|status
//
// start: PostgreSQL (infra/postgres/postgres.mjs: DATABASE_URL, else a local
// server on 127.0.0.1:5432, else embedded), then Kafka (KAFKA_BROKERS, else a
// local single-node broker: bash infra/kafka/kafka.sh), then `services` below,
// and writes .data/platform.json:
//   { "databaseUrl": "postgres://...", "kafkaBrokers": "127.0.0.1:9092",
//     "postgres": "external|local|embedded", "kafka": "external|local" }
// While services run, a start with other resolved settings (another
// database or brokers) is refused: see infra/start-settings.mjs.
// PLATFORM_INSTANCES=2 runs two instances of each of the platform's own
// services (contacts on 3101 and 3201, and so on; the gateway spreads
// requests over them); leases keep one relay and one projection runner
// active per service.
// stop: the services (in reverse order), Kafka, then PostgreSQL; only what
// these scripts started is stopped. status exits 0 when all is up, 3 if not.
// See the headers of infra/postgres/postgres.mjs and infra/kafka/kafka.sh for
// their environment variables.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import * as postgres from './postgres/postgres.mjs';
import { nodeService } from './services.mjs';
import { instancesRequested, requestedSettings, startConflict } from './start-settings.mjs';
import { ROOT, STATE_FILE, isMain, readState, redactUrl, updateState } from './state.mjs';

// The platform's own services, in start order; each runs in as many instances as asked.
const ownServices = [
  {
    name: 'contacts',
    entry: 'services/contacts/src/main.ts',
    portVariable: 'CONTACTS_PORT',
    defaultPort: 3101,
    // The service tokens it accepts are addressed to this name (@engagement/service-auth).
    audience: 'contacts',
  },
  {
    name: 'events',
    entry: 'services/events/src/main.ts',
    portVariable: 'EVENTS_PORT',
    defaultPort: 3102,
    audience: 'events',
  },
  // The CRM connectors (after contacts: they read contacts' data keys), each pushing to its emulator.
  {
    name: 'connector-hubspot',
    entry: 'services/connector-hubspot/src/main.ts',
    portVariable: 'CONNECTOR_HUBSPOT_PORT',
    defaultPort: 3104,
    audience: 'connector-hubspot',
  },
  {
    name: 'connector-gohighlevel',
    entry: 'services/connector-gohighlevel/src/main.ts',
    portVariable: 'CONNECTOR_GOHIGHLEVEL_PORT',
    defaultPort: 3105,
    audience: 'connector-gohighlevel',
  },
  // Sends email to the SMTP emulator and SMS/WhatsApp to the Twilio emulator unless told otherwise.
  {
    name: 'messaging',
    entry: 'services/messaging/src/main.ts',
    portVariable: 'MESSAGING_PORT',
    defaultPort: 3103,
    audience: 'messaging',
  },
];

// ---------------------------------------------------------------------------
// HOOK: the services' processes. Started in this order after PostgreSQL and
// Kafka are up (with the resolved settings in `env`), stopped in reverse order
// before them. Each entry: { name, start: async (env) => {}, stop: async () => {} }
// where env = { DATABASE_URL, KAFKA_BROKERS, ...process.env }.
// ---------------------------------------------------------------------------
const servicesOf = (instances) => [
  // Emulators of third parties (test doubles, see the README), before the
  // services that may call them.
  nodeService({
    name: 'zoom-emulator',
    entry: 'emulators/zoom/src/main.ts',
    portVariable: 'ZOOM_EMULATOR_PORT',
    defaultPort: 4010,
  }),
  nodeService({
    name: 'twilio-emulator',
    entry: 'emulators/twilio/src/main.ts',
    portVariable: 'TWILIO_EMULATOR_PORT',
    defaultPort: 4020,
  }),
  // Its health is on the HTTP admin port; SMTP itself listens on SMTP_EMULATOR_PORT (2525).
  nodeService({
    name: 'smtp-emulator',
    entry: 'emulators/smtp/src/main.ts',
    portVariable: 'SMTP_EMULATOR_ADMIN_PORT',
    defaultPort: 4025,
  }),
  nodeService({
    name: 'hubspot-emulator',
    entry: 'emulators/hubspot/src/main.ts',
    portVariable: 'HUBSPOT_EMULATOR_PORT',
    defaultPort: 4030,
  }),
  // Keeps its webhook signing keys in .data/emulators/gohighlevel (public key: webhook-public-key.pem).
  nodeService({
    name: 'gohighlevel-emulator',
    entry: 'emulators/gohighlevel/src/main.ts',
    portVariable: 'GHL_EMULATOR_PORT',
    defaultPort: 4040,
  }),
  ...ownServices.flatMap((definition) =>
    Array.from({ length: instances }, (_, i) => nodeService({ ...definition, instance: i + 1 })),
  ),
  nodeService({
    name: 'api-gateway',
    entry: 'services/api-gateway/src/main.ts',
    portVariable: 'GATEWAY_PORT',
    defaultPort: 3000,
  }),
];

/**
 * How many instances of each own service: a start runs PLATFORM_INSTANCES,
 * else as many as the running platform was started with, else one; stop and
 * status look at every instance that may run.
 */
function instancesFor(command) {
  const requested = instancesRequested(process.env);
  const recorded = readState().instances ?? null;
  if (command === 'start') {
    // What was recorded counts only while some of it still runs (after a crash, one of each).
    const stillRunning =
      recorded !== null &&
      servicesOf(recorded).some((service) => service.audience && service.pid());
    return requested ?? (stillRunning ? recorded : 1);
  }
  return Math.max(requested ?? 1, recorded ?? 1);
}

/** The URL variable the gateway (and every caller) finds a service's instances in: CONTACTS_URL... */
const urlVariableOf = (serviceName) => `${serviceName.toUpperCase().replace(/-/g, '_')}_URL`;

const KAFKA_SH = path.join(ROOT, 'infra', 'kafka', 'kafka.sh');
const rel = (p) => path.relative(ROOT, p);
const say = (msg) => console.log(`[platform] ${msg}`);

function kafkaSh(cmd) {
  const res = spawnSync('bash', [KAFKA_SH, cmd], {
    stdio: 'inherit',
    env: { ...process.env, KAFKA_LOG_PREFIX: '[platform] kafka:' },
  });
  if (res.error) throw new Error(`could not run bash ${rel(KAFKA_SH)}: ${res.error.message}`);
  return res.status;
}

function withPgPrefix(fn) {
  const saved = process.env.PG_LOG_PREFIX;
  process.env.PG_LOG_PREFIX = '[platform] postgres:';
  return fn().finally(() => {
    if (saved === undefined) delete process.env.PG_LOG_PREFIX;
    else process.env.PG_LOG_PREFIX = saved;
  });
}

async function start() {
  const t0 = Date.now();
  const instances = instancesFor('start');
  const services = servicesOf(instances);
  await refuseOtherSettings(services);
  say('postgres: resolving (DATABASE_URL, else 127.0.0.1:5432, else embedded)...');
  const pg = await withPgPrefix(postgres.start);

  let kafka;
  if (process.env.KAFKA_BROKERS) {
    say(`kafka: KAFKA_BROKERS=${process.env.KAFKA_BROKERS} is set: using that cluster`);
    kafka = { mode: 'external', brokers: process.env.KAFKA_BROKERS };
  } else {
    say(`kafka: starting a local single-node broker (bash ${rel(KAFKA_SH)} start)...`);
    const code = kafkaSh('start');
    if (code !== 0)
      throw new Error(
        `kafka: ${rel(KAFKA_SH)} start failed (exit ${code}); \`npm stop\` stops what was started`,
      );
    kafka = { mode: 'local', brokers: `127.0.0.1:${process.env.KAFKA_PORT || 9092}` };
  }
  updateState({ kafkaBrokers: kafka.brokers, kafka: kafka.mode });

  const env = { ...process.env, DATABASE_URL: pg.databaseUrl, KAFKA_BROKERS: kafka.brokers };
  // Messaging sends through the local SMTP and Twilio emulators, and links back through the gateway.
  env.SMTP_URL ??= `smtp://127.0.0.1:${process.env.SMTP_EMULATOR_PORT || 2525}`;
  env.TWILIO_API_BASE ??= `http://127.0.0.1:${process.env.TWILIO_EMULATOR_PORT || 4020}`;
  env.MESSAGING_PUBLIC_URL ??= `http://127.0.0.1:${process.env.GATEWAY_PORT || 3000}/api`;
  // The events service talks to the Zoom emulator with the emulator's development credentials.
  const zoomEmulator = `http://127.0.0.1:${process.env.ZOOM_EMULATOR_PORT || 4010}`;
  env.ZOOM_API_BASE ??= zoomEmulator;
  env.ZOOM_OAUTH_BASE ??= zoomEmulator;
  env.ZOOM_ACCOUNT_ID ??= process.env.ZOOM_EMULATOR_ACCOUNT_ID || 'emulator-account';
  env.ZOOM_CLIENT_ID ??= process.env.ZOOM_EMULATOR_CLIENT_ID || 'emulator-client-id';
  env.ZOOM_CLIENT_SECRET ??= process.env.ZOOM_EMULATOR_CLIENT_SECRET || 'emulator-client-secret';
  env.ZOOM_WEBHOOK_SECRET_TOKEN ??=
    process.env.ZOOM_EMULATOR_WEBHOOK_SECRET || 'emulator-webhook-secret';
  // The CRM connectors talk to the CRM emulators (the integrations hold the emulators' credentials).
  env.HUBSPOT_API_BASE ??= `http://127.0.0.1:${process.env.HUBSPOT_EMULATOR_PORT || 4030}`;
  env.GHL_API_BASE ??= `http://127.0.0.1:${process.env.GHL_EMULATOR_PORT || 4040}`;
  // CRM webhooks: the emulators post to the gateway's public /api/webhooks/<crm>; the connectors
  // verify them with the emulators' development secret and public key (an integration's own
  // webhookUrl, webhookSecret and config.webhook_public_key win over these).
  const gatewayUrl = `http://127.0.0.1:${process.env.GATEWAY_PORT || 3000}`;
  env.HUBSPOT_EMULATOR_WEBHOOK_URL ??= `${gatewayUrl}/api/webhooks/hubspot`;
  env.GHL_EMULATOR_WEBHOOK_URL ??= `${gatewayUrl}/api/webhooks/gohighlevel`;
  env.CONNECTOR_HUBSPOT_WEBHOOK_URL ??= env.HUBSPOT_EMULATOR_WEBHOOK_URL;
  env.CONNECTOR_HUBSPOT_WEBHOOK_SECRET ??=
    process.env.HUBSPOT_EMULATOR_CLIENT_SECRET || 'hubspot-emulator-client-secret';
  env.CONNECTOR_GOHIGHLEVEL_WEBHOOK_PUBLIC_KEY ??= path.join(
    process.env.GHL_EMULATOR_DATA_DIR || path.join(ROOT, '.data', 'emulators', 'gohighlevel'),
    'webhook-public-key.pem',
  );
  // Every instance of a service, comma-separated, in its URL variable: the
  // gateway spreads requests over them, and services calling contacts go to
  // the next instance when one is down (@engagement/service-auth ServiceInstances).
  for (const { name } of ownServices) {
    if (process.env[urlVariableOf(name)]) continue;
    env[urlVariableOf(name)] = services
      .filter((service) => service.service === name)
      .map((service) => service.url())
      .join(',');
  }
  for (const service of services) {
    say(`${service.name}: starting...`);
    await service.start(env);
  }

  // The platform's own services, for tools and tests that call them (not the emulators).
  updateState({
    instances,
    services: services
      .filter((service) => service.audience)
      .map((service) => ({ name: service.name, url: service.url(), audience: service.audience })),
  });
  say(`ready in ${((Date.now() - t0) / 1000).toFixed(1)}s:`);
  say(`  PostgreSQL (${pg.mode}): ${redactUrl(pg.databaseUrl)}`);
  say(`  Kafka (${kafka.mode}): ${kafka.brokers}`);
  for (const service of services) say(`  ${service.name}: ${service.url()}`);
  say(`  written to ${rel(STATE_FILE)}`);
}

/**
 * Services that already run stay on the PostgreSQL and Kafka they were
 * started with: a start resolving others would split the platform (see
 * infra/start-settings.mjs), so it is refused with what runs and how to stop it.
 */
async function refuseOtherSettings(services) {
  const running = services
    .map((service) => ({
      name: service.name,
      pid: service.pid(),
      own: Boolean(service.audience) || service.name === 'api-gateway',
    }))
    .filter((service) => service.pid);
  if (running.length === 0) return;
  const requested = requestedSettings(process.env, {
    localPostgresUsable: await postgres.localUsable(),
  });
  const conflict = startConflict({ recorded: readState(), requested, running });
  if (conflict) throw new Error(conflict);
}

async function stop() {
  const services = servicesOf(instancesFor('stop'));
  let failed = false;
  for (const service of [...services].reverse()) {
    say(`${service.name}: stopping...`);
    try {
      await service.stop();
    } catch (err) {
      failed = true;
      console.error(`[platform] ${service.name}: ERROR: ${err.message}`);
    }
  }
  if (kafkaSh('stop') !== 0) failed = true;
  updateState({ kafkaBrokers: undefined, kafka: undefined, instances: undefined });
  try {
    await withPgPrefix(postgres.stop);
  } catch (err) {
    failed = true;
    console.error(`[platform] postgres: ERROR: ${err.message}`);
  }
  say(failed ? 'stopped, with errors (see above)' : 'stopped');
  if (failed) process.exitCode = 1;
}

async function status() {
  const state = readState();
  say(
    Object.keys(state).length
      ? `${rel(STATE_FILE)}: ${JSON.stringify({ ...state, databaseUrl: state.databaseUrl && redactUrl(state.databaseUrl) })}`
      : `${rel(STATE_FILE)}: none (not started)`,
  );
  const pgOk = await withPgPrefix(postgres.status);
  const kafkaOk = kafkaSh('status') === 0;
  for (const service of servicesOf(instancesFor('status'))) await service.status();
  if (!(pgOk && kafkaOk)) process.exitCode = 3;
}

if (isMain(import.meta.url)) {
  const commands = { start, stop, status };
  const cmd = process.argv[2];
  if (!commands[cmd]) {
    console.error('usage: node infra/platform.mjs start|stop|status');
    process.exit(2);
  }
  try {
    await commands[cmd]();
  } catch (err) {
    console.error(`[platform] ERROR: ${err.message}`);
    process.exitCode = 1;
  }
}
