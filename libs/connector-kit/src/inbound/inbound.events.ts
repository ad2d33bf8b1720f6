// The events of changes coming in from a CRM, on the connector's own streams
// `inbound-<provider>-<uuid>` (one per change the CRM reported, the uuid
// derived from the provider's event id, so a redelivery lands on the same
// stream under the same event id and is stored once). They are not relayed
// to Kafka: what the change does here reaches the others as the contacts
// service's own events. The CRM's values travel only inside a credential
// envelope (encrypted with the connector's master key): events are kept
// forever and read by operators' tools.
import type { DomainEvent } from '@engagement/decider';
import type { CredentialEnvelope } from '../credentials/credential-envelope';

export type CrmWebhookReceivedData = {
  provider: string;
  integrationId: string;
  dedupKey: string;
  externalId: string;
  kind: 'upsert' | 'delete' | 'merge';
  label: string;
  occurredAt: string;
  receivedAt: string;
  /** Names of the CRM fields the change carries (no values). */
  fieldNames: string[];
  /** {change: JSON of the InboundChange}, encrypted. */
  change: CredentialEnvelope;
};
export type CrmWebhookReceived = DomainEvent<'CrmWebhookReceived', CrmWebhookReceivedData>;

/** What applying one inbound change did (or why it did nothing). */
export type CrmInboundOutcomeData = {
  provider: string;
  integrationId: string;
  externalId: string;
  contactId: string | null;
  syncType: 'contact_create' | 'contact_update' | 'contact_delete' | 'tag_sync';
  status: 'success' | 'skipped' | 'failed';
  /** Our fields changed here, tags added and removed (names, no values). */
  applied: string[];
  /** field → why the CRM's value was not taken (echo, conflict policy, ...). */
  skipped: Record<string, string>;
  reason: string | null;
  via: 'webhook' | 'resync';
  at: string;
  durationMs: number;
};
export type CrmInboundApplied = DomainEvent<'CrmInboundApplied', CrmInboundOutcomeData>;

export type InboundEvent = CrmWebhookReceived | CrmInboundApplied;

export const INBOUND_EVENT_SCHEMA_VERSIONS = { CrmWebhookReceived: 1, CrmInboundApplied: 1 } as const;

export function inboundStreamPrefix(provider: string): string {
  return `inbound-${provider}-`;
}
