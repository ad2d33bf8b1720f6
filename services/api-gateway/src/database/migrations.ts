// The gateway's own tables (API keys, idempotency records) in its own
// PostgreSQL schema. Plain SQL, applied at start under an advisory lock so
// that two gateways starting at once do not race; each applied version is
// recorded, so running it again changes nothing.
import type { Pool } from 'pg';
import { applySqlMigrations, quoteIdent } from '@engagement/sql-migrations';

/** Quotes a schema name spliced into SQL. Names come from configuration, never from requests. */
export { quoteIdent };

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
    {
      // Personal data gets scopes of its own (export and history: pii:read; erase: pii:erase).
      version: 2,
      sql: `
        ALTER TABLE ${s}.api_keys DROP CONSTRAINT api_keys_scopes_check;
        ALTER TABLE ${s}.api_keys ADD CONSTRAINT api_keys_scopes_check CHECK (
          cardinality(scopes) > 0
          AND scopes <@ ARRAY['read', 'write', 'admin', 'pii:read', 'pii:erase']
        );
      `,
    },
  ];
}

export async function migrateGatewaySchema(pool: Pool, schema: string): Promise<void> {
  await applySqlMigrations(pool, schema, migrations(quoteIdent(schema)));
}
