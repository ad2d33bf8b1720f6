// The table in which a consumer records the event ids it applied, in the
// same transaction as the effect: a redelivered event finds its id there and
// changes nothing. One table per service schema, shared by its consumers.
import type { Pool } from 'pg';
import { quoteIdent, runDdlOnce } from '../postgres-ddl';

export function processedEventsTable(schema: string): string {
  return `${quoteIdent(schema)}.processed_events`;
}

export async function ensureProcessedEventsTable(pool: Pool, schema: string): Promise<void> {
  await runDdlOnce(pool, `bus.processed_events.${schema}`, [
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`,
    // event_id is text, not uuid: a malformed id from another service must
    // not make every attempt fail on a cast and block the partition.
    `CREATE TABLE IF NOT EXISTS ${processedEventsTable(schema)} (
       consumer text NOT NULL,
       event_id text NOT NULL,
       processed_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (consumer, event_id)
     )`,
  ]);
}
