// A projection's checkpoint lives in the same schema as its tables and is
// written in the same transaction as their rows, with a compare-and-set: a
// crash anywhere neither loses nor doubles an effect, and a second runner of
// the same projection cannot interleave its batches with ours.
import { processedEventsDdl } from '@engagement/bus';
import type { PoolClient } from 'pg';
import { quoteIdent } from '@engagement/sql-migrations';

export class CheckpointMovedError extends Error {
  constructor(readonly projection: string) {
    super(`The checkpoint of ${projection} was moved by another writer`);
    this.name = 'CheckpointMovedError';
  }
}

export async function ensureProjectionTables(client: PoolClient, schema: string): Promise<void> {
  const s = quoteIdent(schema);
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
  await client.query(`CREATE TABLE IF NOT EXISTS ${s}.projection_checkpoints (
    projection text PRIMARY KEY,
    position   bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`);
  // Kafka-fed projections record applied event ids in the platform's one
  // processed_events table (the bus's definition), shared with reactors.
  for (const sql of processedEventsDdl(schema)) await client.query(sql);
}

/** The stored checkpoint; -1n (before the first event) when there is none yet. */
export async function readCheckpoint(
  client: PoolClient,
  schema: string,
  projection: string,
): Promise<bigint> {
  const { rows } = await client.query<{ position: string }>(
    `SELECT position FROM ${quoteIdent(schema)}.projection_checkpoints WHERE projection = $1`,
    [projection],
  );
  return rows.length === 0 ? -1n : BigInt(rows[0].position);
}

/** Moves the checkpoint from `expected` to `next`; throws CheckpointMovedError if it is not at `expected`. */
export async function moveCheckpoint(
  client: PoolClient,
  schema: string,
  projection: string,
  expected: bigint,
  next: bigint,
): Promise<void> {
  const s = quoteIdent(schema);
  const result =
    expected === -1n
      ? await client.query(
          `INSERT INTO ${s}.projection_checkpoints (projection, position) VALUES ($1, $2)
           ON CONFLICT (projection) DO UPDATE SET position = EXCLUDED.position, updated_at = now()
           WHERE projection_checkpoints.position = -1`,
          [projection, next.toString()],
        )
      : await client.query(
          `UPDATE ${s}.projection_checkpoints SET position = $3, updated_at = now()
            WHERE projection = $1 AND position = $2`,
          [projection, expected.toString(), next.toString()],
        );
  if (result.rowCount !== 1) throw new CheckpointMovedError(projection);
}
