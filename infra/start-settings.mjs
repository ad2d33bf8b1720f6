// Whether `npm start` may go on while services already run: they were
// started on the PostgreSQL and Kafka that .data/platform.json records, and
// a start that resolves other ones (another DATABASE_URL or KAFKA_BROKERS,
// PG_FORCE_EMBEDDED=1 set or not as before) would rewrite that file while the
// running services stay where they are: tools and tests would then act on a
// database the services do not use. Pure functions, so they can be tested
// without starting anything (e2e/src/platform-start.unit.spec.mjs).
import { redactUrl } from './state.mjs';

const LOCAL_POSTGRES_PORT = 5432;

/**
 * What this start would use, resolved as infra/postgres/postgres.mjs and
 * infra/platform.mjs do, without starting anything: `databaseUrl` is known
 * for an external server only (for local and embedded the mode says it).
 * `localPostgresUsable`: whether the server on 127.0.0.1:5432 would be taken (what decides
 * between local and embedded when neither DATABASE_URL nor PG_FORCE_EMBEDDED is set).
 */
export function requestedSettings(env, { localPostgresUsable }) {
  let postgres;
  if (env.PG_FORCE_EMBEDDED === '1') postgres = { mode: 'embedded' };
  else if (env.DATABASE_URL) postgres = { mode: 'external', databaseUrl: env.DATABASE_URL };
  else postgres = { mode: localPostgresUsable ? 'local' : 'embedded' };
  const kafka = env.KAFKA_BROKERS
    ? { mode: 'external', brokers: env.KAFKA_BROKERS }
    : { mode: 'local', brokers: `127.0.0.1:${env.KAFKA_PORT || 9092}` };
  return { postgres, kafka, instances: instancesRequested(env) };
}

/**
 * PLATFORM_INSTANCES: how many instances of each of the platform's own
 * services `npm start` runs (1 to 9; the gateway always one), or null when
 * unset (then: as many as run now, else 1). Anything else is refused.
 */
export function instancesRequested(env) {
  const raw = env.PLATFORM_INSTANCES;
  if (raw === undefined || raw === '') return null;
  if (!/^[1-9]$/.test(raw.trim()))
    throw new Error(`PLATFORM_INSTANCES must be a whole number from 1 to 9, not "${raw}"`);
  return Number(raw);
}

/**
 * The port of a service's instance (1-based): the service's own port for the
 * first, then 100 more for each further one (contacts: 3101, 3201, 3301...).
 */
export function instancePort(port, instance) {
  return port + (instance - 1) * 100;
}

/** The name of a service's instance: the service's name, then `contacts-2`, `contacts-3`... */
export function instanceName(name, instance) {
  return instance === 1 ? name : `${name}-${instance}`;
}

/**
 * Why this start must not go on, or null when it may. `recorded` is
 * .data/platform.json, `requested` what requestedSettings resolved, and
 * `running` the services alive now ({ name, pid, own }: own false for an emulator). With nothing running
 * anything may change; with services running only the same settings may
 * start again (the running ones are left as they are, the others started).
 */
export function startConflict({ recorded, requested, running }) {
  if (running.length === 0) return null;
  const differences = [];
  if (!samePostgres(recorded, requested.postgres))
    differences.push(
      `PostgreSQL: runs on ${describeRecordedPostgres(recorded)}; this start would use ${describePostgres(requested.postgres)}`,
    );
  if (!sameBrokers(recorded.kafkaBrokers, requested.kafka.brokers))
    differences.push(
      `Kafka: runs on ${recorded.kafkaBrokers ? `${recorded.kafka ?? '?'} ${recorded.kafkaBrokers}` : 'unknown brokers (not in .data/platform.json)'}; this start would use ${requested.kafka.mode} ${requested.kafka.brokers}`,
    );
  // Emulators alone may stay whatever the number of instances (`own: false`).
  const ownRunning = running.some((service) => service.own !== false);
  if (
    ownRunning &&
    requested.instances !== null &&
    requested.instances !== (recorded.instances ?? 1)
  )
    differences.push(
      `instances: ${recorded.instances ?? 1} of each service run; this start asks for ${requested.instances} (PLATFORM_INSTANCES)`,
    );
  if (differences.length === 0) return null;
  const what = running.map(({ name, pid }) => `${name} (pid ${pid})`).join(', ');
  return [
    `the platform already runs with other settings: ${what}.`,
    ...differences.map((line) => `  ${line}`),
    'Starting now would leave the running services on other settings than .data/platform.json would record.',
    'Run `npm stop` first to start with the new settings, or start with the settings it runs with.',
  ].join('\n');
}

function samePostgres(recorded, requested) {
  if (!recorded.databaseUrl) return false;
  // An external URL names its database; the same server reached as "local" or
  // "external" is still another setting, refused like any other.
  if (requested.mode === 'external' || recorded.postgres === 'external')
    return (
      requested.mode === recorded.postgres &&
      normalizedUrl(requested.databaseUrl) === normalizedUrl(recorded.databaseUrl)
    );
  return requested.mode === recorded.postgres;
}

/** As infra/postgres/postgres.mjs records it: the database "engagement" when the URL names none. */
function normalizedUrl(url) {
  try {
    const parsed = new URL(url);
    if (!decodeURIComponent(parsed.pathname.replace(/^\//, ''))) parsed.pathname = '/engagement';
    return parsed.toString();
  } catch {
    return url;
  }
}

function sameBrokers(a, b) {
  const list = (brokers) =>
    (brokers ?? '')
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean)
      .sort()
      .join(',');
  return Boolean(a) && list(a) === list(b);
}

function describeRecordedPostgres(recorded) {
  return recorded.databaseUrl
    ? `${recorded.postgres ?? '?'} ${redactUrl(recorded.databaseUrl)}`
    : 'an unknown database (not in .data/platform.json)';
}

function describePostgres(postgres) {
  if (postgres.mode === 'external')
    return `external ${redactUrl(postgres.databaseUrl)} (DATABASE_URL)`;
  if (postgres.mode === 'local')
    return `local 127.0.0.1:${LOCAL_POSTGRES_PORT} (neither DATABASE_URL nor PG_FORCE_EMBEDDED=1 is set)`;
  return 'embedded (.data/postgres)';
}
