// The contacts read model's tables against the seed: the seed's own DDL is
// loaded into one scratch schema, our migrations run into another, and the
// two are compared through information_schema, pg_constraint and pg_indexes.
// Any difference fails the test unless the allow-list below names it with
// its reason; an allow-list entry that no longer matches fails it too.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { loadPlatformConfig } from '@engagement/config';
import { applyContactsMigrations, runContactsMigrations } from './contacts-migrations';
import { resolveDdlTarget } from './sql-migration';
import {
  describeSchema,
  diffSchemas,
  readSeedStatements,
  type SchemaDifference,
} from '@engagement/seed-schema';

const TABLES = ['contacts', 'contact_properties', 'tags', 'contact_tags', 'activities'] as const;

/** The documented, justified differences from the seed (see contacts-read-model.ddl.ts). */
const ALLOWED: Array<Pick<SchemaDifference, 'kind' | 'key'> & { why: string }> = [
  {
    kind: 'extra',
    key: 'column contacts.erased_at',
    why:
      'GDPR erasure keeps the row (activity and tag counts stay consistent) but readers must ' +
      'treat the contact as gone; the seed has no status for it. Added last, so the seed ' +
      "columns keep the seed's positions.",
  },
  {
    kind: 'extra',
    key: 'index contacts.idx_contacts_updated_at_id',
    why: "The keyset of the list endpoint's cursor (updated_at, id): pages without a full sort.",
  },
];

const { databaseUrl } = loadPlatformConfig();
const suffix = () => randomUUID().replace(/-/g, '').slice(0, 10);

describe('contacts read model schema', () => {
  const seedSchema = `seed_${suffix()}`;
  const typeormSchema = `contacts_typeorm_${suffix()}`;
  const clientSchema = `contacts_client_${suffix()}`;
  let client: Client;

  beforeAll(async () => {
    client = new Client({ connectionString: databaseUrl });
    await client.connect();
  });

  afterAll(async () => {
    for (const schema of [seedSchema, typeormSchema, clientSchema])
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  async function loadSeed(): Promise<void> {
    const statements = readSeedStatements(TABLES);
    // Five tables, and every index the seed gives them.
    expect(statements.filter((s) => s.startsWith('CREATE TABLE'))).toHaveLength(5);
    expect(statements.filter((s) => s.startsWith('CREATE INDEX'))).toHaveLength(16);
    // Our migrations need uuid-ossp too (the seed's default); it finds or creates it.
    const { uuidSchema } = await resolveDdlTarget(
      async (sql) => (await client.query(sql)).rows,
      seedSchema,
    );
    await client.query(`CREATE SCHEMA ${seedSchema}`);
    await client.query(`SET search_path TO ${seedSchema}, ${uuidSchema}`);
    try {
      for (const sql of statements) await client.query(sql);
    } finally {
      await client.query('RESET search_path');
    }
  }

  it('creates the seed tables column for column, differing only where documented', async () => {
    await loadSeed();
    expect(await runContactsMigrations(databaseUrl, typeormSchema)).toEqual([
      'CreateContactsReadModel1767225600000',
    ]);

    const seed = await describeSchema(client, seedSchema, TABLES);
    const ours = await describeSchema(client, typeormSchema, TABLES);
    // Sanity: the description saw what it should (columns, FKs with ON DELETE CASCADE, GIN).
    expect(seed.get('column contacts.id')).toBe(
      '#1 uuid default=public.uuid_generate_v4() nullable=NO',
    );
    expect(seed.get('constraint contact_tags.contact_tags_tag_id_fkey')).toBe(
      'f FOREIGN KEY (tag_id) REFERENCES tags(id) ON DELETE CASCADE',
    );
    expect(seed.get('index activities.idx_activities_data')).toBe(
      'CREATE INDEX idx_activities_data ON activities USING gin (activity_data)',
    );

    const differences = diffSchemas(seed, ours);
    const allowed = (d: SchemaDifference) =>
      ALLOWED.some((a) => a.kind === d.kind && a.key === d.key);
    expect(differences.filter((d) => !allowed(d))).toEqual([]);
    // Every allowance is still needed: the list never outlives the differences it excuses.
    expect(
      ALLOWED.filter((a) => !differences.some((d) => d.kind === a.kind && d.key === a.key)),
    ).toEqual([]);
  });

  it('creates exactly the same tables through the projection path, once per schema', async () => {
    await runContactsMigrations(databaseUrl, typeormSchema).catch(() => undefined);
    expect(await applyContactsMigrations(client, clientSchema)).toEqual([
      'CreateContactsReadModel1767225600000',
    ]);
    const viaTypeorm = await describeSchema(client, typeormSchema, TABLES);
    const viaClient = await describeSchema(client, clientSchema, TABLES);
    expect(viaTypeorm.size).toBeGreaterThan(60);
    expect(diffSchemas(viaTypeorm, viaClient)).toEqual([]);

    // Both runners share one ledger: neither runs a migration the other ran.
    expect(await applyContactsMigrations(client, typeormSchema)).toEqual([]);
    expect(await runContactsMigrations(databaseUrl, clientSchema)).toEqual([]);
    expect(await applyContactsMigrations(client, clientSchema)).toEqual([]);
    const ledger = await client.query(
      `SELECT "timestamp", name FROM ${clientSchema}.contacts_migrations`,
    );
    expect(ledger.rows).toEqual([
      { timestamp: '1767225600000', name: 'CreateContactsReadModel1767225600000' },
    ]);
  });
});
