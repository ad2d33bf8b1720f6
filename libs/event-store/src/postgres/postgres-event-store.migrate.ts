// Applies the event store's migrations once, under an advisory lock, and
// records each applied version in <schema>.schema_migrations.
import type { Pool } from 'pg';
import { eventStoreMigrations, quoteIdent } from './postgres-event-store.schema';

export async function migratePostgresEventStore(pool: Pool, schema: string): Promise<void> {
  const s = quoteIdent(schema);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 11))', [`migrate:${schema}`]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const { rows } = await client.query<{ version: number }>(
        `SELECT version FROM ${s}.schema_migrations`,
      );
      const applied = new Set(rows.map((r) => r.version));
      for (const migration of eventStoreMigrations(schema)) {
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
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 11))', [
        `migrate:${schema}`,
      ]);
    }
  } finally {
    client.release();
  }
}
