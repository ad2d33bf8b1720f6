// Applies the event store's migrations once, under an advisory lock, and
// records each applied version in <schema>.schema_migrations.
import type { Pool } from 'pg';
import { applySqlMigrations } from '@engagement/sql-migrations';
import { eventStoreMigrations } from './postgres-event-store.schema';

export async function migratePostgresEventStore(pool: Pool, schema: string): Promise<void> {
  await applySqlMigrations(pool, schema, eventStoreMigrations(schema));
}
