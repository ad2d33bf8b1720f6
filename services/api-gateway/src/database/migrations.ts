// The gateway's own tables (API keys, idempotency records) in its own
// PostgreSQL schema. Plain SQL, applied at start under an advisory lock so
// that two gateways starting at once do not race; each applied version is
// recorded, so running it again changes nothing.
import type { Pool } from 'pg';

/** Quotes a schema name spliced into SQL. Names come from configuration, never from requests. */
export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`"${name}" is not a valid schema name: use lower-case letters, digits and _`);
  }
  return `"${name}"`;
}

function migrations(s: string): { version: number; sql: string }[] {
  return [
    {
      version: 1,
      sql: `
        CREATE TABLE ${s}.api_keys (
          id           uuid PRIMARY KEY,
          name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
          -- The first characters of the key, so people can tell their keys apart.
          key_prefix   text NOT NULL,
          -- SHA-256 of the whole key, hex. The key itself is never stored.
          key_hash     text NOT NULL UNIQUE,
          scopes       text[] NOT NULL
                       CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['read', 'write', 'admin']),
          created_at   timestamptz NOT NULL DEFAULT now(),
          revoked_at   timestamptz,
          last_used_at timestamptz
        );

        CREATE TABLE ${s}.idempotency_keys (
          api_key_id       uuid NOT NULL REFERENCES ${s}.api_keys (id),
          idempotency_key  text NOT NULL CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
          -- SHA-256 of method, path and body: the same key must come with the same request.
          request_hash     text NOT NULL,
          state            text NOT NULL CHECK (state IN ('in_flight', 'completed')),
          -- While in flight: after this moment the first attempt is presumed dead
          -- (its gateway crashed) and a retry may take the key over.
          locked_until     timestamptz NOT NULL,
          response_status  integer,
          response_headers jsonb,
          response_body    bytea,
          created_at       timestamptz NOT NULL DEFAULT now(),
          expires_at       timestamptz NOT NULL,
          PRIMARY KEY (api_key_id, idempotency_key)
        );
        CREATE INDEX idempotency_keys_expires_at ON ${s}.idempotency_keys (expires_at);
      `,
    },
  ];
}

export async function migrateGatewaySchema(pool: Pool, schema: string): Promise<void> {
  const s = quoteIdent(schema);
  const lockKey = `migrate:${schema}`;
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [lockKey]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const { rows } = await client.query<{ version: number }>(
        `SELECT version FROM ${s}.schema_migrations`,
      );
      const applied = new Set(rows.map((row) => row.version));
      for (const migration of migrations(s)) {
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
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lockKey]);
    }
  } finally {
    client.release();
  }
}
