// Exactly-once effects on top of at-least-once delivery: the event id is
// recorded and the effect applied in ONE PostgreSQL transaction, so either
// both happen or neither; a second delivery finds the id and skips the effect.
import type { Pool, PoolClient } from 'pg';
import { onlyRecorded, recordProcessed } from './processed-events-table';

export interface ApplyOnceKey {
  /** The schema holding processed_events (see ensureProcessedEventsTable). */
  schema: string;
  /** Who applies: each consumer (projection, reactor) has its own record of what it applied. */
  consumer: string;
  eventId: string;
}

/**
 * Runs `effect` with the transaction's client, unless this consumer already
 * applied this event. Resolves true when the effect ran (and committed). When
 * the effect throws, the transaction rolls back, id included, and the error
 * propagates: the next delivery tries again.
 */
export async function applyOnce(
  pool: Pool,
  key: ApplyOnceKey,
  effect: (client: PoolClient) => Promise<void>,
): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    // recordProcessed waits for a concurrent holder of the same id, then records nothing.
    const recorded = await recordProcessed(client, key.schema, key.consumer, [key.eventId]);
    if (recorded.size !== 1) return false;
    await effect(client);
    return true;
  });
}

/**
 * applyOnce for a batch in one transaction (fewer round trips and commits,
 * the way projections catch up fast). `effect` receives only the events this
 * consumer has not applied yet, in their original order and each id once;
 * it is not called when there are none. Resolves with those events.
 */
export async function applyOnceBatch<E extends { id: string }>(
  pool: Pool,
  key: Omit<ApplyOnceKey, 'eventId'>,
  events: E[],
  effect: (client: PoolClient, fresh: E[]) => Promise<void>,
): Promise<E[]> {
  if (events.length === 0) return [];
  return inTransaction(pool, async (client) => {
    const recorded = await recordProcessed(
      client,
      key.schema,
      key.consumer,
      events.map((e) => e.id),
    );
    const fresh = onlyRecorded(events, recorded);
    if (fresh.length > 0) await effect(client, fresh);
    return fresh;
  });
}

async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError; // the connection is unusable: do not return it to the pool
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
