// message_templates and sent_messages against the seed: the seed's own DDL
// is loaded into one scratch schema, our projection's migrate() runs into
// another, and the two are compared (@engagement/seed-schema). Any
// difference fails unless the allow-list names it with its reason; an
// allowance no longer needed fails too.
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { loadPlatformConfig } from '@engagement/config';
import {
  describeSchema,
  diffSchemas,
  readSeedStatements,
  type SchemaDifference,
} from '@engagement/seed-schema';
import { messagingReadModelProjection } from '../read-model/messaging-read-model.projection';

const TABLES = ['message_templates', 'sent_messages'] as const;

const ALLOWED: Array<Pick<SchemaDifference, 'kind' | 'key'> & { why: string }> = [
  {
    kind: 'extra',
    key: 'column sent_messages.template_version',
    why: 'every sent message records the template version it used (the issue); added last',
  },
  {
    kind: 'missing',
    key: 'constraint sent_messages.sent_messages_contact_id_fkey',
    why: 'contacts belong to the contacts service: a service never references another service’s tables',
  },
  {
    kind: 'missing',
    key: 'constraint sent_messages.sent_messages_registration_id_fkey',
    why: 'registrations belong to the events service',
  },
];

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
      const statements = readSeedStatements(TABLES);
      expect(statements.filter((s) => s.startsWith('CREATE TABLE'))).toHaveLength(2);
      expect(statements.filter((s) => s.startsWith('CREATE INDEX'))).toHaveLength(5);
      await client.query(`CREATE SCHEMA ${seedSchema}`);
      await client.query(`SET search_path TO ${seedSchema}, ${rows[0].schema}`);
      try {
        // The tables the seed's foreign keys point at (other sections of the seed; campaigns: ours).
        for (const table of ['contacts', 'registrations', 'campaigns']) {
          await client.query(`CREATE TABLE ${table} (id UUID PRIMARY KEY)`);
        }
        for (const sql of statements) await client.query(sql);
      } finally {
        await client.query('RESET search_path');
      }

      const seed = await describeSchema(client, seedSchema, TABLES);
      const ours = await describeSchema(client, ourSchema, TABLES);
      expect(seed.get('column message_templates.id')).toBe(
        '#1 uuid default=public.uuid_generate_v4() nullable=NO',
      );
      expect(seed.size).toBeGreaterThan(60);

      const differences = diffSchemas(seed, ours);
      const allowed = (d: SchemaDifference) =>
        ALLOWED.some((a) => a.kind === d.kind && a.key === d.key);
      expect(differences.filter((d) => !allowed(d))).toEqual([]);
      expect(
        ALLOWED.filter((a) => !differences.some((d) => d.kind === a.kind && d.key === a.key)),
      ).toEqual([]);
    } finally {
      client.release();
    }
  });
});
