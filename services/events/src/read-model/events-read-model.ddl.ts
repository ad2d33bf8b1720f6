// The events read model's tables: the seed's `events` and `registrations`
// (shared/seed/abstract-schema-v2.md, sections 4 and 5), column for column,
// as versioned SQL migrations (@engagement/sql-migrations), applied by the
// projection's migrate() into the live schema at start and into rebuild
// and audit schemas. seed-schema.int.spec.ts compares them with the seed's
// DDL. The differences, each allowed there with its reason:
// - events.ends_at: the seed's generation expression is rejected by
//   PostgreSQL (timestamptz + interval is only stable); this one gives the
//   same value and is immutable.
// - registrations.contact_id has no foreign key: contacts live in the
//   contacts service's schema (a service never reads another's tables).
//
// Append migrations; never edit one that has shipped.
import { quoteIdent, type SqlMigration } from '@engagement/sql-migrations';

/** Creates uuid-ossp (the seed's uuid_generate_v4()) once, even when schemas migrate in parallel. */
const ENSURE_UUID_OSSP = `DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'uuid-ossp') THEN
    PERFORM pg_advisory_xact_lock(hashtextextended('create extension uuid-ossp', 13));
    CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;
  END IF;
END
$$`;

export const ENDS_AT_EXPRESSION = `(scheduled_at AT TIME ZONE 'UTC' + duration_minutes * INTERVAL '1 minute') AT TIME ZONE 'UTC'`;

export function eventsMigrations(schema: string): SqlMigration[] {
  const s = quoteIdent(schema);
  return [
    {
      version: 1,
      sql: `
${ENSURE_UUID_OSSP};

CREATE TABLE ${s}.events (
  id UUID PRIMARY KEY DEFAULT public.uuid_generate_v4(),
  title TEXT NOT NULL,
  description TEXT,
  type TEXT NOT NULL,
  platform TEXT NOT NULL,
  platform_event_id TEXT,
  platform_url TEXT,
  platform_metadata JSONB,
  scheduled_at TIMESTAMPTZ NOT NULL,
  timezone TEXT DEFAULT 'America/Los_Angeles',
  duration_minutes INTEGER DEFAULT 60,
  ends_at TIMESTAMPTZ GENERATED ALWAYS AS (${ENDS_AT_EXPRESSION}) STORED,
  landing_page_slug TEXT,
  cover_image_url TEXT,
  replay_url TEXT,
  resources_url TEXT,
  max_registrations INTEGER,
  current_registrations INTEGER DEFAULT 0,
  content_context JSONB,
  status TEXT DEFAULT 'draft',
  started_at TIMESTAMPTZ,
  completed_at TIMESTAMPTZ,
  cancelled_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);

CREATE INDEX idx_events_type ON ${s}.events(type);
CREATE INDEX idx_events_platform ON ${s}.events(platform);
CREATE INDEX idx_events_status ON ${s}.events(status);
CREATE INDEX idx_events_scheduled_at ON ${s}.events(scheduled_at);
CREATE INDEX idx_events_platform_event_id ON ${s}.events(platform_event_id);
CREATE UNIQUE INDEX idx_events_platform_unique ON ${s}.events(platform, platform_event_id) WHERE platform_event_id IS NOT NULL;

CREATE TABLE ${s}.registrations (
  id UUID PRIMARY KEY DEFAULT public.uuid_generate_v4(),
  contact_id UUID NOT NULL,
  event_id UUID REFERENCES ${s}.events(id) ON DELETE CASCADE NOT NULL,
  platform_registrant_id TEXT,
  platform_join_url TEXT,
  platform_metadata JSONB,
  attended BOOLEAN DEFAULT FALSE,
  attended_at TIMESTAMPTZ,
  attendance_duration_minutes INTEGER,
  engagement_score INTEGER,
  status TEXT DEFAULT 'registered',
  registration_source TEXT,
  source_url TEXT,
  utm_params JSONB,
  form_data JSONB DEFAULT '{}'::JSONB,
  reminders_sent JSONB DEFAULT '[]'::JSONB,
  registered_at TIMESTAMPTZ DEFAULT NOW(),
  confirmed_at TIMESTAMPTZ,
  cancelled_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW(),
  UNIQUE(contact_id, event_id)
);

CREATE INDEX idx_registrations_contact_id ON ${s}.registrations(contact_id);
CREATE INDEX idx_registrations_event_id ON ${s}.registrations(event_id);
CREATE INDEX idx_registrations_status ON ${s}.registrations(status);
CREATE INDEX idx_registrations_attended ON ${s}.registrations(attended);
CREATE INDEX idx_registrations_platform_registrant_id ON ${s}.registrations(platform_registrant_id);
`,
    },
  ];
}
