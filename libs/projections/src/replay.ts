// Operator replays: rebuild a projection from position zero into a fresh
// schema, audit it against the live tables, swap the rebuilt tables in.
// Rebuilds always read the event store, the one complete ordered log (the
// Kafka topics are copies of it), and write through the projection's own
// apply(), in the same batches-with-checkpoint transactions as live runs.
import type { EventStore } from '@engagement/event-store';
import type { Pool, PoolClient } from 'pg';
import {
  applyStoreBatch,
  applyStoreBatchWith,
  decodeBatch,
  inTransaction,
  type DecodedBatch,
} from './apply-batch';
import { deferSecondaryStructures } from './deferred-structures';
import { ensureProjectionTables } from './projection-checkpoints';
import { readCheckpoint } from './projection-checkpoints';
import { prepareProjection } from './projection-runner';
import type { ProjectionDefinition } from './projection';
import { progressBar, type ProgressReporter } from './progress';
import { quoteIdent } from '@engagement/sql-migrations';
import { compareTable, tableChecksum, type TableDifference } from './table-compare';

export const REBUILD_SUFFIX = '_rebuild';
const PAGE = 5_000;

type ApplyBatch = (batch: DecodedBatch, expected: bigint, next: bigint) => Promise<void>;

export interface TableSummary {
  table: string;
  rows: number;
  checksum: string;
}

export interface RebuildSummary {
  projection: string;
  schema: string;
  eventsRead: number;
  rowsWritten: number;
  seconds: number;
  eventsPerSecond: number;
  position: bigint;
  tables: TableSummary[];
}

export interface ReplayContext {
  store: EventStore;
  pool: Pool;
  progress?: (label: string) => ProgressReporter;
}

export function rebuildSchemaOf(projection: ProjectionDefinition): string {
  return `${projection.schema}${REBUILD_SUFFIX}`.slice(0, 63);
}

/**
 * Rebuilds into a fresh schema (dropped first if it exists), from position
 * zero up to `untilPosition` (inclusive) or to the end of the log.
 */
export async function rebuildProjection(
  ctx: ReplayContext,
  projection: ProjectionDefinition,
  options: { schema?: string; untilPosition?: bigint; inTransaction?: PoolClient } = {},
): Promise<RebuildSummary> {
  const schema = options.schema ?? rebuildSchemaOf(projection);
  if (schema === projection.schema) throw new Error('A rebuild never writes the live schema');
  const tx = options.inTransaction;
  if (tx) {
    await tx.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    await ensureProjectionTables(tx, schema);
    await projection.migrate(tx, schema);
  } else {
    await inTransaction(ctx.pool, 'public', (c) =>
      c.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`),
    );
    await prepareProjection(ctx.pool, projection, schema);
  }
  const restoreStructures = await withClient(ctx, tx, (client) =>
    deferSecondaryStructures(
      client,
      schema,
      projection.tables.map((t) => t.name),
    ),
  );

  const started = Date.now();
  // No total: counting the log first would cost a second pass over it.
  const progress = (ctx.progress ?? progressBar)(`rebuild ${projection.name}`);
  const apply: ApplyBatch | undefined = tx
    ? (batch, expected, next) =>
        applyStoreBatchWith(tx, { projection, schema }, batch, expected, next)
    : undefined;
  const { eventsRead, position } = await catchUp(
    ctx,
    projection,
    schema,
    -1n,
    options.untilPosition,
    (done) => progress.update(done, null),
    apply,
  );
  progress.finish();
  await withClient(ctx, tx, (client) => restoreStructures(client));
  const seconds = (Date.now() - started) / 1000;
  const tables = tx
    ? await checksumsWith(tx, projection, schema)
    : await checksums(ctx.pool, projection, schema);
  return {
    projection: projection.name,
    schema,
    eventsRead,
    rowsWritten: tables.reduce((sum, t) => sum + t.rows, 0),
    seconds,
    eventsPerSecond: Math.round(eventsRead / Math.max(seconds, 0.001)),
    position,
    tables,
  };
}

export interface AuditReport {
  rebuild: RebuildSummary;
  live: TableSummary[];
  differences: TableDifference[];
  differenceCount: number;
}

/**
 * Rebuilds to exactly the live checkpoint and compares row by row. The live
 * tables are read in one repeatable-read snapshot taken with the checkpoint,
 * so a live runner moving on meanwhile does not show up as a difference.
 */
export async function auditProjection(
  ctx: ReplayContext,
  projection: ProjectionDefinition,
): Promise<AuditReport> {
  const snapshot = await ctx.pool.connect();
  try {
    await snapshot.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const livePosition = await readCheckpoint(snapshot, projection.schema, projection.name);
    const schema = `${projection.schema}_audit`.slice(0, 63);
    // The rebuild writes inside the snapshot's own transaction, so the
    // comparison sees both the live tables as of the checkpoint and every
    // rebuilt row; it is rolled back at the end, leaving nothing behind.
    const rebuild = await rebuildProjection(ctx, projection, {
      schema,
      untilPosition: projection.source === 'event-store' ? livePosition : undefined,
      inTransaction: snapshot,
    });
    const differences: TableDifference[] = [];
    let differenceCount = 0;
    for (const table of projection.tables) {
      const result = await compareTable(snapshot, table, projection.schema, schema);
      differences.push(...result.differences);
      differenceCount += result.total;
    }
    const live = await checksumsWith(snapshot, projection, projection.schema);
    await snapshot.query('ROLLBACK');
    return { rebuild, live, differences, differenceCount };
  } catch (error) {
    await snapshot.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    snapshot.release();
  }
}

/**
 * Puts the rebuilt tables in place of the live ones in one transaction:
 * it holds the live checkpoint row (so the live runner cannot commit a batch
 * meanwhile), lets the rebuild catch up to the end of the log, moves the live
 * tables to an archive schema and the rebuilt ones into the live schema, and
 * sets the live checkpoint to the rebuild's. Readers wait a moment on the
 * renames and never see a half-swapped state; the live runner's next
 * compare-and-set fails, and it resumes from the new checkpoint.
 */
export async function swapProjection(
  ctx: ReplayContext,
  projection: ProjectionDefinition,
): Promise<{ archiveSchema: string; position: bigint }> {
  const rebuilt = rebuildSchemaOf(projection);
  const live = quoteIdent(projection.schema);
  const archiveSchema =
    `${projection.schema}_archive_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`.slice(
      0,
      63,
    );
  const client = await ctx.pool.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [rebuilt]);
    if (exists.rowCount === 0)
      throw new Error(`No rebuild of ${projection.name}: run rebuild first`);
    await client.query('BEGIN');
    await client.query(
      `SELECT 1 FROM ${live}.projection_checkpoints WHERE projection = $1 FOR UPDATE`,
      [projection.name],
    );
    if (projection.source === 'kafka') {
      // Kafka-fed batches record their event ids first: holding this table
      // keeps them out until the swap is done, so none lands in the old tables.
      await client.query(`LOCK TABLE ${live}.processed_events IN SHARE ROW EXCLUSIVE MODE`);
    }
    const from = await readCheckpoint(client, rebuilt, projection.name);
    // The catch-up writes through other connections; they commit before we rename.
    const { position } = await catchUp(ctx, projection, rebuilt, from, undefined, () => undefined);
    await client.query(`CREATE SCHEMA ${quoteIdent(archiveSchema)}`);
    for (const table of projection.tables) {
      await client.query(
        `ALTER TABLE ${live}.${quoteIdent(table.name)} SET SCHEMA ${quoteIdent(archiveSchema)}`,
      );
    }
    for (const table of projection.tables) {
      await client.query(
        `ALTER TABLE ${quoteIdent(rebuilt)}.${quoteIdent(table.name)} SET SCHEMA ${live}`,
      );
    }
    await client.query(
      `INSERT INTO ${live}.projection_checkpoints (projection, position) VALUES ($1, $2)
       ON CONFLICT (projection) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
      [projection.name, position.toString()],
    );
    if (projection.source === 'kafka') {
      await client.query(`DELETE FROM ${live}.processed_events WHERE consumer = $1`, [
        projection.name,
      ]);
      await client.query(
        `INSERT INTO ${live}.processed_events (consumer, event_id)
         SELECT consumer, event_id FROM ${quoteIdent(rebuilt)}.processed_events WHERE consumer = $1`,
        [projection.name],
      );
    }
    await client.query(`DROP SCHEMA ${quoteIdent(rebuilt)} CASCADE`);
    await client.query('COMMIT');
    return { archiveSchema, position };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Applies the store's events after `from` into `schema`, page by page, each
 * page one transaction with its checkpoint; the next page is read, and
 * decoded (the projection's decode: decrypting, upcasting), while the
 * current one is written.
 */
async function catchUp(
  ctx: ReplayContext,
  projection: ProjectionDefinition,
  schema: string,
  from: bigint,
  untilPosition: bigint | undefined,
  onProgress: (eventsRead: number) => void,
  apply: ApplyBatch = (batch, expected, next) =>
    applyStoreBatch(ctx.pool, { projection, schema }, batch, expected, next),
): Promise<{ eventsRead: number; position: bigint }> {
  const fetch = (after: bigint) => {
    const fetched = ctx.store
      .readAll({ after, maxCount: PAGE, filter: projection.filter })
      .then((page) => {
        const events =
          untilPosition === undefined
            ? page.events
            : page.events.filter((e) => e.globalPosition <= untilPosition);
        return { page, batch: decodeBatch(projection, events) };
      });
    // Awaited below; a failure while the current page is written is not unhandled.
    fetched.catch(() => undefined);
    return fetched;
  };
  let checkpoint = from;
  let eventsRead = 0;
  let next = fetch(checkpoint);
  for (;;) {
    const { page, batch } = await next;
    let pageCheckpoint = page.checkpoint;
    // A short page holds every event below the store's visibility boundary:
    // its checkpoint is a consistent place to stop. Waiting for isEnd as
    // well would let a steady flow of appends (one always in flight) keep a
    // swap, which holds the live checkpoint meanwhile, from ever ending.
    let done = page.events.length < PAGE;
    if (untilPosition !== undefined && pageCheckpoint >= untilPosition) {
      pageCheckpoint = untilPosition;
      done = true;
    }
    if (!done) next = fetch(pageCheckpoint);
    if (batch.events.length > 0 || pageCheckpoint > checkpoint) {
      await apply(batch, checkpoint, pageCheckpoint);
      checkpoint = pageCheckpoint;
    }
    eventsRead += batch.events.length;
    onProgress(eventsRead);
    if (done) return { eventsRead, position: checkpoint };
  }
}

async function checksums(
  pool: Pool,
  projection: ProjectionDefinition,
  schema: string,
): Promise<TableSummary[]> {
  const client = await pool.connect();
  try {
    return await checksumsWith(client, projection, schema);
  } finally {
    client.release();
  }
}

async function checksumsWith(
  client: PoolClient,
  projection: ProjectionDefinition,
  schema: string,
): Promise<TableSummary[]> {
  const result: TableSummary[] = [];
  for (const table of projection.tables)
    result.push({ table: table.name, ...(await tableChecksum(client, table, schema)) });
  return result;
}

/** Runs `work` on the caller's open transaction, or on a pooled client. */
async function withClient<T>(
  ctx: ReplayContext,
  tx: PoolClient | undefined,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  if (tx) return work(tx);
  const client = await ctx.pool.connect();
  try {
    return await work(client);
  } finally {
    client.release();
  }
}
