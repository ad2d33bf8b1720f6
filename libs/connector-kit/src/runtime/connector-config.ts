// A connector's settings: the common service settings under its own prefix
// (CONNECTOR_HUBSPOT_PORT, CONNECTOR_HUBSPOT_SCHEMA, CONNECTOR_HUBSPOT_TOPIC,
// ...; libs/service-runtime), plus where contacts events come from, where
// the provider's API is (HUBSPOT_API_BASE / GHL_API_BASE) and where the
// contacts service answers (data keys for personal fields).
import { loadServiceConfig, type ServiceConfig } from '@engagement/service-runtime';
import type { ProviderFacts } from '../providers/provider-facts';
import { providerBaseUrl } from '../providers/provider-facts';

export interface ConnectorConfig extends ServiceConfig {
  provider: ProviderFacts['key'];
  /** connector-hubspot, connector-gohighlevel: the service's name and audience. */
  serviceName: string;
  /** Where contacts events come from (`contacts`; tests use their own). */
  contactsTopic: string;
  consumerGroup: string;
  apiBaseUrl: string;
  contactsUrl: string;
}

export const CONNECTOR_PORTS: Record<ProviderFacts['key'], number> = {
  hubspot: 3104,
  gohighlevel: 3105,
};

export function loadConnectorConfig(
  facts: ProviderFacts,
  env: NodeJS.ProcessEnv = process.env,
): ConnectorConfig {
  const prefix = `CONNECTOR_${facts.key.toUpperCase()}`;
  const base = loadServiceConfig(
    {
      prefix,
      name: `connector-${facts.key}`,
      port: CONNECTOR_PORTS[facts.key],
      schema: `connector_${facts.key}`,
      topic: `crm.${facts.key}`,
    },
    env,
  );
  return {
    ...base,
    provider: facts.key,
    serviceName: base.name,
    contactsTopic: env[`${prefix}_CONTACTS_TOPIC`] ?? env.CONTACTS_TOPIC ?? 'contacts',
    consumerGroup: env[`${prefix}_GROUP`] ?? `connector-${facts.key}`,
    apiBaseUrl: providerBaseUrl(facts, env),
    contactsUrl: env.CONTACTS_URL ?? 'http://127.0.0.1:3101',
  };
}
