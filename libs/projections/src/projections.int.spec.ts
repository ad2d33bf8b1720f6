import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { loadPlatformConfig } from '@engagement/config';
import { applyOnce, ensureProcessedEventsTable } from '@engagement/bus';
import { PostgresEventStore, type NewEvent } from '@engagement/event-store';
import { applyKafkaBatch, applyStoreBatch } from './apply-batch';
import { CheckpointMovedError } from './projection-checkpoints';
import { prepareProjection, startProjection } from './projection-runner';
import { runHistoryCli, runProjectionsCli } from './projections-cli';
import { sampleContactsProjection } from './sample-projection';

const { databaseUrl } = loadPlatformConfig();
const id = () => randomUUID().replace(/-/g, '').slice(0, 10);
const quiet = () => ({ update: () => undefined, finish: () => undefined });

async function waitFor(probe: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('waitFor: condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function event(type: string, data: Record<string, string>): NewEvent {
  return {
    id: randomUUID(),
    type,
    schemaVersion: 1,
    data,
    metadata: {
      correlationId: randomUUID(),
      causationId: null,
      traceparent: null,
      actor: 'test',
      occurredAt: new Date().toISOString(),
    },
  };
}

describe('projections', () => {
  const eventStoreSchema = `es_proj_${id()}`;
  const schemas: string[] = [];
  let store: PostgresEventStore;
  let pool: Pool;

  beforeAll(async () => {
    store = await PostgresEventStore.connect({
      connectionString: databaseUrl,
      schema: eventStoreSchema,
      pollIntervalMs: 50,
    });
    pool = new Pool({ connectionString: databaseUrl, max: 8 });
  });
  afterAll(async () => {
    await store.close();
    for (const schema of [eventStoreSchema, ...schemas]) {
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      for (const suffix of ['_rebuild', '_audit'])
        await pool.query(`DROP SCHEMA IF EXISTS ${schema}${suffix} CASCADE`);
      const archives = await pool.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, [
        `${schema}_archive_%`,
      ]);
      for (const row of archives.rows) await pool.query(`DROP SCHEMA "${row.nspname}" CASCADE`);
    }
    await pool.end();
  });

  function newProjection(source: 'event-store' | 'kafka' = 'event-store') {
    const schema = `proj_${id()}`;
    schemas.push(schema);
    const prefix = `sample${id()}-`;
    return {
      projection: sampleContactsProjection({ schema, streamPrefix: prefix, source }),
      prefix,
      schema,
    };
  }

  async function writeContacts(prefix: string, count: number): Promise<bigint> {
    let position = 0n;
    for (let i = 0; i < count; i++) {
      const stream = `${prefix}${i}`;
      await store.appendToStream(
        stream,
        [event('SampleContactCreated', { email: `c${i}@example.com` })],
        { expectedRevision: 'no_stream' },
      );
      const r = await store.appendToStream(
        stream,
        [event('SampleContactRenamed', { name: `Name ${i}` })],
        { expectedRevision: 0n },
      );
      position = r.position;
    }
    return position;
  }

  it('applies events live, with the checkpoint in the same transaction, and follows new events', async () => {
    const { projection, prefix, schema } = newProjection();
    const position = await writeContacts(prefix, 5);
    const running = await startProjection({ store, pool, projection });
    await running.waitForPosition(position);
    const { rows } = await pool.query(
      `SELECT id, email, name, renames FROM ${schema}.sample_contacts ORDER BY id`,
    );
    expect(rows).toHaveLength(5);
    expect(rows[0]).toMatchObject({
      id: `${prefix}0`,
      email: 'c0@example.com',
      name: 'Name 0',
      renames: 1,
    });

    const later = await store.appendToStream(
      `${prefix}0`,
      [event('SampleContactRenamed', { name: 'Again' })],
      { expectedRevision: 1n },
    );
    await running.waitForPosition(later.position);
    const again = await pool.query(
      `SELECT name, renames FROM ${schema}.sample_contacts WHERE id = $1`,
      [`${prefix}0`],
    );
    expect(again.rows[0]).toEqual({ name: 'Again', renames: 2 });
    await running.stop();
  });

  it('applies a store batch once: a replayed batch is refused by the checkpoint and changes nothing', async () => {
    const { projection, prefix, schema } = newProjection();
    await writeContacts(prefix, 2);
    await prepareProjection(pool, projection);
    const { events, checkpoint } = await store.readAll({ filter: projection.filter });
    await applyStoreBatch(pool, { projection, schema }, events, -1n, checkpoint);
    await expect(
      applyStoreBatch(pool, { projection, schema }, events, -1n, checkpoint),
    ).rejects.toBeInstanceOf(CheckpointMovedError);
    const { rows } = await pool.query(`SELECT renames FROM ${schema}.sample_contacts`);
    expect(rows.map((r) => r.renames)).toEqual([1, 1]);
  });

  it('rolls back rows and checkpoint together when applying fails midway', async () => {
    const { projection, prefix, schema } = newProjection();
    await writeContacts(prefix, 3);
    await prepareProjection(pool, projection);
    const { events, checkpoint } = await store.readAll({ filter: projection.filter });
    const failing = {
      ...projection,
      apply: async (batch: typeof events, client: Parameters<typeof projection.apply>[1]) => {
        await projection.apply(batch.slice(0, 2), client);
        throw new Error('crash after two events');
      },
    };
    await expect(
      applyStoreBatch(pool, { projection: failing, schema }, events, -1n, checkpoint),
    ).rejects.toThrow('crash');
    expect(
      (await pool.query(`SELECT count(*)::int AS n FROM ${schema}.sample_contacts`)).rows[0].n,
    ).toBe(0);
    expect(
      (await pool.query(`SELECT count(*)::int AS n FROM ${schema}.projection_checkpoints`)).rows[0]
        .n,
    ).toBe(0);
    await applyStoreBatch(pool, { projection, schema }, events, -1n, checkpoint);
    expect(
      (await pool.query(`SELECT count(*)::int AS n FROM ${schema}.sample_contacts`)).rows[0].n,
    ).toBe(3);
  });

  it('applies a Kafka-delivered batch once even when it is delivered twice', async () => {
    const { projection, prefix, schema } = newProjection('kafka');
    await writeContacts(prefix, 3);
    await prepareProjection(pool, projection);
    const { events } = await store.readAll({ filter: projection.filter });
    expect(await applyKafkaBatch(pool, { projection, schema }, events)).toBe(6);
    expect(await applyKafkaBatch(pool, { projection, schema }, [...events, events[1]])).toBe(0);
    const { rows } = await pool.query(`SELECT renames FROM ${schema}.sample_contacts ORDER BY id`);
    expect(rows.map((r) => r.renames)).toEqual([1, 1, 1]);
  });

  it('shares the one processed_events table of a schema with the applyOnce consumers of the bus', async () => {
    const { projection, prefix, schema } = newProjection('kafka');
    await writeContacts(prefix, 1);
    await prepareProjection(pool, projection);
    await ensureProcessedEventsTable(pool, schema); // a reactor of the same service starting
    const { events } = await store.readAll({ filter: projection.filter });
    expect(await applyKafkaBatch(pool, { projection, schema }, events)).toBe(2);
    const reacted: string[] = [];
    for (const e of events)
      await applyOnce(pool, { schema, consumer: 'reactor', eventId: e.id }, async () => {
        reacted.push(e.id);
      });
    expect(reacted).toEqual(events.map((e) => e.id));
    expect(await applyKafkaBatch(pool, { projection, schema }, events)).toBe(0);
    const { rows } = await pool.query(
      `SELECT consumer, count(*)::int AS n FROM ${schema}.processed_events GROUP BY consumer ORDER BY consumer`,
    );
    expect(rows).toEqual([
      { consumer: 'reactor', n: 2 },
      { consumer: projection.name, n: 2 },
    ]);
  });

  it('rebuilds, audits (identical, then one drifted row), and swaps the rebuilt tables in while the runner goes on', async () => {
    const { projection, prefix, schema } = newProjection();
    const position = await writeContacts(prefix, 20);
    const running = await startProjection({ store, pool, projection });
    await running.waitForPosition(position);
    const lines: string[] = [];
    const deps = {
      store,
      pool,
      projections: [projection],
      out: (l: string) => lines.push(l),
      progress: quiet,
    };

    const code = await runProjectionsCli(['audit', projection.name], deps);
    expect(lines.join('\n')).toMatch(`audit ${projection.name}: identical`);
    expect(code).toBe(0);
    expect(lines.join('\n')).toMatch(/rebuild sample-contacts: 40 events read, 20 rows written/);

    // Drift: somebody edits a live row by hand.
    await pool.query(
      `UPDATE ${schema}.sample_contacts SET email = 'tampered@example.com' WHERE id = $1`,
      [`${prefix}3`],
    );
    lines.length = 0;
    expect(await runProjectionsCli(['audit', projection.name], deps)).toBe(1);
    const diff = lines.map((l) => (l.startsWith('{') ? JSON.parse(l) : null)).filter(Boolean);
    expect(diff).toHaveLength(1);
    expect(diff[0]).toMatchObject({
      table: 'sample_contacts',
      kind: 'changed',
      key: { id: `${prefix}3` },
    });
    expect(diff[0].live.email).toBe('tampered@example.com');
    expect(diff[0].rebuilt.email).toBe('c3@example.com');

    expect(await runProjectionsCli(['rebuild', projection.name], deps)).toBe(0);
    const more = await writeContacts(`${prefix}late-`, 2);
    expect(await runProjectionsCli(['swap', projection.name], deps)).toBe(0);
    const healed = await pool.query(`SELECT email FROM ${schema}.sample_contacts WHERE id = $1`, [
      `${prefix}3`,
    ]);
    expect(healed.rows[0].email).toBe('c3@example.com');
    expect(
      (await pool.query(`SELECT count(*)::int AS n FROM ${schema}.sample_contacts`)).rows[0].n,
    ).toBe(22);

    // The live runner notices the moved checkpoint and carries on into the new tables.
    const after = await store.appendToStream(
      `${prefix}late-0`,
      [event('SampleContactRenamed', { name: 'After swap' })],
      {
        expectedRevision: 1n,
      },
    );
    await running.waitForPosition(after.position, 20_000);
    const renamed = await pool.query(`SELECT name FROM ${schema}.sample_contacts WHERE id = $1`, [
      `${prefix}late-0`,
    ]);
    expect(renamed.rows[0].name).toBe('After swap');
    expect(more).toBeGreaterThan(position);

    lines.length = 0;
    expect(await runProjectionsCli(['audit', projection.name], deps)).toBe(0);
    expect(await runProjectionsCli(['list'], deps)).toBe(0);
    expect(lines.at(-1)).toMatch(new RegExp(`${projection.name}.*checkpoint=\\d+ lag=0 events`));
    await running.stop();
  });

  it('swaps promptly while writers keep appending, and loses nothing written during the swap', async () => {
    const { projection, prefix, schema } = newProjection();
    const position = await writeContacts(prefix, 10);
    const running = await startProjection({ store, pool, projection });
    await running.waitForPosition(position);
    const deps = {
      store,
      pool,
      projections: [projection],
      out: () => undefined,
      progress: quiet,
    };
    expect(await runProjectionsCli(['rebuild', projection.name], deps)).toBe(0);

    // Writers append all along the swap, several at a time.
    let writing = true;
    let written = 0;
    let last = position;
    const writers = Array.from({ length: 3 }, async (_, w) => {
      for (let i = 0; writing; i++) {
        const r = await store.appendToStream(
          `${prefix}during-${w}-${i}`,
          [event('SampleContactCreated', { email: `d${w}-${i}@example.com` })],
          { expectedRevision: 'no_stream' },
        );
        written++;
        if (r.position > last) last = r.position;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    });
    await waitFor(() => written >= 20);
    const beforeSwap = written;
    const swapped = await runProjectionsCli(['swap', projection.name], deps);
    const byTheEndOfSwap = written;
    writing = false;
    await Promise.all(writers);
    expect(swapped).toBe(0);
    expect(byTheEndOfSwap).toBeGreaterThan(beforeSwap);

    await running.waitForPosition(last, 30_000);
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM ${schema}.sample_contacts WHERE id LIKE $1`,
      [`${prefix}during-%`],
    );
    expect(rows[0].n).toBe(written);
    expect(await runProjectionsCli(['audit', projection.name], deps)).toBe(0);
    await running.stop();
  });

  it('prints a stream history as JSON lines with metadata', async () => {
    const { prefix } = newProjection();
    await writeContacts(prefix, 1);
    const lines: string[] = [];
    expect(await runHistoryCli([`${prefix}0`], { store, out: (l) => lines.push(l) })).toBe(0);
    const events = lines.map((l) => JSON.parse(l));
    expect(events.map((e) => e.type)).toEqual(['SampleContactCreated', 'SampleContactRenamed']);
    expect(events[0]).toMatchObject({
      streamId: `${prefix}0`,
      revision: '0',
      metadata: { actor: 'test' },
    });
    expect(await runHistoryCli([`${prefix}missing`], { store, out: () => undefined })).toBe(1);
  });

  it('answers bad operator input with usage and exit code 2', async () => {
    const lines: string[] = [];
    const deps = { store, pool, projections: [], out: (l: string) => lines.push(l) };
    expect(await runProjectionsCli(['audit', 'nope'], deps)).toBe(2);
    expect(await runProjectionsCli(['explode'], deps)).toBe(2);
    expect(lines.join('\n')).toMatch(/unknown projection "nope"/);
  });
});
