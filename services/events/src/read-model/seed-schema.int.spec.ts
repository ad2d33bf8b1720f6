// The events read model's tables against the seed: the seed's own DDL for
// events and registrations is loaded into one scratch schema, our
// migrations run into another (through the projection's migrate(), the one
// path that creates them), and the two are compared through
// information_schema, pg_constraint and pg_indexes. Any difference fails
// unless the allow-list names it with its reason; an allowance no longer
// needed fails too.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { loadPlatformConfig } from '@engagement/config';
import {
  describeSchema,
  diffSchemas,
  readSeedStatements,
  type SchemaDifference,
} from '@engagement/seed-schema';
import { ENDS_AT_EXPRESSION } from './events-read-model.ddl';
import { createEventsReadModelProjection } from './events-read-model.projection';

const TABLES = ['events', 'registrations'] as const;

const ALLOWED: Array<Pick<SchemaDifference, 'kind' | 'key'> & { why: string }> = [
  {
    kind: 'missing',
    key: 'constraint registrations.registrations_contact_id_fkey',
    why: "Contacts are the contacts service's; a service never reads another's tables (ARCHITECTURE.md).",
  },
];

const { databaseUrl } = loadPlatformConfig();
const suffix = () => randomUUID().replace(/-/g, '').slice(0, 10);

describe('events read model schema', () => {
  const seedSchema = `seed_events_${suffix()}`;
  const ourSchema = `events_schema_${suffix()}`;
  let client: Client;

  beforeAll(async () => {
    client = new Client({ connectionString: databaseUrl });
    await client.connect();
  });
  afterAll(async () => {
    for (const schema of [seedSchema, ourSchema])
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it("creates the seed's events and registrations column for column, differing only where documented", async () => {
    // The seed's contacts table too: its registrations reference it.
    const statements = readSeedStatements(['contacts', ...TABLES]);
    expect(statements.filter((s) => /^CREATE TABLE (events|registrations)\b/.test(s))).toHaveLength(
      2,
    );
    const endsAt = /ends_at TIMESTAMPTZ GENERATED ALWAYS AS \((.*?)\) STORED/;
    // The seed's generation expression is rejected by PostgreSQL ("not immutable"): the known defect.
    const seedEndsAt = statements.find((s) => endsAt.test(s))!;
    await client.query(`CREATE SCHEMA ${seedSchema}`);
    await client.query(`SET search_path TO ${seedSchema}, public`);
    try {
      await expect(client.query(seedEndsAt)).rejects.toThrow('immutable');
      for (const sql of statements)
        await client.query(
          sql.replace(
            endsAt,
            `ends_at TIMESTAMPTZ GENERATED ALWAYS AS (${ENDS_AT_EXPRESSION}) STORED`,
          ),
        );
    } finally {
      await client.query('RESET search_path');
    }

    // Our tables, the way the service and rebuilds make them.
    await client.query('BEGIN');
    await createEventsReadModelProjection(ourSchema).migrate(client as never, ourSchema);
    await client.query('COMMIT');

    const seed = await describeSchema(client, seedSchema, TABLES);
    const ours = await describeSchema(client, ourSchema, TABLES);
    expect(seed.get('column events.current_registrations')).toBe(
      '#18 integer default=0 nullable=YES',
    );
    expect(seed.get('index events.idx_events_platform_unique')).toContain(
      'WHERE (platform_event_id IS NOT NULL)',
    );
    const differences = diffSchemas(seed, ours);
    const allowed = (d: SchemaDifference) =>
      ALLOWED.some((a) => a.kind === d.kind && a.key === d.key);
    expect(differences.filter((d) => !allowed(d))).toEqual([]);
    expect(
      ALLOWED.filter((a) => !differences.some((d) => d.kind === a.kind && d.key === a.key)),
    ).toEqual([]);

    // ends_at: the same value as the seed meant (scheduled_at + duration), in any session time zone.
    await client.query(`SET TIME ZONE 'America/Los_Angeles'`);
    const { rows } = await client.query(
      `INSERT INTO ${ourSchema}.events (title, type, platform, scheduled_at, duration_minutes)
       VALUES ('t', 'webinar', 'zoom', '2027-03-14T09:30:00Z', 90) RETURNING ends_at`,
    );
    await client.query('RESET TIME ZONE');
    expect((rows[0].ends_at as Date).toISOString()).toBe('2027-03-14T11:00:00.000Z');
  });
});
