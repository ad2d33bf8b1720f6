// What the API shows of an integration and its sync: every seed column in
// camelCase except the secrets (credentials and webhook_secret say only
// whether they are set and under which master key id).
import { quoteIdent } from '@engagement/projections';
import type { Pool } from 'pg';

export interface IntegrationView {
  id: string;
  provider: string;
  displayName: string;
  description: string | null;
  providerType: string;
  authType: string;
  credentials: { set: true; keyId: string };
  config: unknown;
  fieldMappings: unknown;
  capabilities: unknown;
  status: string;
  lastSyncAt: string | null;
  lastError: string | null;
  webhookUrl: string | null;
  webhookSecretSet: boolean;
  createdAt: string;
  updatedAt: string;
}

export class IntegrationViews {
  private readonly s: string;
  constructor(
    private readonly pool: Pool,
    schema: string,
    private readonly provider: string,
  ) {
    this.s = quoteIdent(schema);
  }

  async integration(): Promise<IntegrationView | null> {
    const { rows } = await this.pool.query(`SELECT * FROM ${this.s}.integrations WHERE provider = $1`, [this.provider]);
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id,
      provider: r.provider,
      displayName: r.display_name,
      description: r.description,
      providerType: r.provider_type,
      authType: r.auth_type,
      credentials: { set: true, keyId: r.credentials?.kid ?? 'unknown' },
      config: r.config,
      fieldMappings: r.field_mappings,
      capabilities: r.capabilities,
      status: r.status,
      lastSyncAt: r.last_sync_at?.toISOString() ?? null,
      lastError: r.last_error,
      webhookUrl: r.webhook_url,
      webhookSecretSet: r.webhook_secret !== null,
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
    };
  }

  /** Counts by status over the last hour and day, the last errors, and the pusher's backlog. */
  async syncStatus(integrationId: string) {
    const counts = await this.pool.query<{ period: string; status: string; n: string }>(
      `SELECT w.period, l.status, count(*) AS n
         FROM ${this.s}.crm_sync_logs l
         JOIN (VALUES ('lastHour', interval '1 hour'), ('lastDay', interval '1 day')) AS w(period, span)
           ON l.synced_at > now() - w.span
        WHERE l.integration_id = $1
        GROUP BY w.period, l.status`,
      [integrationId],
    );
    const byWindow: Record<string, Record<string, number>> = {
      lastHour: { success: 0, failed: 0, partial: 0, skipped: 0 },
      lastDay: { success: 0, failed: 0, partial: 0, skipped: 0 },
    };
    for (const row of counts.rows) byWindow[row.period][row.status] = Number(row.n);
    const errors = await this.pool.query(
      `SELECT synced_at, sync_type, entity_type, entity_id, error_code, error_message
         FROM ${this.s}.crm_sync_logs WHERE integration_id = $1 AND status = 'failed'
        ORDER BY synced_at DESC LIMIT 10`,
      [integrationId],
    );
    const backlog = await this.pool.query<{ contacts: string; dead: string; notes: string }>(
      `SELECT (SELECT count(*) FROM ${this.s}.sync_contacts WHERE version > pushed_version AND NOT dead) AS contacts,
              (SELECT count(*) FROM ${this.s}.sync_contacts WHERE dead) AS dead,
              (SELECT count(*) FROM ${this.s}.sync_activities WHERE NOT pushed AND NOT dead) AS notes`,
    );
    return {
      counts: byWindow,
      lastErrors: errors.rows.map((e) => ({
        syncedAt: e.synced_at.toISOString(),
        syncType: e.sync_type,
        entityType: e.entity_type,
        entityId: e.entity_id,
        errorCode: e.error_code,
        errorMessage: e.error_message,
      })),
      pending: {
        contacts: Number(backlog.rows[0].contacts),
        notes: Number(backlog.rows[0].notes),
        deadLettered: Number(backlog.rows[0].dead),
      },
    };
  }
}
