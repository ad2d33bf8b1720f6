// The settings every service reads the same way, from variables named after
// the service (CONTACTS_PORT, EVENTS_SCHEMA, ...), plus the small parsers a
// service's own config.ts uses for the rest. Tests build a config directly,
// with their own schema and topic names, so test files run side by side.
import { loadPlatformConfig } from '@engagement/config';
import { loadServiceTokenKey } from '@engagement/service-auth';

export interface ServiceConfig {
  /** The service's name: service tokens for it are addressed to it ('contacts', 'connector-hubspot'). */
  name: string;
  /** The key service tokens are verified and signed with (PLATFORM_TOKEN_SECRET; generated in development). */
  serviceTokenKey: Buffer;
  port: number;
  host: string;
  databaseUrl: string;
  kafkaBrokers: string[];
  eventStoreConnectionString: string | undefined;
  /** The service's own PostgreSQL schema: read models, checkpoints, its tables. */
  schema: string;
  /** The PostgreSQL event store's schema (shared by the platform's services). */
  eventStoreSchema: string;
  /** Whether this process relays its events to Kafka (off in tests that have no broker to spare). */
  relayEnabled: boolean;
  /** The Kafka topic the relay produces to (tests use their own). */
  topic: string;
  /** Partitions of the topic when the relay creates it. */
  topicPartitions: number;
}

export interface ServiceConfigDefaults {
  /** Prefix of the service's variables: 'CONTACTS' reads CONTACTS_PORT, CONTACTS_SCHEMA, ... */
  prefix: string;
  port: number;
  /** The service's name, as service tokens address it; default: the schema with - for _. */
  name?: string;
  /** Default schema and topic: the service's name ('contacts', 'events'). */
  schema: string;
  topic: string;
  topicPartitions?: number;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** A PostgreSQL schema name from the environment: a plain lower-case identifier. */
export function schemaName(value: string | undefined, fallback: string, variable: string): string {
  const schema = value ?? fallback;
  if (!IDENTIFIER.test(schema)) {
    throw new Error(`${variable} must be a lower-case PostgreSQL identifier; got "${schema}"`);
  }
  return schema;
}

export function portNumber(value: string | undefined, fallback: number, variable: string): number {
  const parsed = Number(value ?? fallback);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) {
    throw new Error(`${variable} must be a port number; got "${value}"`);
  }
  return parsed;
}

export function positiveInteger(
  value: string | undefined,
  fallback: number,
  variable: string,
): number {
  const parsed = Number(value ?? fallback);
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new Error(`${variable} must be a positive integer; got "${value}"`);
  }
  return parsed;
}

/**
 * <PREFIX>_PORT, <PREFIX>_HOST (127.0.0.1), <PREFIX>_SCHEMA, EVENT_STORE_SCHEMA,
 * <PREFIX>_RELAY (`off` disables it), <PREFIX>_TOPIC, <PREFIX>_TOPIC_PARTITIONS (6),
 * and where the database and broker are (loadPlatformConfig).
 */
export function loadServiceConfig(
  defaults: ServiceConfigDefaults,
  env: NodeJS.ProcessEnv = process.env,
): ServiceConfig {
  const platform = loadPlatformConfig(env);
  const name = (suffix: string) => `${defaults.prefix}_${suffix}`;
  return {
    name: defaults.name ?? defaults.schema.replace(/_/g, '-'),
    serviceTokenKey: loadServiceTokenKey(env),
    port: portNumber(env[name('PORT')], defaults.port, name('PORT')),
    host: env[name('HOST')] ?? '127.0.0.1',
    databaseUrl: platform.databaseUrl,
    kafkaBrokers: platform.kafkaBrokers,
    eventStoreConnectionString: platform.eventStoreConnectionString,
    schema: schemaName(env[name('SCHEMA')], defaults.schema, name('SCHEMA')),
    eventStoreSchema: schemaName(env.EVENT_STORE_SCHEMA, 'event_store', 'EVENT_STORE_SCHEMA'),
    relayEnabled: env[name('RELAY')] !== 'off',
    topic: env[name('TOPIC')] ?? defaults.topic,
    topicPartitions: positiveInteger(
      env[name('TOPIC_PARTITIONS')],
      defaults.topicPartitions ?? 6,
      name('TOPIC_PARTITIONS'),
    ),
  };
}
