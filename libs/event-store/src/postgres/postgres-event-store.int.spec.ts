import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { loadPlatformConfig } from '@engagement/config';
import { newTestEvent, runEventStoreContract, waitFor } from '../event-store.contract';
import type { RecordedEvent } from '../event-store.port';
import { PostgresEventStore } from './postgres-event-store';

const { databaseUrl } = loadPlatformConfig();
// Each test file gets its own schema: no shared state, no truncation.
const schema = `es_test_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
const connect = () =>
  PostgresEventStore.connect({ connectionString: databaseUrl, schema, pollIntervalMs: 50 });

afterAll(async () => {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

runEventStoreContract('PostgreSQL', connect);

describe('PostgreSQL event store: the gap problem', () => {
  let store: PostgresEventStore;
  let slow: Client;
  beforeAll(async () => {
    store = await connect();
    slow = new Client({ connectionString: databaseUrl });
    await slow.connect();
  });
  afterAll(async () => {
    await slow.end();
    await store.close();
  });

  it('never lets a subscription skip an event that a slower transaction commits after later events became visible', async () => {
    const prefix = `gap${randomUUID().slice(0, 8)}-`;
    const received: RecordedEvent[] = [];
    const checkpoints: bigint[] = [];
    const subscription = store.subscribeToAll({
      filter: { streamPrefixes: [prefix] },
      handle: async (batch) => {
        received.push(...batch.events);
        checkpoints.push(batch.checkpoint);
      },
    });
    await waitFor(() => subscription.isLive);

    // The slow writer appends first, inside a transaction it keeps open...
    const slowEvent = newTestEvent('SlowOne');
    await slow.query('BEGIN');
    await slow.query(
      `SELECT * FROM ${schema}.append_to_stream($1, 'no_stream', $2::uuid[], $3::text[], $4::int[], $5::jsonb[], $6::jsonb[])`,
      [
        `${prefix}slow`,
        [slowEvent.id],
        [slowEvent.type],
        [1],
        [JSON.stringify(slowEvent.data)],
        [JSON.stringify(slowEvent.metadata)],
      ],
    );
    // ...while fast writers append and commit after it.
    for (let i = 0; i < 5; i++) {
      await store.appendToStream(`${prefix}fast-${i}`, [newTestEvent('FastOne')], {
        expectedRevision: 'no_stream',
      });
    }
    await new Promise((r) => setTimeout(r, 300));
    // Nothing past the open transaction is delivered yet: delivering the fast
    // events now would move the checkpoint past the slow event's position.
    expect(received).toHaveLength(0);

    await slow.query('COMMIT');
    await waitFor(() => received.length >= 6);
    await new Promise((r) => setTimeout(r, 100));
    await subscription.stop();

    expect(received.map((e) => e.type)).toEqual([
      'SlowOne',
      'FastOne',
      'FastOne',
      'FastOne',
      'FastOne',
      'FastOne',
    ]);
    const positions = received.map((e) => e.globalPosition);
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(received.map((e) => e.id)).size).toBe(6);
  });

  it('delivers every event exactly once while many writers commit with random delays', async () => {
    const prefix = `race${randomUUID().slice(0, 8)}-`;
    const received = new Map<string, number>();
    let lastPosition = -1n;
    let outOfOrder = 0;
    const subscription = store.subscribeToAll({
      filter: { streamPrefixes: [prefix] },
      maxBatchSize: 37,
      handle: async (batch) => {
        for (const event of batch.events) {
          received.set(event.id, (received.get(event.id) ?? 0) + 1);
          if (event.globalPosition <= lastPosition) outOfOrder++;
          lastPosition = event.globalPosition;
        }
      },
    });

    const writers = Array.from({ length: 8 }, async (_, w) => {
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      const ids: string[] = [];
      for (let i = 0; i < 25; i++) {
        const event = newTestEvent('Raced');
        ids.push(event.id);
        await client.query('BEGIN');
        await client.query(
          `SELECT * FROM ${schema}.append_to_stream($1, 'any', $2::uuid[], $3::text[], $4::int[], $5::jsonb[], $6::jsonb[])`,
          [
            `${prefix}${w}`,
            [event.id],
            [event.type],
            [1],
            [JSON.stringify(event.data)],
            [JSON.stringify(event.metadata)],
          ],
        );
        // Hold some transactions open while others commit.
        await client.query('SELECT pg_sleep($1)', [Math.random() < 0.3 ? Math.random() * 0.05 : 0]);
        await client.query('COMMIT');
      }
      await client.end();
      return ids;
    });
    const written = (await Promise.all(writers)).flat();
    await waitFor(() => received.size >= written.length, 30_000);
    await new Promise((r) => setTimeout(r, 200));
    await subscription.stop();

    expect(received.size).toBe(written.length);
    expect([...received.values()].every((count) => count === 1)).toBe(true);
    expect(outOfOrder).toBe(0);
  });
});

describe('PostgreSQL event store: transactions that are not appends delay nobody', () => {
  let store: PostgresEventStore;
  let other: Client;
  beforeAll(async () => {
    store = await connect();
    other = new Client({ connectionString: databaseUrl });
    await other.connect();
    await other.query(`CREATE TABLE ${schema}.someone_elses (id serial PRIMARY KEY, note text)`);
  });
  afterAll(async () => {
    await other.query('ROLLBACK').catch(() => undefined);
    await other.end();
    await store.close();
  });

  /** True while `client`'s transaction is open (idle in it), seen from another session. */
  async function stillOpen(client: Client): Promise<boolean> {
    const pid = (client as unknown as { processID: number }).processID;
    const { rows } = await store.connectionPool.query<{ state: string; xid: string | null }>(
      `SELECT state, backend_xid::text AS xid FROM pg_stat_activity WHERE pid = $1`,
      [pid],
    );
    return rows[0]?.state === 'idle in transaction' && rows[0].xid !== null;
  }

  async function deliveredWhile(open: Client): Promise<void> {
    const prefix = `foreign${randomUUID().slice(0, 8)}-`;
    const received: RecordedEvent[] = [];
    const subscription = store.subscribeToAll({
      filter: { streamPrefixes: [prefix] },
      handle: async (batch) => {
        received.push(...batch.events);
      },
    });
    try {
      await waitFor(() => subscription.isLive);
      const event = newTestEvent('DeliveredAnyway');
      await store.appendToStream(`${prefix}a`, [event], { expectedRevision: 'no_stream' });
      // Generous: it normally takes milliseconds; the foreign transaction stays open all along.
      await waitFor(() => received.length > 0, 30_000);
      expect(received.map((e) => e.id)).toEqual([event.id]);
      expect(await stillOpen(open)).toBe(true);
    } finally {
      await subscription.stop();
    }
  }

  it('delivers a new event while another transaction that wrote elsewhere stays open', async () => {
    await other.query('BEGIN');
    await other.query(`INSERT INTO ${schema}.someone_elses (note) VALUES ('batch job')`);
    try {
      await deliveredWhile(other);
    } finally {
      await other.query('ROLLBACK');
    }
  });

  it('delivers a new event while an audit-style repeatable read transaction writes and stays open', async () => {
    await other.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await other.query(`SELECT count(*) FROM ${schema}.events`);
    await other.query(`CREATE TABLE ${schema}.audit_scratch AS SELECT * FROM ${schema}.events`);
    await other.query(`INSERT INTO ${schema}.someone_elses (note) VALUES ('audit')`);
    try {
      await deliveredWhile(other);
    } finally {
      await other.query('ROLLBACK');
    }
  });

  it('refuses an append that is not the first write of its transaction', async () => {
    // Its transaction id is older than what readers may already have passed.
    const event = newTestEvent('TooLate');
    await other.query('BEGIN');
    await other.query(`INSERT INTO ${schema}.someone_elses (note) VALUES ('first')`);
    await expect(
      other.query(
        `SELECT * FROM ${schema}.append_to_stream($1, 'any', $2::uuid[], $3::text[], $4::int[], $5::jsonb[], $6::jsonb[])`,
        [
          `late-${randomUUID()}`,
          [event.id],
          [event.type],
          [1],
          [JSON.stringify(event.data)],
          [JSON.stringify(event.metadata)],
        ],
      ),
    ).rejects.toThrow('first write of its transaction');
    await other.query('ROLLBACK');
  });

  it('lets one transaction append to several streams, one call after the other', async () => {
    const prefix = `twice${randomUUID().slice(0, 8)}-`;
    const [a, b] = [newTestEvent('First'), newTestEvent('Second')];
    const append = (stream: string, e: typeof a) =>
      other.query(
        `SELECT * FROM ${schema}.append_to_stream($1, 'no_stream', $2::uuid[], $3::text[], $4::int[], $5::jsonb[], $6::jsonb[])`,
        [stream, [e.id], [e.type], [1], [JSON.stringify(e.data)], [JSON.stringify(e.metadata)]],
      );
    await other.query('BEGIN');
    await append(`${prefix}a`, a);
    await append(`${prefix}b`, b);
    await other.query('COMMIT');
    const page = await store.readAll({ filter: { streamPrefixes: [prefix] } });
    expect(page.events.map((e) => e.id)).toEqual([a.id, b.id]);
  });
});
