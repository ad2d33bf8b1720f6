// Runs a store-sourced projection live: a catch-up subscription from the
// checkpoint stored beside the tables, each batch applied in one
// transaction with its checkpoint. When anything fails (database down, the
// checkpoint moved by a rebuild swap) it starts again from the stored
// checkpoint after a backoff, so nothing is skipped and nothing doubled.
import type { EventStore, Subscription } from '@engagement/event-store';
import { SPAN_ATTRIBUTES, withBatchSpan } from '@engagement/observability';
import type { Pool } from 'pg';
import { applyStoreBatch, inTransaction } from './apply-batch';
import { ensureProjectionTables, readCheckpoint } from './projection-checkpoints';
import type { ProjectionDefinition } from './projection';

export interface ProjectionRunnerOptions {
  store: EventStore;
  pool: Pool;
  projection: ProjectionDefinition;
  maxBatchSize?: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface RunningProjection {
  /** The position of the last batch this runner committed. */
  readonly position: bigint;
  /** Resolves once the projection has applied everything up to `position`. */
  waitForPosition(position: bigint, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function prepareProjection(
  pool: Pool,
  projection: ProjectionDefinition,
  schema = projection.schema,
) {
  const client = await pool.connect();
  try {
    // Serialises concurrent starts of the same service: DDL is not idempotent under races.
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 13))', [`migrate:${schema}`]);
    try {
      // In a transaction: the processed-events DDL shares a transaction lock with the bus's.
      await client.query('BEGIN');
      try {
        await ensureProjectionTables(client, schema);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      await projection.migrate(client, schema);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 13))', [
        `migrate:${schema}`,
      ]);
    }
  } finally {
    client.release();
  }
}

export async function startProjection(
  options: ProjectionRunnerOptions,
): Promise<RunningProjection> {
  const { store, pool, projection } = options;
  const log = options.log ?? (() => undefined);
  await prepareProjection(pool, projection);

  let stopped = false;
  let subscription: Subscription | undefined;
  let position = -1n;
  const waiters = new Set<{ position: bigint; resolve: () => void }>();
  const advance = (next: bigint) => {
    position = next;
    for (const waiter of waiters) {
      if (waiter.position <= position) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };

  const run = async (): Promise<void> => {
    let backoffMs = 100;
    while (!stopped) {
      try {
        let checkpoint = await inTransaction(pool, projection.schema, (client) =>
          readCheckpoint(client, projection.schema, projection.name),
        );
        advance(checkpoint);
        // stop() may have come while the checkpoint was read: subscribing now would outlive it.
        if (stopped) break;
        subscription = store.subscribeToAll({
          after: checkpoint,
          filter: projection.filter,
          maxBatchSize: options.maxBatchSize ?? 1_000,
          handle: async (batch) => {
            // In the traces of the requests that appended these events.
            await withBatchSpan(
              `project ${projection.name}`,
              batch.events.map((event) => event.metadata.traceparent),
              () =>
                applyStoreBatch(
                  pool,
                  { projection, schema: projection.schema },
                  batch.events,
                  checkpoint,
                  batch.checkpoint,
                ),
              {
                [SPAN_ATTRIBUTES.projectionName]: projection.name,
                [SPAN_ATTRIBUTES.projectionEvents]: batch.events.length,
              },
            );
            checkpoint = batch.checkpoint;
            advance(checkpoint);
            backoffMs = 100;
          },
        });
        await subscription.done;
      } catch (error) {
        if (stopped) break;
        log('projection failed; restarting from its checkpoint', {
          projection: projection.name,
          error: (error as Error).message,
          retryInMs: backoffMs,
        });
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  };
  const running = run();

  return {
    get position() {
      return position;
    },
    waitForPosition(target: bigint, timeoutMs = 10_000): Promise<void> {
      if (position >= target) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const waiter = { position: target, resolve: () => (clearTimeout(timer), resolve()) };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(`${projection.name} did not reach position ${target} within ${timeoutMs} ms`),
          );
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async stop() {
      stopped = true;
      await subscription?.stop();
      await running;
    },
  };
}
