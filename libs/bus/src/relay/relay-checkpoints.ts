// Where a relay remembers how far it got: the global position after which it
// resumes. Written only after Kafka acknowledged everything up to it.
import type { Pool } from 'pg';
import { quoteIdent } from '@engagement/sql-migrations';
import { runDdlOnce } from '../postgres-ddl';

export interface RelayCheckpoints {
  /** Creates the storage if missing; safe to call at every start. */
  prepare(): Promise<void>;
  /** The stored position, or undefined when this relay never saved one. */
  load(name: string): Promise<bigint | undefined>;
  save(name: string, position: bigint): Promise<void>;
}

/** `<schema>.relay_checkpoints(name text primary key, position bigint not null, updated_at timestamptz)`. */
export class PostgresRelayCheckpoints implements RelayCheckpoints {
  private readonly table: string;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {
    this.table = `${quoteIdent(schema)}.relay_checkpoints`;
  }

  async prepare(): Promise<void> {
    await runDdlOnce(this.pool, `bus.relay_checkpoints.${this.schema}`, [
      `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`,
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         name text PRIMARY KEY,
         position bigint NOT NULL,
         updated_at timestamptz NOT NULL DEFAULT now()
       )`,
    ]);
  }

  async load(name: string): Promise<bigint | undefined> {
    const { rows } = await this.pool.query<{ position: string }>(
      `SELECT position FROM ${this.table} WHERE name = $1`,
      [name],
    );
    return rows.length === 0 ? undefined : BigInt(rows[0].position);
  }

  // The checkpoint only moves forward: a second relay instance that lags
  // behind (two replicas during a deploy) must not pull it back.
  async save(name: string, position: bigint): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.table} AS c (name, position, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()
       WHERE c.position < EXCLUDED.position`,
      [name, position.toString()],
    );
  }
}
