// message_templates and sent_messages against the seed: the seed's own DDL
// is loaded into one scratch schema, our projection's migrate() runs into
// another, and the two are compared through information_schema,
// pg_constraint and pg_indexes. Any difference fails unless the allow-list
// names it with its reason; an allowance no longer needed fails too.
// (The comparison is the one contacts' seed-schema test makes; a shared
// test-support library would hold it once.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';
import { findWorkspaceRoot, loadPlatformConfig } from '@engagement/config';
import { messagingReadModelProjection } from '../read-model/messaging-read-model.projection';

const TABLES = ['message_templates', 'sent_messages'];

const ALLOWED: Array<{ key: string; why: string }> = [
  {
    key: 'extra column sent_messages.template_version',
    why: 'every sent message records the template version it used (the issue); added last',
  },
  {
    key: 'missing constraint sent_messages.sent_messages_contact_id_fkey',
    why: 'contacts belong to the contacts service: a service never references another service’s tables',
  },
  {
    key: 'missing constraint sent_messages.sent_messages_registration_id_fkey',
    why: 'registrations belong to the events service',
  },
];

function seedStatements(): string[] {
  const markdown = readFileSync(
    join(findWorkspaceRoot(), '..', 'shared', 'seed', 'abstract-schema-v2.md'),
    'utf8',
  );
  const sql = [...markdown.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
  return sql
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/--[^\n]*/g, '')
    .split(';')
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => {
      const table =
        /^CREATE TABLE (\w+)/i.exec(s)?.[1] ??
        /^CREATE (?:UNIQUE )?INDEX \w+ ON (\w+)/i.exec(s)?.[1];
      return table !== undefined && TABLES.includes(table);
    });
}

async function describe_(client: PoolClient, schema: string): Promise<Map<string, string>> {
  const facts = new Map<string, string>();
  const unqualify = (text: string) => text.split(`${schema}.`).join('');
  await client.query('SET search_path TO pg_catalog');
  try {
    const columns = await client.query(
      `SELECT table_name, column_name, ordinal_position, data_type, column_default, is_nullable
         FROM information_schema.columns WHERE table_schema = $1 AND table_name = ANY($2)`,
      [schema, TABLES],
    );
    for (const c of columns.rows) {
      facts.set(
        `column ${c.table_name}.${c.column_name}`,
        `#${c.ordinal_position} ${c.data_type} default=${c.column_default === null ? 'null' : unqualify(c.column_default)} nullable=${c.is_nullable}`,
      );
    }
    const constraints = await client.query(
      `SELECT t.relname AS table_name, c.conname, c.contype::text || ' ' || pg_get_constraintdef(c.oid) AS definition
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = $1 AND t.relname = ANY($2)`,
      [schema, TABLES],
    );
    for (const c of constraints.rows)
      facts.set(`constraint ${c.table_name}.${c.conname}`, unqualify(c.definition));
    const indexes = await client.query(
      `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = ANY($2)`,
      [schema, TABLES],
    );
    for (const i of indexes.rows)
      facts.set(`index ${i.tablename}.${i.indexname}`, unqualify(i.indexdef));
  } finally {
    await client.query('RESET search_path');
  }
  return facts;
}

describe('messaging read model schema', () => {
  const suffix = randomUUID().replace(/-/g, '').slice(0, 10);
  const seedSchema = `seed_msg_${suffix}`;
  const ourSchema = `messaging_schema_${suffix}`;
  const pool = new Pool({ connectionString: loadPlatformConfig().databaseUrl, max: 2 });

  afterAll(async () => {
    for (const s of [seedSchema, ourSchema]) await pool.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await pool.end();
  });

  it('creates the seed’s message_templates and sent_messages column for column, differing only where documented', async () => {
    const client = await pool.connect();
    try {
      await messagingReadModelProjection(ourSchema).migrate(client, ourSchema);
      const { rows } = await client.query(
        `SELECT extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname = 'uuid-ossp'`,
      );
      const statements = seedStatements();
      expect(statements.filter((s) => s.startsWith('CREATE TABLE'))).toHaveLength(2);
      expect(statements.filter((s) => s.startsWith('CREATE INDEX'))).toHaveLength(5);
      await client.query(`CREATE SCHEMA ${seedSchema}`);
      await client.query(`SET search_path TO ${seedSchema}, ${rows[0].schema}`);
      try {
        // The tables the seed's foreign keys point at, as the seed's other sections (or, for campaigns, ours) make them.
        for (const table of ['contacts', 'registrations', 'campaigns']) {
          await client.query(`CREATE TABLE ${table} (id UUID PRIMARY KEY)`);
        }
        for (const sql of statements) await client.query(sql);
      } finally {
        await client.query('RESET search_path');
      }

      const seed = await describe_(client, seedSchema);
      const ours = await describe_(client, ourSchema);
      expect(seed.get('column message_templates.id')).toBe(
        '#1 uuid default=public.uuid_generate_v4() nullable=NO',
      );
      expect(seed.size).toBeGreaterThan(60);

      const differences: string[] = [];
      for (const [key, want] of seed) {
        const got = ours.get(key);
        if (got === undefined) differences.push(`missing ${key}`);
        else if (got !== want) differences.push(`changed ${key}: ${want} -> ${got}`);
      }
      for (const key of ours.keys()) if (!seed.has(key)) differences.push(`extra ${key}`);
      const allowed = new Set(ALLOWED.map((a) => a.key));
      expect(differences.filter((d) => !allowed.has(d))).toEqual([]);
      expect(ALLOWED.filter((a) => !differences.includes(a.key))).toEqual([]);
    } finally {
      client.release();
    }
  });
});
