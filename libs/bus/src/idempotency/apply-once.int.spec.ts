import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { dropSchema, testInfrastructure, uniqueName } from '../testing/test-infrastructure';
import { applyOnce, applyOnceBatch } from './apply-once';
import { ensureProcessedEventsTable } from './processed-events-table';

const { databaseUrl } = testInfrastructure();
const schema = uniqueName('bus_idem');
let pool: Pool;

beforeAll(async () => {
  pool = new Pool({ connectionString: databaseUrl, max: 4 });
  // Called twice, concurrently, as two services starting together would.
  await Promise.all([
    ensureProcessedEventsTable(pool, schema),
    ensureProcessedEventsTable(pool, schema),
  ]);
  await pool.query(`CREATE TABLE "${schema}".counters (name text PRIMARY KEY, value int NOT NULL)`);
});

afterAll(async () => {
  await pool.end();
  await dropSchema(databaseUrl, schema);
});

const increment =
  (name: string, by = 1) =>
  async (client: { query: Pool['query'] }) => {
    await client.query(
      `INSERT INTO "${schema}".counters (name, value) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET value = counters.value + EXCLUDED.value`,
      [name, by],
    );
  };

async function counter(name: string): Promise<number | undefined> {
  const { rows } = await pool.query<{ value: number }>(
    `SELECT value FROM "${schema}".counters WHERE name = $1`,
    [name],
  );
  return rows[0]?.value;
}

describe('applyOnce', () => {
  it('applies an event once, however often it is delivered', async () => {
    const eventId = randomUUID();
    const key = { schema, consumer: 'contact-list', eventId };
    await expect(applyOnce(pool, key, increment('once'))).resolves.toBe(true);
    await expect(applyOnce(pool, key, increment('once'))).resolves.toBe(false);
    expect(await counter('once')).toBe(1);
  });

  it('keeps a separate record per consumer', async () => {
    const eventId = randomUUID();
    await applyOnce(pool, { schema, consumer: 'a', eventId }, increment('per-consumer'));
    await applyOnce(pool, { schema, consumer: 'b', eventId }, increment('per-consumer'));
    expect(await counter('per-consumer')).toBe(2);
  });

  it('records nothing when the effect fails, so the next delivery applies it', async () => {
    const key = { schema, consumer: 'contact-list', eventId: randomUUID() };
    const failing = async () => {
      throw new Error('effect failed');
    };
    await expect(applyOnce(pool, key, failing)).rejects.toThrow('effect failed');
    await expect(applyOnce(pool, key, increment('retried'))).resolves.toBe(true);
    expect(await counter('retried')).toBe(1);
  });

  it('applies the effect once when two deliveries of the same event race', async () => {
    const key = { schema, consumer: 'contact-list', eventId: randomUUID() };
    const results = await Promise.all([
      applyOnce(pool, key, increment('race')),
      applyOnce(pool, key, increment('race')),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await counter('race')).toBe(1);
  });
});

describe('applyOnceBatch', () => {
  it('applies in one transaction only the events not applied yet, in order, each id once', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await applyOnce(pool, { schema, consumer: 'batch', eventId: b }, increment('batch'));

    const seen: string[] = [];
    const fresh = await applyOnceBatch(
      pool,
      { schema, consumer: 'batch' },
      [{ id: a }, { id: b }, { id: c }, { id: a }],
      async (client, events) => {
        seen.push(...events.map((e) => e.id));
        await increment('batch', events.length)(client);
      },
    );
    expect(fresh.map((e) => e.id)).toEqual([a, c]);
    expect(seen).toEqual([a, c]);
    expect(await counter('batch')).toBe(3);

    const again = await applyOnceBatch(
      pool,
      { schema, consumer: 'batch' },
      [{ id: a }, { id: c }],
      async () => {
        throw new Error('must not run: nothing is new');
      },
    );
    expect(again).toEqual([]);
  });
});

describe('one processed_events table for every consumer', () => {
  const older = uniqueName('bus_idem_old');
  afterAll(() => dropSchema(databaseUrl, older));

  it('brings a table made with uuid ids (by projections before) up to date, keeping its rows', async () => {
    const applied = randomUUID();
    await pool.query(`CREATE SCHEMA "${older}"`);
    await pool.query(`CREATE TABLE "${older}".processed_events (
      consumer text NOT NULL, event_id uuid NOT NULL, PRIMARY KEY (consumer, event_id))`);
    await pool.query(`INSERT INTO "${older}".processed_events VALUES ('projection', $1)`, [
      applied,
    ]);

    await ensureProcessedEventsTable(pool, older);

    const { rows } = await pool.query(
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = $1 AND table_name = 'processed_events' ORDER BY column_name`,
      [older],
    );
    expect(rows).toEqual([
      { column_name: 'consumer', data_type: 'text' },
      { column_name: 'event_id', data_type: 'text' },
      { column_name: 'processed_at', data_type: 'timestamp with time zone' },
    ]);
    const effect = jest.fn(async () => undefined);
    expect(
      await applyOnce(pool, { schema: older, consumer: 'projection', eventId: applied }, effect),
    ).toBe(false);
    expect(
      await applyOnce(pool, { schema: older, consumer: 'reactor', eventId: 'not-a-uuid' }, effect),
    ).toBe(true);
    expect(effect).toHaveBeenCalledTimes(1);
  });
});
