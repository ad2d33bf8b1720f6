// The connector's working tables for changes coming in from its CRM:
// - inbound_changes: the queue of changes to apply (from webhooks and
//   resyncs), keyed by the stored event's id, so a redelivered webhook adds
//   no row; values are dropped once applied;
// - crm_field_state: what the CRM has in each field of each contact as far
//   as we know (what we last pushed, or last received): a webhook carrying
//   what we sent is our own echo; a push of what the CRM already has is
//   not made;
// - resync_runs: each reconciliation's cursor (saved after every page) and
//   its counts.
import { quoteIdent } from '@engagement/projections';

export function inboundTablesSql(schema: string): string[] {
  const s = quoteIdent(schema);
  return [
    `CREATE TABLE IF NOT EXISTS ${s}.inbound_changes (
      id UUID PRIMARY KEY,
      external_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      label TEXT NOT NULL,
      change JSONB,
      occurred_at TIMESTAMPTZ NOT NULL,
      received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      via TEXT NOT NULL DEFAULT 'webhook',
      status TEXT NOT NULL DEFAULT 'pending',
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      last_error TEXT,
      seq BIGSERIAL
    )`,
    `CREATE INDEX IF NOT EXISTS inbound_changes_pending ON ${s}.inbound_changes (seq) WHERE status = 'pending'`,
    `CREATE TABLE IF NOT EXISTS ${s}.crm_field_state (
      contact_id UUID NOT NULL,
      field TEXT NOT NULL,
      value TEXT,
      origin TEXT NOT NULL,
      at TIMESTAMPTZ NOT NULL,
      landed_at TIMESTAMPTZ,
      PRIMARY KEY (contact_id, field)
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.resync_runs (
      id UUID PRIMARY KEY,
      since TIMESTAMPTZ,
      cursor TEXT,
      status TEXT NOT NULL DEFAULT 'running',
      pages INTEGER NOT NULL DEFAULT 0,
      counts JSONB NOT NULL DEFAULT '{}'::JSONB,
      seen_external_ids JSONB NOT NULL DEFAULT '[]'::JSONB,
      started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      finished_at TIMESTAMPTZ,
      error TEXT
    )`,
  ];
}
