import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { loadPlatformConfig } from '@engagement/config';
import { applySqlMigrations, applySqlMigrationsWith, quoteIdent } from './sql-migrations';

const pool = new Pool({ connectionString: loadPlatformConfig().databaseUrl, max: 6 });
const schema = `migrations_test_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
const migrations = [
  { version: 2, sql: `ALTER TABLE ${quoteIdent(schema)}.things ADD COLUMN name text` },
  { version: 1, sql: `CREATE TABLE ${quoteIdent(schema)}.things (id integer PRIMARY KEY)` },
];

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  await pool.end();
});

describe('applySqlMigrations', () => {
  it('applies each version once, in order, even when several processes start together', async () => {
    const runs = await Promise.all(
      [1, 2, 3].map(() => applySqlMigrations(pool, schema, migrations)),
    );
    expect(runs.flat().sort()).toEqual([1, 2]);
    expect(await applySqlMigrations(pool, schema, migrations)).toEqual([]);
    await pool.query(`INSERT INTO ${quoteIdent(schema)}.things (id, name) VALUES (1, 'x')`);
  });

  it('rolls a failing migration back and records nothing for it', async () => {
    const broken = [...migrations, { version: 3, sql: 'ALTER TABLE nowhere ADD COLUMN x int' }];
    await expect(applySqlMigrations(pool, schema, broken)).rejects.toThrow();
    const { rows } = await pool.query(
      `SELECT version FROM ${quoteIdent(schema)}.schema_migrations ORDER BY version`,
    );
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
  });

  it("applies on a held connection: atomically by itself, or inside the caller's transaction", async () => {
    const other = `${schema}_held`;
    const held = [
      { version: 1, sql: `CREATE TABLE ${quoteIdent(other)}.things (id integer PRIMARY KEY);` },
      { version: 2, sql: `CREATE INDEX things_id ON ${quoteIdent(other)}.things (id); SELECT 1` },
    ];
    const client = await pool.connect();
    try {
      // Inside a transaction that is rolled back (an audit): nothing stays.
      await client.query('BEGIN');
      expect(await applySqlMigrationsWith(client, other, held)).toEqual([1, 2]);
      await client.query('ROLLBACK');
      const gone = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [other]);
      expect(gone.rowCount).toBe(0);

      // By itself: a failing migration leaves neither its effects nor its ledger row.
      const broken = [
        ...held,
        {
          version: 3,
          sql: `CREATE TABLE ${quoteIdent(other)}.more (id int); ALTER TABLE nowhere ADD COLUMN x int`,
        },
      ];
      await expect(applySqlMigrationsWith(client, other, broken)).rejects.toThrow();
      const more = await client.query(`SELECT to_regclass('${other}.more') AS t`);
      expect(more.rows[0].t).toBeNull();
      expect(await applySqlMigrationsWith(client, other, held)).toEqual([]);
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(other)} CASCADE`);
      client.release();
    }
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(applySqlMigrations(pool, 'Bad"; DROP', migrations)).rejects.toThrow('lower-case');
  });
});
