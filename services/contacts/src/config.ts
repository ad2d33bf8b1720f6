// The contacts service's settings, read once at start from the environment
// (and, for the database and broker, from loadPlatformConfig). Tests build
// a ContactsConfig directly, with their own schema names, so that test files
// can run side by side against one database.
import { loadPlatformConfig } from '@engagement/config';

export interface ContactsConfig {
  port: number;
  host: string;
  databaseUrl: string;
  kafkaBrokers: string[];
  eventStoreConnectionString: string | undefined;
  /** The service's own PostgreSQL schema: read model, data keys, import jobs. */
  schema: string;
  /** The PostgreSQL event store's schema (shared by the platform's services). */
  eventStoreSchema: string;
  /** CONTACTS_MASTER_KEYS, as given: "keyId:base64[,older...]"; undefined when unset. */
  masterKeys: string | undefined;
  /** development (the default) or production: production refuses to invent a master key. */
  environment: 'development' | 'production';
  /** CONTACTS_LEAD_SCORING_RULES: inline JSON or the path of a JSON file; undefined: the defaults. */
  leadScoringRules: string | undefined;
  /** Whether this process relays its events to Kafka (off in tests that have no broker to spare). */
  relayEnabled: boolean;
  /** The Kafka topic the relay produces to: `contacts` (tests use their own). */
  topic: string;
  /** Partitions of the topic when the relay creates it. */
  topicPartitions: number;
  /** Whether this process processes bulk import jobs in the background. */
  importWorkerEnabled: boolean;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function schemaName(value: string | undefined, fallback: string, variable: string): string {
  const schema = value ?? fallback;
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`${variable} must be a lower-case PostgreSQL identifier; got "${schema}"`);
  }
  return schema;
}

function port(value: string | undefined): number {
  const parsed = Number(value ?? '3101');
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) {
    throw new Error(`CONTACTS_PORT must be a port number; got "${value}"`);
  }
  return parsed;
}

function positiveInteger(value: string | undefined, fallback: number, variable: string): number {
  const parsed = Number(value ?? fallback);
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new Error(`${variable} must be a positive integer; got "${value}"`);
  }
  return parsed;
}

export function loadContactsConfig(env: NodeJS.ProcessEnv = process.env): ContactsConfig {
  const platform = loadPlatformConfig(env);
  return {
    port: port(env.CONTACTS_PORT),
    host: env.CONTACTS_HOST ?? '127.0.0.1',
    databaseUrl: platform.databaseUrl,
    kafkaBrokers: platform.kafkaBrokers,
    eventStoreConnectionString: platform.eventStoreConnectionString,
    schema: schemaName(env.CONTACTS_SCHEMA, 'contacts', 'CONTACTS_SCHEMA'),
    eventStoreSchema: schemaName(env.EVENT_STORE_SCHEMA, 'event_store', 'EVENT_STORE_SCHEMA'),
    masterKeys: env.CONTACTS_MASTER_KEYS || undefined,
    environment: env.NODE_ENV === 'production' ? 'production' : 'development',
    leadScoringRules: env.CONTACTS_LEAD_SCORING_RULES || undefined,
    relayEnabled: env.CONTACTS_RELAY !== 'off',
    topic: env.CONTACTS_TOPIC ?? 'contacts',
    topicPartitions: positiveInteger(env.CONTACTS_TOPIC_PARTITIONS, 6, 'CONTACTS_TOPIC_PARTITIONS'),
    importWorkerEnabled: env.CONTACTS_IMPORT_WORKER !== 'off',
  };
}
