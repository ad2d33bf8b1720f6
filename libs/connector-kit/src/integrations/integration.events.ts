// The events of an integration's stream (`integration-<provider>`: one
// integration per provider, as the seed's UNIQUE provider says). Secrets
// travel only as credential envelopes (credential-envelope.ts), never in
// clear: events are kept forever and read by operators' tools.
import type { DomainEvent } from '@engagement/decider';
import type { JsonObject } from '@engagement/event-store';
import type { CredentialEnvelope } from '../credentials/credential-envelope';

export const INTEGRATION_STATUSES = ['active', 'paused', 'error', 'disconnected'] as const;
export type IntegrationStatus = (typeof INTEGRATION_STATUSES)[number];

export const PROVIDER_TYPES = ['crm', 'email_provider', 'sms_provider', 'event_platform', 'payment', 'calendar', 'analytics'] as const;
export const AUTH_TYPES = ['api_key', 'oauth2', 'oauth1', 'basic_auth', 'jwt', 'server_to_server'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];


/** The settings an administrator edits (seed columns, camelCase). */
export type IntegrationSettings = {
  displayName: string;
  description: string | null;
  config: JsonObject;
  fieldMappings: JsonObject;
  capabilities: JsonObject;
  webhookUrl: string | null;
};

export type IntegrationConnectedData = IntegrationSettings & {
  integrationId: string;
  provider: string;
  providerType: string;
  authType: AuthType;
  credentials: CredentialEnvelope;
  /** The webhook secret's own envelope, when one was given. */
  webhookSecret: CredentialEnvelope | null;
};
export type IntegrationConnected = DomainEvent<'IntegrationConnected', IntegrationConnectedData & JsonObject>;

/** Only the settings that changed are present. */
export type IntegrationConfigUpdatedData = Partial<IntegrationSettings> & { integrationId: string };
export type IntegrationConfigUpdated = DomainEvent<'IntegrationConfigUpdated', IntegrationConfigUpdatedData & JsonObject>;

export type IntegrationCredentialsReplacedData = {
  integrationId: string;
  credentials: CredentialEnvelope;
  /** updated by an administrator, refreshed (OAuth2), rewrapped (master key rotation). */
  reason: 'updated' | 'refreshed' | 'rewrapped';
};
export type IntegrationCredentialsReplaced = DomainEvent<'IntegrationCredentialsReplaced', IntegrationCredentialsReplacedData & JsonObject>;

export type IntegrationPaused = DomainEvent<'IntegrationPaused', { integrationId: string }>;
export type IntegrationResumed = DomainEvent<'IntegrationResumed', { integrationId: string }>;
export type IntegrationDisconnected = DomainEvent<'IntegrationDisconnected', { integrationId: string }>;
/** The integration cannot work until someone acts (a refresh token the provider rejected). */
export type IntegrationFailed = DomainEvent<'IntegrationFailed', { integrationId: string; error: string }>;

export type IntegrationEvent =
  | IntegrationConnected
  | IntegrationConfigUpdated
  | IntegrationCredentialsReplaced
  | IntegrationPaused
  | IntegrationResumed
  | IntegrationDisconnected
  | IntegrationFailed;

export const INTEGRATION_EVENT_SCHEMA_VERSIONS = {
  IntegrationConnected: 1,
  IntegrationConfigUpdated: 1,
  IntegrationCredentialsReplaced: 1,
  IntegrationPaused: 1,
  IntegrationResumed: 1,
  IntegrationDisconnected: 1,
  IntegrationFailed: 1,
} as const satisfies Record<IntegrationEvent['type'], number>;

export function integrationStreamId(provider: string): string {
  return `integration-${provider}`;
}
