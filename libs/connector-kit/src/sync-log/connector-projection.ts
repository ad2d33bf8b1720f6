// The projection of a connector's own events into the seed's tables:
// integration streams into `integrations`, sync streams into
// `crm_sync_logs` (one row per operation, the event's id as the row's id,
// so rows are a pure function of the events and a rebuild gives the same
// table). A CRM delete after an erasure blanks the payloads and responses of
// that contact's rows. Registered with the projection runner: `npm run
// projections` rebuilds, audits and swaps it like any other.
import type { CrmSyncEvent } from '@engagement/contracts';
import type { RecordedEvent } from '@engagement/event-store';
import type { ProjectionDefinition } from '@engagement/projections';
import type { PoolClient } from 'pg';
import type { IntegrationEvent } from '../integrations/integration.events';
import { ENSURE_UUID_OSSP_SQL, UUID_OSSP_SCHEMA_SQL, seedTablesSql } from '../migrations/connector-ddl';
import { applyInboundLog, INBOUND_LOG_EVENT_TYPES } from '../inbound/inbound-log';
import { inboundStreamPrefix } from '../inbound/inbound.events';

export function connectorProjection(provider: string, schema: string): ProjectionDefinition {
  return {
    name: `connector-${provider}`,
    schema,
    tables: [
      { name: 'integrations', primaryKey: ['id'] },
      { name: 'crm_sync_logs', primaryKey: ['id'] },
    ],
    source: 'event-store',
    filter: { streamPrefixes: [`integration-${provider}`, `crm-${provider}-`, inboundStreamPrefix(provider)] },
    async migrate(client, target) {
      await client.query(ENSURE_UUID_OSSP_SQL);
      const { rows } = await client.query<{ schema: string }>(UUID_OSSP_SCHEMA_SQL);
      for (const sql of seedTablesSql(target, rows[0].schema)) await client.query(sql);
    },
    async apply(events, client) {
      for (const event of events) await applyOne(event, client);
    },
  };
}

const SYNC_TYPES = new Set(['CrmContactSynced', 'CrmActivitySynced', 'CrmTagsSynced', 'CrmContactDeleted', 'CrmSyncFailed']);

async function applyOne(event: RecordedEvent, client: PoolClient): Promise<void> {
  const at = event.metadata.occurredAt;
  if (INBOUND_LOG_EVENT_TYPES.has(event.type)) return applyInboundLog(event, client);
  if (SYNC_TYPES.has(event.type)) return applySync(event.id, { type: event.type, data: event.data } as CrmSyncEvent, client);
  const e = { type: event.type, data: event.data } as IntegrationEvent;
  switch (e.type) {
    case 'IntegrationConnected': {
      const d = e.data;
      await client.query(
        `INSERT INTO integrations (id, provider, display_name, description, provider_type, auth_type, credentials,
           config, field_mappings, capabilities, status, last_error, webhook_url, webhook_secret, created_at, updated_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,'active',NULL,$11,$12,$13,$13)
         ON CONFLICT (id) DO UPDATE SET display_name = $3, description = $4, provider_type = $5, auth_type = $6,
           credentials = $7, config = $8, field_mappings = $9, capabilities = $10, status = 'active', last_error = NULL,
           webhook_url = $11, webhook_secret = $12, updated_at = $13`,
        [
          d.integrationId, d.provider, d.displayName, d.description, d.providerType, d.authType,
          JSON.stringify(d.credentials), JSON.stringify(d.config), JSON.stringify(d.fieldMappings),
          JSON.stringify(d.capabilities), d.webhookUrl,
          // The column is TEXT: the secret's envelope, serialised; never the secret.
          d.webhookSecret === null ? null : JSON.stringify(d.webhookSecret), at,
        ],
      );
      return;
    }
    case 'IntegrationConfigUpdated': {
      const d = e.data;
      const columns: Array<[string, unknown]> = [];
      if (d.displayName !== undefined) columns.push(['display_name', d.displayName]);
      if (d.description !== undefined) columns.push(['description', d.description]);
      if (d.config !== undefined) columns.push(['config', JSON.stringify(d.config)]);
      if (d.fieldMappings !== undefined) columns.push(['field_mappings', JSON.stringify(d.fieldMappings)]);
      if (d.capabilities !== undefined) columns.push(['capabilities', JSON.stringify(d.capabilities)]);
      if (d.webhookUrl !== undefined) columns.push(['webhook_url', d.webhookUrl]);
      const sets = columns.map(([c], i) => `${c} = $${i + 3}`);
      await client.query(`UPDATE integrations SET updated_at = $2${sets.map((s) => `, ${s}`).join('')} WHERE id = $1`, [
        d.integrationId, at, ...columns.map(([, v]) => v),
      ]);
      return;
    }
    case 'IntegrationCredentialsReplaced':
      await client.query(`UPDATE integrations SET credentials = $2, updated_at = $3 WHERE id = $1`, [
        e.data.integrationId, JSON.stringify(e.data.credentials), at,
      ]);
      return;
    case 'IntegrationPaused':
    case 'IntegrationResumed':
    case 'IntegrationDisconnected': {
      const status = { IntegrationPaused: 'paused', IntegrationResumed: 'active', IntegrationDisconnected: 'disconnected' }[e.type];
      await client.query(
        `UPDATE integrations SET status = $2, last_error = CASE WHEN $2 = 'active' THEN NULL ELSE last_error END, updated_at = $3 WHERE id = $1`,
        [e.data.integrationId, status, at],
      );
      return;
    }
    case 'IntegrationFailed':
      await client.query(`UPDATE integrations SET status = 'error', last_error = $2, updated_at = $3 WHERE id = $1`, [
        e.data.integrationId, e.data.error, at,
      ]);
      return;
  }
}

async function applySync(id: string, e: CrmSyncEvent, client: PoolClient): Promise<void> {
  const d = e.data;
  const row = {
    entityType: 'contact',
    entityId: d.contactId,
    externalId: null as string | null,
    status: 'success',
    errorCode: null as string | null,
    errorMessage: null as string | null,
    errorDetails: null as unknown,
  };
  switch (e.type) {
    case 'CrmContactSynced':
      row.externalId = e.data.externalId;
      break;
    case 'CrmActivitySynced':
      Object.assign(row, { entityType: 'activity', entityId: e.data.activityId, externalId: e.data.externalId });
      break;
    case 'CrmTagsSynced':
      Object.assign(row, { externalId: e.data.externalId, status: e.data.skipped.length > 0 ? 'partial' : 'success' });
      break;
    case 'CrmContactDeleted':
      row.externalId = e.data.externalId;
      // Erased here, deleted there: nothing the rows kept of the contact stays.
      await client.query(
        `UPDATE crm_sync_logs SET payload = NULL, response = NULL, error_details = NULL
          WHERE (entity_type = 'contact' AND entity_id = $1)
             OR (entity_type = 'activity' AND payload->>'contactId' = $1::text)`,
        [d.contactId],
      );
      break;
    case 'CrmSyncFailed':
      Object.assign(row, {
        entityType: e.data.entityType,
        entityId: e.data.entityId,
        externalId: e.data.externalId,
        status: 'failed',
        errorCode: e.data.errorCode,
        errorMessage: e.data.errorMessage,
        errorDetails: e.data.errorDetails,
      });
      break;
  }
  await client.query(
    `INSERT INTO crm_sync_logs (id, integration_id, provider, sync_type, sync_direction, entity_type, entity_id,
       external_id, status, payload, response, error_code, error_message, error_details, duration_ms, synced_at, created_at)
     VALUES ($1,$2,$3,$4,'push',$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$15)
     ON CONFLICT (id) DO NOTHING`,
    [
      id, d.integrationId, d.provider, d.syncType, row.entityType, row.entityId, row.externalId, row.status,
      e.type === 'CrmContactDeleted' ? null : JSON.stringify(d.payload),
      e.type === 'CrmContactDeleted' ? null : JSON.stringify(d.response),
      row.errorCode, row.errorMessage, row.errorDetails === null ? null : JSON.stringify(row.errorDetails),
      d.durationMs, d.syncedAt,
    ],
  );
  if (row.status !== 'failed') {
    await client.query(
      `UPDATE integrations SET last_sync_at = GREATEST(COALESCE(last_sync_at, $2), $2) WHERE id = $1`,
      [d.integrationId, d.syncedAt],
    );
  }
}
