// Where the API's queries read from: a pg Pool (each query on any
// connection) or a client the caller holds (inside its own transaction),
// and the schema the read model lives in (`contacts`, or a test's own).
import { Pool, type PoolClient } from 'pg';
import { quoteIdent } from '@engagement/sql-migrations';

export type Queryable = Pool | PoolClient;

export interface ReadModelSource {
  db: Queryable;
  schema: string;
}

/** The schema, quoted for splicing into SQL (names come from code, never from users). */
export function schemaOf(source: ReadModelSource): string {
  return quoteIdent(source.schema);
}

/**
 * Runs several queries on one snapshot: on a Pool, inside a read-only
 * repeatable-read transaction of its own; on a held client, as they come
 * (the caller owns that transaction).
 */
export async function inSnapshot<T>(
  db: Queryable,
  work: (client: Queryable) => Promise<T>,
): Promise<T> {
  if (!(db instanceof Pool)) return work(db);
  const client = await db.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
