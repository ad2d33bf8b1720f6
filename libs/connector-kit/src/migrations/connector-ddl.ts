// The DDL of a connector's schema (connector_hubspot, connector_gohighlevel):
// - the seed's `integrations` and `crm_sync_logs` (abstract-schema-v2.md,
//   sections 7 and 8), column for column: names, types, defaults,
//   nullability, the foreign key with ON DELETE CASCADE, and every index;
//   connector-ddl.int.spec.ts compares them with the seed's own DDL;
// - the connector's working tables (not in the seed): what it knows of the
//   contacts, tags and activities it pushes, kept from the contacts topic.
// Every statement re-runs (IF NOT EXISTS): a projection rebuild creates the
// seed tables in a fresh schema through the same function.
import { quoteIdent } from '@engagement/projections';

/** uuid_generate_v4() (the seed's id default) lives in uuid-ossp: created in public when no schema has it. */
export const ENSURE_UUID_OSSP_SQL = `DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'uuid-ossp') THEN
    PERFORM pg_advisory_xact_lock(hashtextextended('create extension uuid-ossp', 13));
    CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;
  END IF;
END
$$`;

export const UUID_OSSP_SCHEMA_SQL = `SELECT extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname = 'uuid-ossp'`;

/** The seed's two tables, in `schema`; `uuidSchema` is where uuid_generate_v4() is. */
export function seedTablesSql(schema: string, uuidSchema: string): string[] {
  const s = quoteIdent(schema);
  const uuid = `${uuidSchema}.uuid_generate_v4()`;
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE IF NOT EXISTS ${s}.integrations (
      id UUID PRIMARY KEY DEFAULT ${uuid},
      provider TEXT UNIQUE NOT NULL,
      display_name TEXT NOT NULL,
      description TEXT,
      provider_type TEXT NOT NULL,
      auth_type TEXT NOT NULL,
      credentials JSONB NOT NULL,
      config JSONB DEFAULT '{}'::JSONB,
      field_mappings JSONB DEFAULT '{}'::JSONB,
      capabilities JSONB DEFAULT '{}'::JSONB,
      status TEXT DEFAULT 'active',
      last_sync_at TIMESTAMPTZ,
      last_error TEXT,
      webhook_url TEXT,
      webhook_secret TEXT,
      created_at TIMESTAMPTZ DEFAULT NOW(),
      updated_at TIMESTAMPTZ DEFAULT NOW()
    )`,
    `CREATE INDEX IF NOT EXISTS idx_integrations_provider ON ${s}.integrations(provider)`,
    `CREATE INDEX IF NOT EXISTS idx_integrations_type ON ${s}.integrations(provider_type)`,
    `CREATE INDEX IF NOT EXISTS idx_integrations_status ON ${s}.integrations(status)`,
    `CREATE TABLE IF NOT EXISTS ${s}.crm_sync_logs (
      id UUID PRIMARY KEY DEFAULT ${uuid},
      integration_id UUID REFERENCES ${s}.integrations(id) ON DELETE CASCADE NOT NULL,
      provider TEXT NOT NULL,
      sync_type TEXT NOT NULL,
      sync_direction TEXT NOT NULL,
      entity_type TEXT NOT NULL,
      entity_id UUID,
      external_id TEXT,
      status TEXT NOT NULL,
      payload JSONB,
      response JSONB,
      error_code TEXT,
      error_message TEXT,
      error_details JSONB,
      duration_ms INTEGER,
      synced_at TIMESTAMPTZ DEFAULT NOW(),
      created_at TIMESTAMPTZ DEFAULT NOW()
    )`,
    `CREATE INDEX IF NOT EXISTS idx_crm_sync_logs_integration_id ON ${s}.crm_sync_logs(integration_id)`,
    `CREATE INDEX IF NOT EXISTS idx_crm_sync_logs_provider ON ${s}.crm_sync_logs(provider)`,
    `CREATE INDEX IF NOT EXISTS idx_crm_sync_logs_type ON ${s}.crm_sync_logs(sync_type)`,
    `CREATE INDEX IF NOT EXISTS idx_crm_sync_logs_status ON ${s}.crm_sync_logs(status)`,
    `CREATE INDEX IF NOT EXISTS idx_crm_sync_logs_entity ON ${s}.crm_sync_logs(entity_type, entity_id)`,
    `CREATE INDEX IF NOT EXISTS idx_crm_sync_logs_synced_at ON ${s}.crm_sync_logs(synced_at)`,
  ];
}

/**
 * The connector's working state, kept from the contacts topic: one row per
 * contact with what to push and how far it was pushed (version against
 * pushed_version: the row is its own outbox, so a crash re-pushes, and the
 * upsert keyed on email makes that harmless).
 */
export function workingTablesSql(schema: string): string[] {
  const s = quoteIdent(schema);
  return [
    `CREATE TABLE IF NOT EXISTS ${s}.sync_contacts (
      contact_id UUID PRIMARY KEY,
      email TEXT,
      first_name TEXT,
      last_name TEXT,
      phone TEXT,
      lifecycle_stage TEXT,
      lead_score INTEGER,
      properties JSONB NOT NULL DEFAULT '{}'::JSONB,
      tag_ids JSONB NOT NULL DEFAULT '[]'::JSONB,
      pushed_tag_ids JSONB NOT NULL DEFAULT '[]'::JSONB,
      sync_requested BOOLEAN NOT NULL DEFAULT false,
      external_id TEXT,
      pushed_email TEXT,
      version BIGINT NOT NULL DEFAULT 0,
      pushed_version BIGINT NOT NULL DEFAULT 0,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      dead BOOLEAN NOT NULL DEFAULT false,
      last_error TEXT,
      erased BOOLEAN NOT NULL DEFAULT false,
      changed_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX IF NOT EXISTS sync_contacts_pending ON ${s}.sync_contacts (changed_at)
       WHERE version > pushed_version AND NOT dead`,
    `CREATE TABLE IF NOT EXISTS ${s}.sync_tags (
      tag_id UUID PRIMARY KEY,
      slug TEXT NOT NULL,
      mapping_type TEXT,
      external_id TEXT
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.sync_activities (
      activity_id UUID PRIMARY KEY,
      contact_id UUID NOT NULL,
      activity_type TEXT NOT NULL,
      activity_data JSONB NOT NULL,
      occurred_at TIMESTAMPTZ NOT NULL,
      external_id TEXT,
      pushed BOOLEAN NOT NULL DEFAULT false,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      dead BOOLEAN NOT NULL DEFAULT false,
      last_error TEXT
    )`,
    `CREATE INDEX IF NOT EXISTS sync_activities_pending ON ${s}.sync_activities (occurred_at) WHERE NOT pushed AND NOT dead`,
    `CREATE INDEX IF NOT EXISTS sync_activities_contact ON ${s}.sync_activities (contact_id)`,
  ];
}
