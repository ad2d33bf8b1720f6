// One batch, one transaction: point the search_path at the target schema,
// move the checkpoint (compare-and-set), drop events already applied (Kafka
// redeliveries), apply the rest, commit. Shared by the live runners and by
// rebuilds, so both write exactly the same rows.
import { onlyRecorded, recordProcessed } from '@engagement/bus';
import type { RecordedEvent } from '@engagement/event-store';
import type { Pool, PoolClient } from 'pg';
import { moveCheckpoint } from './projection-checkpoints';
import type { ProjectionDefinition } from './projection';
import { quoteIdent } from '@engagement/sql-migrations';

export interface BatchTarget {
  projection: ProjectionDefinition;
  /** The schema written: the live one, or a rebuild's. */
  schema: string;
}

/** A batch's events with what the projection's decode made of them (a promise: it may still run). */
export interface DecodedBatch {
  events: RecordedEvent[];
  decoded: Promise<unknown>;
}

/**
 * Starts the projection's decode of the events (nothing to do without one).
 * A failure surfaces where the batch is applied, not as an unhandled rejection.
 */
export function decodeBatch(
  projection: ProjectionDefinition,
  events: RecordedEvent[],
): DecodedBatch {
  const decoded =
    projection.decode && events.length > 0 ? projection.decode(events) : Promise.resolve(undefined);
  decoded.catch(() => undefined);
  return { events, decoded };
}

/** Applies a batch of store events after `expected`, moving the checkpoint to `next`. */
export async function applyStoreBatch(
  pool: Pool,
  target: BatchTarget,
  batch: RecordedEvent[] | DecodedBatch,
  expected: bigint,
  next: bigint,
): Promise<void> {
  const { events, decoded } = Array.isArray(batch) ? decodeBatch(target.projection, batch) : batch;
  // Decoded before the transaction begins: it holds its connection and locks for less.
  const result = await decoded;
  await inTransaction(pool, target.schema, (client) =>
    applyInSchema(client, target, events, result, expected, next),
  );
}

/** The same, inside a transaction the caller holds open (an audit's snapshot). */
export async function applyStoreBatchWith(
  client: PoolClient,
  target: BatchTarget,
  batch: RecordedEvent[] | DecodedBatch,
  expected: bigint,
  next: bigint,
): Promise<void> {
  const { events, decoded } = Array.isArray(batch) ? decodeBatch(target.projection, batch) : batch;
  const result = await decoded;
  await client.query(`SET LOCAL search_path TO ${quoteIdent(target.schema)}, public`);
  await applyInSchema(client, target, events, result, expected, next);
}

/** The batch, on a transaction whose search_path is the target schema already. */
async function applyInSchema(
  client: PoolClient,
  target: BatchTarget,
  events: RecordedEvent[],
  decoded: unknown,
  expected: bigint,
  next: bigint,
): Promise<void> {
  await moveCheckpoint(client, target.schema, target.projection.name, expected, next);
  if (target.projection.source !== 'kafka') {
    if (events.length > 0) await target.projection.apply(events, client, decoded);
    return;
  }
  const fresh = await keepUnprocessed(client, target, events);
  if (fresh.length === 0) return;
  // Decoded for the whole batch: only valid if no event was dropped as a repeat.
  if (fresh.length === events.length) await target.projection.apply(fresh, client, decoded);
  else await applyDecodingHere(client, target.projection, fresh);
}

async function applyDecodingHere(
  client: PoolClient,
  projection: ProjectionDefinition,
  events: RecordedEvent[],
): Promise<void> {
  const decoded = projection.decode ? await projection.decode(events) : undefined;
  await projection.apply(events, client, decoded);
}

/** Applies events that arrived from Kafka: each event id is applied at most once. */
export async function applyKafkaBatch(
  pool: Pool,
  target: BatchTarget,
  events: RecordedEvent[],
): Promise<number> {
  return inTransaction(pool, target.schema, async (client) => {
    const fresh = await keepUnprocessed(client, target, events);
    if (fresh.length > 0) await applyDecodingHere(client, target.projection, fresh);
    return fresh.length;
  });
}

export async function inTransaction<T>(
  pool: Pool,
  schema: string,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  // A connection that dies while checked out emits 'error' on the client, not
  // the pool: without a listener that would end the process instead of
  // failing this transaction (which the runner then retries).
  const ignore = () => undefined;
  client.on('error', ignore);
  let broken: Error | undefined;
  try {
    // One round trip for both (a simple query may hold several statements):
    // each batch's transaction is on the path from an append to the read model.
    await client.query(`BEGIN; SET LOCAL search_path TO ${quoteIdent(schema)}, public`);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((e: Error) => (broken = e));
    throw error;
  } finally {
    client.off('error', ignore);
    // A broken connection is destroyed instead of going back to the pool.
    client.release(broken);
  }
}

/** Records the batch's event ids as processed and returns the events not seen before, in order. */
async function keepUnprocessed(
  client: PoolClient,
  target: BatchTarget,
  events: RecordedEvent[],
): Promise<RecordedEvent[]> {
  const recorded = await recordProcessed(
    client,
    target.schema,
    target.projection.name,
    events.map((e) => e.id),
  );
  return onlyRecorded(events, recorded);
}
