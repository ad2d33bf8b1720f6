// Row-by-row comparison and checksums of a projection's tables in two
// schemas (live and rebuilt). Rows are matched on the table's primary key;
// every column is compared through its text form.
import type { PoolClient } from 'pg';
import type { ProjectionTable } from './projection';
import { quoteIdent } from '@engagement/sql-migrations';

export interface TableDifference {
  table: string;
  kind: 'only-live' | 'only-rebuilt' | 'changed';
  key: Record<string, unknown>;
  live: Record<string, unknown> | null;
  rebuilt: Record<string, unknown> | null;
}

export async function compareTable(
  client: PoolClient,
  table: ProjectionTable,
  liveSchema: string,
  rebuiltSchema: string,
  limit = 100,
): Promise<{ differences: TableDifference[]; total: number }> {
  const t = quoteIdent(table.name);
  const live = `${quoteIdent(liveSchema)}.${t}`;
  const rebuilt = `${quoteIdent(rebuiltSchema)}.${t}`;
  const on = table.primaryKey.map((c) => `l.${quoteIdent(c)} = r.${quoteIdent(c)}`).join(' AND ');
  const firstKey = quoteIdent(table.primaryKey[0]);
  const { rows } = await client.query<{
    l: Record<string, unknown> | null;
    r: Record<string, unknown> | null;
    total: string;
  }>(
    `SELECT to_jsonb(l) AS l, to_jsonb(r) AS r, count(*) OVER () AS total
       FROM ${live} l FULL OUTER JOIN ${rebuilt} r ON ${on}
      WHERE l.${firstKey} IS NULL OR r.${firstKey} IS NULL OR to_jsonb(l) IS DISTINCT FROM to_jsonb(r)
      LIMIT ${Number(limit)}`,
  );
  const differences = rows.map((row): TableDifference => {
    const side = row.l ?? row.r ?? {};
    const key = Object.fromEntries(table.primaryKey.map((c) => [c, side[c]]));
    const kind = row.l === null ? 'only-rebuilt' : row.r === null ? 'only-live' : 'changed';
    return { table: table.name, kind, key, live: row.l, rebuilt: row.r };
  });
  return { differences, total: rows.length === 0 ? 0 : Number(rows[0].total) };
}

/** Row count and a checksum of the rows in primary-key order (equal tables, equal sums). */
export async function tableChecksum(
  client: PoolClient,
  table: ProjectionTable,
  schema: string,
): Promise<{ rows: number; checksum: string }> {
  const order = table.primaryKey.map((c) => quoteIdent(c)).join(', ');
  const { rows } = await client.query<{ rows: string; checksum: string | null }>(
    `SELECT count(*) AS rows, md5(string_agg(md5(to_jsonb(t)::text), '' ORDER BY ${order})) AS checksum
       FROM ${quoteIdent(schema)}.${quoteIdent(table.name)} t`,
  );
  return { rows: Number(rows[0].rows), checksum: rows[0].checksum ?? md5Empty };
}

const md5Empty = 'd41d8cd98f00b204e9800998ecf8427e';
