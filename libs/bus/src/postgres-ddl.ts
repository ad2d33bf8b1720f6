// Small PostgreSQL helpers shared by the relay's checkpoint table and the
// consumers' processed-events table.
import type { Pool } from 'pg';

/**
 * Runs DDL in one transaction under an advisory lock named by `lockName`.
 * `CREATE ... IF NOT EXISTS` is not safe when two processes run it at the
 * same moment (both see nothing and one fails on a duplicate catalog row);
 * services and parallel tests do start together, hence the lock.
 */
export async function runDdlOnce(
  pool: Pool,
  lockName: string,
  statements: string[],
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockName]);
    for (const sql of statements) await client.query(sql);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
