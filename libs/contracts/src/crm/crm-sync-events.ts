// The events of the CRM connectors' sync streams (`crm-<provider>-<contactId>`),
// published on the Kafka topics `crm.<provider>`: what each push to a CRM did.
// The contacts service consumes them (CRM ids into external_mappings,
// activities' synced_to_crms); each connector's crm_sync_logs rows are a
// projection of them. Personal data stays out: payloads name the CRM fields
// that were sent, never their values, so these events need no crypto-shredding.
//
// Change only by adding (see upcasting.ts).
import type { DomainEvent } from '@engagement/decider';
import type { JsonObject } from '@engagement/event-store';

export const CRM_SYNC_TYPES = [
  'contact_create',
  'contact_update',
  'contact_delete',
  'activity_create',
  'tag_sync',
  'property_sync',
  'bulk_import',
  'webhook_received',
] as const;
export type CrmSyncType = (typeof CRM_SYNC_TYPES)[number];

export type CrmSyncStatus = 'success' | 'failed' | 'partial' | 'skipped';

type Json = JsonObject;

/** What every sync event says about the operation (one crm_sync_logs row each). */
export type CrmOperation = {
  provider: string;
  integrationId: string;
  contactId: string;
  syncType: CrmSyncType;
  /** When the call answered (ISO 8601). */
  syncedAt: string;
  durationMs: number;
  /** What was sent, without personal values (field names, list ids, counts). */
  payload: Json | null;
  /** What the provider answered, without personal values. */
  response: Json | null;
};

/** The contact is in the CRM with this id (created, or updated in place). */
export type CrmContactSyncedData = CrmOperation & { externalId: string; created: boolean; skippedFields: string[] };
export type CrmContactSynced = DomainEvent<'CrmContactSynced', CrmContactSyncedData & Json>;

/** The activity is in the CRM as a note (or timeline event) with this id. */
export type CrmActivitySyncedData = CrmOperation & { activityId: string; externalId: string };
export type CrmActivitySynced = DomainEvent<'CrmActivitySynced', CrmActivitySyncedData & Json>;

/** The contact's tags went to the CRM (HubSpot list memberships, GoHighLevel tags). */
export type CrmTagsSyncedData = CrmOperation & { externalId: string; added: string[]; removed: string[]; skipped: string[] };
export type CrmTagsSynced = DomainEvent<'CrmTagsSynced', CrmTagsSyncedData & Json>;

/** The contact was deleted in the CRM (GDPR erasure here). */
export type CrmContactDeletedData = CrmOperation & { externalId: string };
export type CrmContactDeleted = DomainEvent<'CrmContactDeleted', CrmContactDeletedData & Json>;

/** A push failed for good: the provider refused it, or it was dead-lettered after its attempts. */
export type CrmSyncFailedData = CrmOperation & {
  entityType: 'contact' | 'activity' | 'tag';
  entityId: string;
  externalId: string | null;
  errorCode: string;
  errorMessage: string;
  errorDetails: Json | null;
  deadLettered: boolean;
};
export type CrmSyncFailed = DomainEvent<'CrmSyncFailed', CrmSyncFailedData & Json>;

export type CrmSyncEvent = CrmContactSynced | CrmActivitySynced | CrmTagsSynced | CrmContactDeleted | CrmSyncFailed;
export type CrmSyncEventType = CrmSyncEvent['type'];

export const CRM_SYNC_EVENT_SCHEMA_VERSIONS = {
  CrmContactSynced: 1,
  CrmActivitySynced: 1,
  CrmTagsSynced: 1,
  CrmContactDeleted: 1,
  CrmSyncFailed: 1,
} as const satisfies Record<CrmSyncEventType, number>;

export function isCrmSyncEventType(type: string): type is CrmSyncEventType {
  return Object.hasOwn(CRM_SYNC_EVENT_SCHEMA_VERSIONS, type);
}

/** The stream of one contact's syncs to one CRM. */
export function crmSyncStreamId(provider: string, contactId: string): string {
  return `crm-${provider}-${contactId}`;
}

/** The topic a connector publishes its sync events on. */
export function crmTopic(provider: string): string {
  return `crm.${provider}`;
}
