// Plain-SQL migrations for a schema that is not a TypeORM read model (the
// event store's, the gateway's): ordered versions, each applied once in its
// own transaction and recorded in <schema>.schema_migrations, under an
// advisory lock so that processes starting together do not race.
import type { Pool } from 'pg';

export interface SqlMigration {
  version: number;
  sql: string;
}

export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`Schema name "${name}" must be lower-case letters, digits and underscores`);
  }
  return `"${name}"`;
}

/** Applies the migrations of `schema` not applied yet, in version order; returns the versions applied now. */
export async function applySqlMigrations(
  pool: Pool,
  schema: string,
  migrations: SqlMigration[],
): Promise<number[]> {
  const s = quoteIdent(schema);
  const lockKey = `migrate:${schema}`;
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 11))', [lockKey]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const { rows } = await client.query<{ version: number }>(
        `SELECT version FROM ${s}.schema_migrations`,
      );
      const applied = new Set(rows.map((row) => row.version));
      const appliedNow: number[] = [];
      for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
        if (applied.has(migration.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query(`INSERT INTO ${s}.schema_migrations (version) VALUES ($1)`, [
            migration.version,
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
        appliedNow.push(migration.version);
      }
      return appliedNow;
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 11))', [lockKey]);
    }
  } finally {
    client.release();
  }
}
