// Creating and upgrading the contacts read model's tables, by either of two
// runners over the same migration classes:
// - runContactsMigrations(databaseUrl, schema): TypeORM, for the live schema
//   when the service starts;
// - applyContactsMigrations(client, schema): the projection's migrate(), on
//   the connection (and inside the transaction) the projection library hands
//   it: rebuild schemas, and audit schemas that are rolled back afterwards.
//   TypeORM cannot run on a connection it did not open.
// Both record what they ran in the same ledger table, in TypeORM's own format
// (id, timestamp, name), so a migration runs once per schema whichever runner
// got there first, and both take the advisory lock the projection runner
// takes before migrating, so concurrent starts do not race.
import { DataSource } from 'typeorm';
import { Client, type ClientBase } from 'pg';
import { quoteIdent } from '@engagement/sql-migrations';
import { CreateContactsReadModel1767225600000 } from './1767225600000-create-contacts-read-model.migration';
import { resolveDdlTarget, runStatements, timestampOf, type RunSql } from './sql-migration';
import type { SqlMigration } from './sql-migration';

/** Every contacts migration, oldest first. Append new ones; never edit one that has shipped. */
export const contactsMigrations: Array<new () => SqlMigration> = [
  CreateContactsReadModel1767225600000,
];

export const CONTACTS_MIGRATIONS_TABLE = 'contacts_migrations';

/** The key prepareProjection() of @engagement/projections locks before it migrates a schema. */
function migrationLockKey(schema: string): string {
  return `migrate:${schema}`;
}

/**
 * Runs the pending migrations into `schema` (created if missing) with
 * TypeORM, one transaction per migration. Returns the names of those it ran.
 */
export async function runContactsMigrations(
  databaseUrl: string,
  schema: string,
): Promise<string[]> {
  const lock = new Client({ connectionString: databaseUrl });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock(hashtextextended($1, 13))', [
      migrationLockKey(schema),
    ]);
    // TypeORM keeps its ledger in the schema, so the schema must exist first.
    await lock.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    const dataSource = new DataSource({
      type: 'postgres',
      url: databaseUrl,
      schema,
      migrations: contactsMigrations,
      migrationsTableName: CONTACTS_MIGRATIONS_TABLE,
      migrationsTransactionMode: 'each',
      logging: false,
    });
    await dataSource.initialize();
    try {
      const ran = await dataSource.runMigrations();
      return ran.map((m) => m.name);
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await lock
      .query('SELECT pg_advisory_unlock(hashtextextended($1, 13))', [migrationLockKey(schema)])
      .catch(() => undefined);
    await lock.end();
  }
}

/**
 * Runs the pending migrations into `schema` on a connection the caller holds
 * (and locks, and perhaps holds a transaction on). Returns the names it ran.
 */
export async function applyContactsMigrations(
  client: ClientBase,
  schema: string,
): Promise<string[]> {
  const s = quoteIdent(schema);
  const run: RunSql = async (sql) => (await client.query(sql)).rows;
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
  // TypeORM's ledger, column for column, so either runner sees the other's work.
  await client.query(`CREATE TABLE IF NOT EXISTS ${s}.${CONTACTS_MIGRATIONS_TABLE} (
    id SERIAL PRIMARY KEY,
    "timestamp" bigint NOT NULL,
    name varchar NOT NULL
  )`);
  const { rows } = await client.query<{ name: string }>(
    `SELECT name FROM ${s}.${CONTACTS_MIGRATIONS_TABLE}`,
  );
  const done = new Set(rows.map((r) => r.name));
  const pending = contactsMigrations
    .map((M) => new M())
    .filter((m) => !done.has(m.name))
    .sort((a, b) => timestampOf(a) - timestampOf(b));
  if (pending.length === 0) return [];

  const target = await resolveDdlTarget(run, schema);
  for (const migration of pending) {
    await runStatements(run, migration.upSql(target));
    await client.query(
      `INSERT INTO ${s}.${CONTACTS_MIGRATIONS_TABLE} ("timestamp", name) VALUES ($1, $2)`,
      [timestampOf(migration), migration.name],
    );
  }
  return pending.map((m) => m.name);
}
