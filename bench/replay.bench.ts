// Replay of the contacts read model (issue 13: 1,000,000 events in < 30 s),
// the work `npm run projections -- rebuild contacts-read-model` does, over a
// bench-owned event store:
//   seed    BENCH_REPLAY_EVENTS (default 1,000,000) contact events, 16 per
//           contact, decided by the real contact decider (create with three
//           properties and two tags, consent, lifecycle stage, an activity,
//           with the activities and score changes they cause), personal
//           fields encrypted under each contact's own data key (the real
//           PersonalDataCipher and DataKeyStore), written set-based: one
//           transaction per 2^20 events (an append in the store's terms, so
//           its positions and visibility rules hold), 80,000 events per
//           INSERT ... SELECT FROM unnest. Not timed.
//   replay  rebuildProjection of the contacts read model into a fresh schema,
//           with a cold key cache, as the operators' CLI runs it: read pages,
//           decrypt, fold, write, checkpoint; then the secondary indexes and
//           foreign keys restored and every table checksummed. Timed.
// Everything lives in random bench_replay_* schemas, dropped at the end.
// Prints the figure next to its goal and one JSON line; never asserts.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Pool, type PoolClient } from 'pg';
import { schemaVersionOf } from '@engagement/contracts';
import { toNewEvent, type CommandContext } from '@engagement/decider';
import { loadPlatformConfig } from '@engagement/config';
import { PostgresEventStore, type NewEvent, type RecordedEvent } from '@engagement/event-store';
import { rebuildProjection } from '@engagement/projections';
import {
  batchDecider,
  contactDecider,
  tagDecider,
  type ContactCommand,
} from '../services/contacts/src/domain';
import { DataKeyStore } from '../services/contacts/src/personal-data/data-keys';
import { parseMasterKeys } from '../services/contacts/src/personal-data/master-keys';
import { PersonalDataCipher } from '../services/contacts/src/personal-data/personal-data-cipher';
import { createContactsReadModelProjection } from '../services/contacts/src/read-model';

const EVENTS = numberFromEnv('BENCH_REPLAY_EVENTS', 1_000_000);
const GOAL_SECONDS = 30;
const GOAL_EVENTS = 1_000_000;
const CONTACTS_PER_INSERT = 5_000;
const POSITION_SHIFT = 20n;
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux // postgres-event-store.schema.ts: 2^20 positions per transaction

const id = randomUUID().replace(/-/g, '').slice(0, 10);
const schemas = {
  store: `bench_replay_es_${id}`,
  contacts: `bench_replay_rm_${id}`,
};

async function main(): Promise<void> {
  const { databaseUrl } = loadPlatformConfig();
  log(`run id ${id}; ${cpus().length} cores, load average ${loadText()}`);
  // Named, so that their PostgreSQL backends' CPU can be read from /proc.
  const appName = `bench-replay-${id}`;
  const pool = new Pool({ connectionString: databaseUrl, max: 4, application_name: appName });
  pool.on('error', () => undefined);
  const masterKeys = parseMasterKeys(`bench:${randomBytes(32).toString('base64')}`);
  const storeUrl = new URL(databaseUrl);
  storeUrl.searchParams.set('application_name', appName);
  const store = await PostgresEventStore.connect({
    connectionString: storeUrl.toString(),
    schema: schemas.store,
  });
  try {
    const seedStarted = performance.now();
    const seeded = await seed(store, pool, masterKeys);
    log(
      `seeded ${fmt(seeded.events)} events of ${fmt(seeded.contacts)} contacts in ${seconds(seedStarted)} s`,
    );

    // A cold cache, as in a fresh `npm run projections` process.
    const keys = new DataKeyStore(pool, schemas.contacts, masterKeys);
    const cipher = new PersonalDataCipher(keys);
    const contactsProjection = createContactsReadModelProjection({
      schema: schemas.contacts,
      decrypt: (event) => cipher.decryptEvent(event),
      preloadKeys: (events) => cipher.preloadKeys(events),
    });
    // Where the time goes: the projection's two halves, timed (they overlap:
    // the next page is decoded while this one is written).
    const spent = { decodeMs: 0, applyMs: 0 };
    const projection = {
      ...contactsProjection,
      decode: async (events: RecordedEvent[]) => {
        const started = performance.now();
        try {
          return await contactsProjection.decode!(events);
        } finally {
          spent.decodeMs += performance.now() - started;
        }
      },
      apply: async (events: RecordedEvent[], client: PoolClient, decoded?: unknown) => {
        const started = performance.now();
        try {
          await contactsProjection.apply(events, client, decoded);
        } finally {
          spent.applyMs += performance.now() - started;
        }
      },
    };
    const cpuBefore = process.cpuUsage();
    const backendsBefore = await backendTicks(pool, appName);
    let lastReport = 0;
    const summary = await rebuildProjection(
      {
        store,
        pool,
        progress: () => ({
          update: (done) => {
            if (done - lastReport < 200_000) return;
            lastReport = done;
            log(`  ... ${fmt(done)} events replayed`);
          },
          finish: () => undefined,
        }),
      },
      projection,
    );
    const cpu = process.cpuUsage(cpuBefore);
    const nodeCpuSeconds = (cpu.user + cpu.system) / 1e6;
    const backendsAfter = await backendTicks(pool, appName);
    let ticks = 0;
    for (const [pid, after] of backendsAfter) ticks += after - (backendsBefore.get(pid) ?? 0);
    const postgresCpuSeconds = ticks / CLOCK_TICKS_PER_SECOND;
    if (summary.eventsRead !== seeded.events)
      throw new Error(
        `the rebuild read ${summary.eventsRead} events, ${seeded.events} were seeded`,
      );
    const scaled = (summary.seconds * GOAL_EVENTS) / summary.eventsRead;
    const met = scaled < GOAL_SECONDS;
    const rows = summary.tables.map((t) => `${t.table} ${fmt(t.rows)}`).join(', ');
    console.log('');
    console.log(
      `Replay benchmark (issue 13); ${cpus().length} cores, load average now ${loadText()}`,
    );
    console.log(
      `contacts read model rebuild: ${fmt(summary.eventsRead)} events in ${summary.seconds.toFixed(1)} s, ` +
        `${fmt(summary.eventsPerSecond)} events/s; rows: ${rows}`,
    );
    console.log(
      `where the time goes: CPU of this process ${nodeCpuSeconds.toFixed(1)} s and of its PostgreSQL backends ` +
        `${postgresCpuSeconds.toFixed(1)} s in the ${summary.seconds.toFixed(1)} s (with the checksums after; ` +
        `the rest is waiting for a core: load average ${loadText()}); decode (key preload, decrypt, upcast) ${(spent.decodeMs / 1000).toFixed(1)} s, ` +
        `apply (load rows, fold, write; in the transaction) ${(spent.applyMs / 1000).toFixed(1)} s; the two overlap`,
    );
    console.log(
      `goal: ${fmt(GOAL_EVENTS)} events in < ${GOAL_SECONDS} s: ` +
        `${EVENTS === GOAL_EVENTS ? '' : `scaled to ${fmt(GOAL_EVENTS)} events, `}${scaled.toFixed(1)} s, ${met ? 'met' : 'MISSED'}`,
    );
    console.log(
      JSON.stringify({
        benchmark: 'replay',
        at: new Date().toISOString(),
        machine: {
          cores: cpus().length,
          loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
        },
        events: summary.eventsRead,
        contacts: seeded.contacts,
        seconds: Math.round(summary.seconds * 10) / 10,
        eventsPerSecond: summary.eventsPerSecond,
        secondsPerMillion: Math.round(scaled * 10) / 10,
        nodeCpuSeconds: Math.round(nodeCpuSeconds * 10) / 10,
        postgresCpuSeconds: Math.round(postgresCpuSeconds * 10) / 10,
        decodeSeconds: Math.round(spent.decodeMs / 100) / 10,
        applySeconds: Math.round(spent.applyMs / 100) / 10,
        tables: summary.tables,
        goal: { seconds: GOAL_SECONDS, events: GOAL_EVENTS, met },
      }),
    );
  } finally {
    await store.close();
    for (const schema of [schemas.store, schemas.contacts, `${schemas.contacts}_rebuild`])
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

/**
 * Two tags, then the contacts, 16 events each, in transactions that take
 * part in the store's in-flight registry (begin_append), so their positions
 * are those of appends: readers see each one whole once it commits.
 */
async function seed(
  store: PostgresEventStore,
  pool: Pool,
  masterKeys: ReturnType<typeof parseMasterKeys>,
): Promise<{ events: number; contacts: number }> {
  const tags = [
    { tagId: randomUUID(), name: 'Hot lead', slug: 'hot-lead' },
    { tagId: randomUUID(), name: 'Webinar attendee', slug: 'webinar-attendee' },
  ];
  let minutes = 0;
  const context = (): CommandContext => ({
    now: new Date(Date.UTC(2026, 0, 1) + minutes++ * 1_000),
    actor: 'bench',
    correlationId: randomUUID(),
    causationId: null,
    traceparent: null,
  });
  for (const tag of tags) {
    const ctx = context();
    const events = batchDecider(tagDecider)
      .decide([{ type: 'CreateTag', ...tag }], tagDecider.initialState(), ctx)
      .map((e) => toNewEvent(e, ctx, { schemaVersionOf }));
    await store.appendToStream(`tag-${tag.tagId}`, events, { expectedRevision: 'no_stream' });
  }

  const keys = new DataKeyStore(pool, schemas.contacts, masterKeys);
  await keys.prepare();
  const cipher = new PersonalDataCipher(keys);
  const decider = batchDecider(contactDecider);
  const perContact = decider.decide(
    historyOf(randomUUID(), 0, tags),
    contactDecider.initialState(),
    context(),
  ).length;
  const contacts = Math.ceil((EVENTS - tags.length) / perContact);
  let written = 0;
  const client = await store.connectionPool.connect();
  try {
    // One transaction holds 2^20 positions: a new one (a new append) when they run out.
    let position = 0n;
    let last = 0n;
    const beginAppend = async () => {
      await client.query('BEGIN');
      const { rows } = await client.query<{ first: string }>(
        `SELECT "${schemas.store}".begin_append() AS first`,
      );
      position = BigInt(rows[0].first);
      last = position + (1n << POSITION_SHIFT);
    };
    await beginAppend();
    for (let from = 0; from < contacts; from += CONTACTS_PER_INSERT) {
      const part: { streamId: string; events: NewEvent[] }[] = [];
      for (let c = from; c < Math.min(contacts, from + CONTACTS_PER_INSERT); c++) {
        const contactId = randomUUID();
        const ctx = context();
        const events = decider
          .decide(historyOf(contactId, c, tags), contactDecider.initialState(), ctx)
          .map((e) => toNewEvent(e, ctx, { schemaVersionOf }));
        part.push({ streamId: `contact-${contactId}`, events });
      }
      const encrypted = await Promise.all(
        part.map(async (p) => ({ ...p, events: await cipher.encryptEvents(p.streamId, p.events) })),
      );
      const flat = encrypted.flatMap((p) =>
        p.events.map((event, revision) => ({ streamId: p.streamId, revision, event })),
      );
      if (position + BigInt(flat.length) > last) {
        await client.query('COMMIT');
        await beginAppend();
      }
      await client.query(
        `INSERT INTO "${schemas.store}".events
           (global_position, stream_id, revision, event_id, event_type, schema_version, data, metadata)
         SELECT $1::bigint + x.i - 1, x.stream_id, x.revision, x.event_id, x.event_type, x.schema_version, x.data, x.metadata
           FROM unnest($2::text[], $3::bigint[], $4::uuid[], $5::text[], $6::int[], $7::jsonb[], $8::jsonb[])
                WITH ORDINALITY AS x(stream_id, revision, event_id, event_type, schema_version, data, metadata, i)`,
        [
          position.toString(),
          flat.map((f) => f.streamId),
          flat.map((f) => f.revision),
          flat.map((f) => f.event.id),
          flat.map((f) => f.event.type),
          flat.map((f) => f.event.schemaVersion),
          flat.map((f) => JSON.stringify(f.event.data)),
          flat.map((f) => JSON.stringify(f.event.metadata)),
        ],
      );
      position += BigInt(flat.length);
      written += flat.length;
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  await pool.query(`ANALYZE "${schemas.store}".events`);
  return { events: written + tags.length, contacts };
}

/** What one contact goes through: 16 events. */
function historyOf(
  contactId: string,
  n: number,
  tags: { tagId: string; slug: string }[],
): ContactCommand[] {
  return [
    {
      type: 'CreateContact',
      contactId,
      email: `contact${n}@example.com`,
      firstName: `First${n}`,
      lastName: `Last${n}`,
      phone: '+14155550100',
      source: 'api',
      syncToCrms: ['hubspot'],
    },
    ...(['company', 'job_title', 'industry'] as const).map((name, i) => ({
      type: 'SetContactProperty' as const,
      contactId,
      name,
      value: ['Ceremonia', 'Founder', 'SaaS'][i],
      propertyType: 'string' as const,
      source: 'api' as const,
      activityId: randomUUID(),
    })),
    ...tags.map((tag) => ({
      type: 'AddContactTag' as const,
      contactId,
      tagId: tag.tagId,
      slug: tag.slug,
      appliedBy: 'api' as const,
      activityId: randomUUID(),
    })),
    { type: 'GrantConsent', contactId, channel: 'email', at: '2025-12-31T09:00:00.000Z' },
    {
      type: 'ChangeLifecycleStage',
      contactId,
      stage: 'mql',
      source: 'manual',
      activityId: randomUUID(),
    },
    {
      type: 'RecordActivity',
      contactId,
      activityId: randomUUID(),
      activityType: 'page_viewed',
      activityData: { url: '/landing/webinar', title: 'How to Build AI Funnels' },
      source: 'api',
      occurredAt: '2025-12-30T12:00:00.000Z',
      points: 5,
      syncToCrms: [],
    },
  ];
}

/** utime + stime of each of our PostgreSQL backends (same machine), by pid. */
async function backendTicks(pool: Pool, appName: string): Promise<Map<number, number>> {
  const { rows } = await pool.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
    [appName],
  );
  const ticks = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // PostgreSQL on another machine, or the backend is gone: not counted.
    }
  }
  return ticks;
}

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number; got "${raw}"`);
  return value;
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

function loadText(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function log(message: string): void {
  console.log(`[replay bench] ${message}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('[replay bench] failed:', error);
    process.exit(1);
  },
);
