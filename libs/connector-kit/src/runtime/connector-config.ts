// A connector's settings, read once from the environment. Every name is
// prefixed with the connector's (CONNECTOR_HUBSPOT_PORT, ...), so the two
// connectors run side by side from one environment.
import { loadPlatformConfig } from '@engagement/config';
import type { ProviderFacts } from '../providers/provider-facts';
import { providerBaseUrl } from '../providers/provider-facts';

export interface ConnectorConfig {
  provider: ProviderFacts['key'];
  serviceName: string;
  port: number;
  host: string;
  databaseUrl: string;
  kafkaBrokers: string[];
  eventStoreConnectionString: string | undefined;
  /** The connector's own schema: connector_hubspot, connector_gohighlevel. */
  schema: string;
  eventStoreSchema: string;
  /** Where contacts events come from (`contacts`; tests use their own). */
  contactsTopic: string;
  /** Where its sync events go (`crm.<provider>`; tests use their own). */
  crmTopic: string;
  topicPartitions: number;
  consumerGroup: string;
  apiBaseUrl: string;
  contactsUrl: string;
  relayEnabled: boolean;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

export function loadConnectorConfig(facts: ProviderFacts, env: NodeJS.ProcessEnv = process.env): ConnectorConfig {
  const prefix = `CONNECTOR_${facts.key.toUpperCase()}`;
  const platform = loadPlatformConfig(env);
  const schema = env[`${prefix}_SCHEMA`] ?? `connector_${facts.key}`;
  const eventStoreSchema = env.EVENT_STORE_SCHEMA ?? 'event_store';
  for (const [name, value] of [[`${prefix}_SCHEMA`, schema], ['EVENT_STORE_SCHEMA', eventStoreSchema]]) {
    if (!IDENT.test(value)) throw new Error(`${name} must be a lower-case PostgreSQL identifier; got "${value}"`);
  }
  const defaultPort = facts.key === 'hubspot' ? 3104 : 3105;
  return {
    provider: facts.key,
    serviceName: `connector-${facts.key}`,
    port: Number(env[`${prefix}_PORT`] ?? defaultPort),
    host: env[`${prefix}_HOST`] ?? '127.0.0.1',
    databaseUrl: platform.databaseUrl,
    kafkaBrokers: platform.kafkaBrokers,
    eventStoreConnectionString: platform.eventStoreConnectionString,
    schema,
    eventStoreSchema,
    contactsTopic: env[`${prefix}_CONTACTS_TOPIC`] ?? env.CONTACTS_TOPIC ?? 'contacts',
    crmTopic: env[`${prefix}_TOPIC`] ?? `crm.${facts.key}`,
    topicPartitions: Number(env[`${prefix}_TOPIC_PARTITIONS`] ?? 6),
    consumerGroup: env[`${prefix}_GROUP`] ?? `connector-${facts.key}`,
    apiBaseUrl: providerBaseUrl(facts, env),
    contactsUrl: env.CONTACTS_URL ?? 'http://127.0.0.1:3101',
    relayEnabled: env[`${prefix}_RELAY`] !== 'off',
  };
}
