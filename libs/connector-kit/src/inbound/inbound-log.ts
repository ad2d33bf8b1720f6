// crm_sync_logs rows of inbound changes, applied by the connector's
// projection (sync-log/connector-projection.ts) from the inbound streams:
// one `webhook_received` row per stored webhook change, one row per
// outcome (contact_create, contact_update, contact_delete; status success,
// skipped with the reason, or failed), all with sync_direction `pull`.
// Names of fields only, never values.
import type { RecordedEvent } from '@engagement/event-store';
import type { PoolClient } from 'pg';
import type { CrmInboundOutcomeData, CrmWebhookReceivedData } from './inbound.events';

export const INBOUND_LOG_EVENT_TYPES = new Set(['CrmWebhookReceived', 'CrmInboundApplied']);

export async function applyInboundLog(event: RecordedEvent, client: PoolClient): Promise<void> {
  if (event.type === 'CrmWebhookReceived') {
    const d = event.data as unknown as CrmWebhookReceivedData;
    await client.query(
      `INSERT INTO crm_sync_logs (id, integration_id, provider, sync_type, sync_direction, entity_type, entity_id,
         external_id, status, payload, response, duration_ms, synced_at, created_at)
       VALUES ($1,$2,$3,'webhook_received','pull','contact',NULL,$4,'success',$5,NULL,0,$6,$6)
       ON CONFLICT (id) DO NOTHING`,
      [event.id, d.integrationId, d.provider, d.externalId, JSON.stringify({ label: d.label, kind: d.kind, occurredAt: d.occurredAt, fields: d.fieldNames }), d.receivedAt],
    );
    return;
  }
  if (event.type === 'CrmInboundApplied') {
    const d = event.data as unknown as CrmInboundOutcomeData;
    await client.query(
      `INSERT INTO crm_sync_logs (id, integration_id, provider, sync_type, sync_direction, entity_type, entity_id,
         external_id, status, payload, response, error_code, error_message, duration_ms, synced_at, created_at)
       VALUES ($1,$2,$3,$4,'pull','contact',$5,$6,$7,$8,NULL,$9,$10,$11,$12,$12)
       ON CONFLICT (id) DO NOTHING`,
      [
        event.id, d.integrationId, d.provider, d.syncType, d.contactId, d.externalId, d.status,
        JSON.stringify({ via: d.via, applied: d.applied, skipped: d.skipped }),
        d.status === 'success' ? null : d.status === 'skipped' ? 'skipped' : 'refused',
        d.reason, d.durationMs, d.at,
      ],
    );
  }
}
