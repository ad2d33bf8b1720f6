// The DDL of messaging's schema, written once and run by both paths that
// create it: the projections' migrate() (live schema at start-up, fresh
// rebuild and audit schemas) and the operational tables at start-up.
//
// message_templates and sent_messages are the seed's
// (shared/seed/abstract-schema-v2.md, sections 10 and 11), column for
// column; seed-schema.int.spec.ts compares them with the seed's own DDL.
// Differences, each justified in that test's allow-list:
// - sent_messages.template_version (added last): every sent message records
//   the template version it used; the seed has only template_id.
// - no foreign keys to contacts and registrations: those tables belong to
//   other services (a service never reads another's tables); the ids stay.
// campaigns is ours: the seed references it without defining it.
//
// Every statement is re-runnable (IF NOT EXISTS): migrate() may run outside
// a transaction, and a crash halfway must leave a schema that migrates again.
import type { PoolClient } from 'pg';
import { quoteIdent } from '@engagement/projections';

/** Makes sure uuid_generate_v4() exists (the seed's default) and returns its schema. */
export async function uuidSchemaOf(client: PoolClient): Promise<string> {
  await client.query(`DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'uuid-ossp') THEN
    PERFORM pg_advisory_xact_lock(hashtextextended('create extension uuid-ossp', 13));
    CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;
  END IF;
END
$$`);
  const { rows } = await client.query<{ schema: string }>(
    `SELECT extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname = 'uuid-ossp'`,
  );
  return rows[0].schema;
}

export function messagingReadModelSql(schema: string, uuidSchema: string): string[] {
  const s = quoteIdent(schema);
  const uuid = `${uuidSchema}.uuid_generate_v4()`;
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE IF NOT EXISTS ${s}.campaigns (
      id UUID PRIMARY KEY DEFAULT ${uuid},
      name TEXT NOT NULL,
      channel TEXT NOT NULL,
      kind TEXT NOT NULL DEFAULT 'marketing',
      template_id UUID,
      audience JSONB NOT NULL DEFAULT '{}'::JSONB,
      variables JSONB NOT NULL DEFAULT '{}'::JSONB,
      status TEXT NOT NULL DEFAULT 'draft',
      scheduled_at TIMESTAMPTZ,
      started_at TIMESTAMPTZ,
      completed_at TIMESTAMPTZ,
      cancelled_at TIMESTAMPTZ,
      audience_size INTEGER,
      sent_count INTEGER NOT NULL DEFAULT 0,
      delivered_count INTEGER NOT NULL DEFAULT 0,
      opened_count INTEGER NOT NULL DEFAULT 0,
      clicked_count INTEGER NOT NULL DEFAULT 0,
      bounced_count INTEGER NOT NULL DEFAULT 0,
      failed_count INTEGER NOT NULL DEFAULT 0,
      blocked_count INTEGER NOT NULL DEFAULT 0,
      created_at TIMESTAMPTZ DEFAULT NOW(),
      updated_at TIMESTAMPTZ DEFAULT NOW()
    )`,
    `CREATE INDEX IF NOT EXISTS idx_campaigns_status ON ${s}.campaigns(status)`,

    `CREATE TABLE IF NOT EXISTS ${s}.message_templates (
      id UUID PRIMARY KEY DEFAULT ${uuid},
      slug TEXT UNIQUE NOT NULL,
      name TEXT NOT NULL,
      description TEXT,
      channel TEXT NOT NULL,
      subject_template TEXT,
      preheader_template TEXT,
      content_source TEXT DEFAULT 'external_api',
      content_api_url TEXT,
      cached_content_html TEXT,
      cached_content_text TEXT,
      variables JSONB,
      required_variables JSONB,
      generation_prompt TEXT,
      brand_context JSONB,
      is_variant BOOLEAN DEFAULT FALSE,
      parent_template_id UUID REFERENCES ${s}.message_templates(id),
      variant_name TEXT,
      sync_to_crm BOOLEAN DEFAULT FALSE,
      crm_template_mappings JSONB,
      version INTEGER DEFAULT 1,
      is_active BOOLEAN DEFAULT TRUE,
      created_at TIMESTAMPTZ DEFAULT NOW(),
      updated_at TIMESTAMPTZ DEFAULT NOW()
    )`,

    `CREATE TABLE IF NOT EXISTS ${s}.sent_messages (
      id UUID PRIMARY KEY DEFAULT ${uuid},
      contact_id UUID NOT NULL,
      registration_id UUID,
      campaign_id UUID REFERENCES ${s}.campaigns(id) ON DELETE SET NULL,
      template_id UUID REFERENCES ${s}.message_templates(id) ON DELETE SET NULL,
      channel TEXT NOT NULL,
      provider TEXT NOT NULL,
      provider_message_id TEXT,
      subject TEXT,
      body_html TEXT,
      body_text TEXT,
      recipient_email TEXT,
      recipient_phone TEXT,
      status TEXT DEFAULT 'queued',
      sent_at TIMESTAMPTZ,
      delivered_at TIMESTAMPTZ,
      opened_at TIMESTAMPTZ,
      clicked_at TIMESTAMPTZ,
      bounced_at TIMESTAMPTZ,
      failed_at TIMESTAMPTZ,
      unsubscribed_at TIMESTAMPTZ,
      open_count INTEGER DEFAULT 0,
      click_count INTEGER DEFAULT 0,
      links_clicked JSONB DEFAULT '[]'::JSONB,
      error_code TEXT,
      error_message TEXT,
      bounce_type TEXT,
      synced_to_crms JSONB DEFAULT '[]'::JSONB,
      provider_metadata JSONB,
      created_at TIMESTAMPTZ DEFAULT NOW(),
      updated_at TIMESTAMPTZ DEFAULT NOW(),
      template_version INTEGER
    )`,
    `CREATE INDEX IF NOT EXISTS idx_sent_messages_contact_id ON ${s}.sent_messages(contact_id)`,
    `CREATE INDEX IF NOT EXISTS idx_sent_messages_registration_id ON ${s}.sent_messages(registration_id)`,
    `CREATE INDEX IF NOT EXISTS idx_sent_messages_status ON ${s}.sent_messages(status)`,
    `CREATE INDEX IF NOT EXISTS idx_sent_messages_provider_message_id ON ${s}.sent_messages(provider_message_id)`,
    `CREATE INDEX IF NOT EXISTS idx_sent_messages_sent_at ON ${s}.sent_messages(sent_at)`,
  ];
}

/**
 * Messaging's replica of contacts (from topic `contacts`): what the rules
 * and audiences need. Personal fields stay as the contacts service
 * encrypted them (envelopes under the contact's key); they are decrypted
 * only at send time, and set to NULL on ContactErased.
 */
export function contactsReplicaSql(schema: string): string[] {
  const s = quoteIdent(schema);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE IF NOT EXISTS ${s}.contact_replica (
      contact_id UUID PRIMARY KEY,
      status TEXT NOT NULL DEFAULT 'active',
      consent JSONB NOT NULL DEFAULT '{}'::JSONB,
      timezone TEXT NOT NULL DEFAULT 'America/Los_Angeles',
      locale TEXT NOT NULL DEFAULT 'en',
      lifecycle_stage TEXT NOT NULL DEFAULT 'lead',
      tags TEXT[] NOT NULL DEFAULT '{}',
      properties JSONB NOT NULL DEFAULT '{}'::JSONB,
      email TEXT,
      phone TEXT,
      first_name TEXT,
      last_name TEXT,
      erased_at TIMESTAMPTZ,
      updated_at TIMESTAMPTZ NOT NULL
    )`,
    `CREATE INDEX IF NOT EXISTS idx_contact_replica_tags ON ${s}.contact_replica USING GIN(tags)`,
    `CREATE INDEX IF NOT EXISTS idx_contact_replica_stage ON ${s}.contact_replica(lifecycle_stage)`,
  ];
}
