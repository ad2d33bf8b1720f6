// Plain-SQL migrations, the one way a schema's tables are made (the event
// store's, the gateway's, every new service's read model): ordered versions,
// each applied once, atomically, and recorded in <schema>.schema_migrations.
// Two runners over the same list:
// - applySqlMigrations(pool, ...): at start-up, under an advisory lock so
//   that processes starting together do not race;
// - applySqlMigrationsWith(client, ...): on a connection someone else holds
//   (and locks, and perhaps holds a transaction on): a projection's
//   migrate(), for its live schema and for rebuild and audit schemas.
import type { ClientBase, Pool } from 'pg';

export interface SqlMigration {
  version: number;
  sql: string;
}

/**
 * A schema or table name, quoted for SQL. The platform's one quoting
 * helper (the event store, the bus, projections and services use it):
 * names come from code and operators, never from users, and anything but
 * lower-case letters, digits and underscores is refused rather than escaped.
 */
export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(
      `"${name}" is not a valid identifier here: use lower-case letters, digits and underscores`,
    );
  }
  return `"${name}"`;
}

/** Applies the migrations of `schema` not applied yet, in version order; returns the versions applied now. */
export async function applySqlMigrations(
  pool: Pool,
  schema: string,
  migrations: SqlMigration[],
): Promise<number[]> {
  quoteIdent(schema); // refuses a bad name before anything runs
  const lockKey = `migrate:${schema}`;
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 11))', [lockKey]);
    try {
      return await applySqlMigrationsWith(client, schema, migrations);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 11))', [lockKey]);
    }
  } finally {
    client.release();
  }
}

/**
 * Applies the pending migrations of `schema` on `client`, which the caller
 * holds (and has locked). Each migration and its ledger row go to the server
 * as one multi-statement query: PostgreSQL runs that as one transaction of
 * its own, or as part of the caller's open transaction, so a migration is
 * never half applied, whichever way it is called.
 */
export async function applySqlMigrationsWith(
  client: ClientBase,
  schema: string,
  migrations: SqlMigration[],
): Promise<number[]> {
  const s = quoteIdent(schema);
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
    if (!Number.isInteger(migration.version)) throw new Error('A migration version is an integer');
    await client.query(
      `${migration.sql.trim().replace(/;$/, '')};\nINSERT INTO ${s}.schema_migrations (version) VALUES (${migration.version})`,
    );
    appliedNow.push(migration.version);
  }
  return appliedNow;
}
