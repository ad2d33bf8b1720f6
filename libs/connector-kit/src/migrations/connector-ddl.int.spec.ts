// integrations and crm_sync_logs against the seed: the seed's own DDL is
// loaded into one scratch schema, the connector projection's migrate() runs
// into another, and the two are compared column for column, constraint for
// constraint, index for index. No difference is allowed.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { loadPlatformConfig } from '@engagement/config';
import { describeSchema, diffSchemas, readSeedStatements } from '@engagement/seed-schema';
import { connectorProjection } from '../sync-log/connector-projection';
import { ENSURE_UUID_OSSP_SQL, UUID_OSSP_SCHEMA_SQL } from './connector-ddl';

const TABLES = ['integrations', 'crm_sync_logs'] as const;
const { databaseUrl } = loadPlatformConfig();
const suffix = () => randomUUID().replace(/-/g, '').slice(0, 10);

describe('connector read model schema', () => {
  const seedSchema = `seed_${suffix()}`;
  const ourSchema = `connector_ddl_${suffix()}`;
  let client: Client;

  beforeAll(async () => {
    client = new Client({ connectionString: databaseUrl });
    await client.connect();
  });

  afterAll(async () => {
    for (const schema of [seedSchema, ourSchema]) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it("creates the seed's integrations and crm_sync_logs exactly, and re-runs harmlessly", async () => {
    const statements = readSeedStatements(TABLES);
    expect(statements.filter((s) => s.startsWith('CREATE TABLE'))).toHaveLength(2);
    expect(statements.filter((s) => s.startsWith('CREATE INDEX'))).toHaveLength(9);
    await client.query(ENSURE_UUID_OSSP_SQL);
    const uuidSchema = (await client.query<{ schema: string }>(UUID_OSSP_SCHEMA_SQL)).rows[0].schema;
    await client.query(`CREATE SCHEMA ${seedSchema}`);
    await client.query(`SET search_path TO ${seedSchema}, ${uuidSchema}`);
    try {
      for (const sql of statements) await client.query(sql);
    } finally {
      await client.query('RESET search_path');
    }

    const projection = connectorProjection('hubspot', ourSchema);
    await projection.migrate(client as never, ourSchema);
    await projection.migrate(client as never, ourSchema);

    const seed = await describeSchema(client, seedSchema, TABLES);
    const ours = await describeSchema(client, ourSchema, TABLES);
    expect(seed.get('constraint crm_sync_logs.crm_sync_logs_integration_id_fkey')).toBe(
      'f FOREIGN KEY (integration_id) REFERENCES integrations(id) ON DELETE CASCADE',
    );
    expect(seed.get('column integrations.status')).toBe("#11 text default='active'::text nullable=YES");
    expect(seed.size).toBeGreaterThan(40);
    expect(diffSchemas(seed, ours)).toEqual([]);
  });
});
