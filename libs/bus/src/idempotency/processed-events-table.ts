// The one record of "already processed" on the platform: the table in which
// a consumer (a reactor through applyOnce, a Kafka-fed projection through
// @engagement/projections) records the event ids it applied, in the same
// transaction as the effect, so that a redelivered event changes nothing.
// One table per service schema, shared by its consumers, one definition.
import type { Pool, PoolClient } from 'pg';
import { quoteIdent } from '@engagement/sql-migrations';
import { runDdlOnce } from '../postgres-ddl';

export function processedEventsTable(schema: string): string {
  return `${quoteIdent(schema)}.processed_events`;
}

/**
 * The statements that create (or bring up to date) the schema's table, to
 * run inside one transaction (the lock they take lasts until its end). An
 * older projections-made table had event_id as uuid and no processed_at:
 * it is converted in place, so both kinds of consumer can share it.
 */
export function processedEventsDdl(schema: string): string[] {
  const table = processedEventsTable(schema);
  const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
  return [
    // Whoever runs these (a service's consumers, a projection's start) takes
    // the same lock: CREATE ... IF NOT EXISTS is not safe under races.
    `SELECT pg_advisory_xact_lock(hashtext(${literal(`bus.processed_events.${schema}`)}))`,
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`,
    // event_id is text, not uuid: a malformed id from another service must
    // not make every attempt fail on a cast and block the partition.
    `CREATE TABLE IF NOT EXISTS ${table} (
       consumer text NOT NULL,
       event_id text NOT NULL,
       processed_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (consumer, event_id)
     )`,
    `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS processed_at timestamptz NOT NULL DEFAULT now()`,
    `DO $$ BEGIN
       IF (SELECT data_type FROM information_schema.columns
            WHERE table_schema = ${literal(schema)} AND table_name = 'processed_events'
              AND column_name = 'event_id') <> 'text' THEN
         ALTER TABLE ${table} ALTER COLUMN event_id TYPE text;
       END IF;
     END $$`,
  ];
}

/** Runs processedEventsDdl in a transaction of its own. */
export async function ensureProcessedEventsTable(pool: Pool, schema: string): Promise<void> {
  await runDdlOnce(pool, `bus.processed_events.${schema}`, processedEventsDdl(schema));
}

/**
 * Records the ids as processed by `consumer`, inside the caller's
 * transaction, and returns the ids that were not recorded before (each
 * once). ON CONFLICT DO NOTHING waits for a concurrent transaction holding
 * the same id (a consumer that lost its partition but is still working),
 * and then records nothing: an effect cannot run twice even then.
 */
export async function recordProcessed(
  client: Pick<PoolClient, 'query'>,
  schema: string,
  consumer: string,
  eventIds: string[],
): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const { rows } = await client.query<{ event_id: string }>(
    `INSERT INTO ${processedEventsTable(schema)} (consumer, event_id)
     SELECT $1, id FROM unnest($2::text[]) AS id
     ON CONFLICT DO NOTHING
     RETURNING event_id`,
    [consumer, eventIds],
  );
  return new Set(rows.map((r) => r.event_id));
}

/** The events whose ids were just recorded, in their order, a repeated id only once. */
export function onlyRecorded<E extends { id: string }>(events: E[], recorded: Set<string>): E[] {
  const left = new Set(recorded);
  return events.filter((e) => left.delete(e.id));
}
