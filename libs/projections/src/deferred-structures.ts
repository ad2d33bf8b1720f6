// Bulk-load helper for rebuilds: secondary indexes and foreign keys cost
// more per row than the rows themselves (GIN indexes most of all), and a
// rebuild writes every row once. So a rebuild drops them from its fresh
// schema before loading and creates them again after, which checks every
// foreign key once over the whole table. Primary keys and unique indexes
// stay: upserts (ON CONFLICT) and the projection's own lookups need them.
import type { PoolClient } from 'pg';
import { quoteIdent } from '@engagement/sql-migrations';

/** Drops the schema's non-unique indexes and foreign keys; returns the function that restores them. */
export async function deferSecondaryStructures(
  client: PoolClient,
  schema: string,
  tables: string[],
): Promise<(client: PoolClient) => Promise<void>> {
  const indexes = await client.query<{ indexname: string; indexdef: string }>(
    `SELECT indexname, indexdef FROM pg_indexes
      WHERE schemaname = $1 AND tablename = ANY ($2::text[]) AND indexdef NOT LIKE 'CREATE UNIQUE %'`,
    [schema, tables],
  );
  const foreignKeys = await client.query<{
    table_name: string;
    conname: string;
    definition: string;
  }>(
    `SELECT c.conrelid::regclass::text AS table_name, c.conname, pg_get_constraintdef(c.oid) AS definition
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE n.nspname = $1 AND c.contype = 'f'`,
    [schema],
  );
  for (const fk of foreignKeys.rows) {
    await client.query(`ALTER TABLE ${fk.table_name} DROP CONSTRAINT ${quoteIdent(fk.conname)}`);
  }
  for (const index of indexes.rows) {
    await client.query(`DROP INDEX ${quoteIdent(schema)}.${quoteIdent(index.indexname)}`);
  }
  return async (restoreWith: PoolClient) => {
    for (const index of indexes.rows) await restoreWith.query(index.indexdef);
    for (const fk of foreignKeys.rows) {
      await restoreWith.query(
        `ALTER TABLE ${fk.table_name} ADD CONSTRAINT ${quoteIdent(fk.conname)} ${fk.definition}`,
      );
    }
  };
}
