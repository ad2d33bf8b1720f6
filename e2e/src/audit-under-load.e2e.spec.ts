// An audit never delays live delivery. `projections audit` rebuilds the
// contacts read model inside one long REPEATABLE READ transaction that
// writes; readers of the event store once stopped at the oldest transaction
// open anywhere, so a contact created during an audit reached the read model
// only when the audit ended. Here the real processes (contacts, events,
// gateway, and the projections tool as an operator runs it) work on an event
// store holding SEEDED_EVENTS events, and contacts created through the gateway
// while the audit's transaction is open must reach the read model before it
// closes.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type {
  ActivityRecordedData,
  ContactCreatedData,
  ContactLeadScoreChangedData,
} from '@engagement/contracts';
import type { EventMetadata } from '@engagement/event-store';
import { startPlatformUnderTest, type PlatformUnderTest } from './platform-under-test';
import { eventually, gatewayApi } from './e2e-support';

/** What the issue asks for: an audit of a projection over at least 500,000 events. */
const SEEDED_EVENTS = 500_000;
/** Each seeded contact's stream, in order: created, then two activities with their points. */
const EVENTS_PER_CONTACT = 5;
const LIVE_CONTACTS = 3;

let platform: PlatformUnderTest;
let audit: ChildProcess | null = null;
let auditOutput = '';

beforeAll(async () => {
  platform = await startPlatformUnderTest({
    // Relaying half a million seeded events would only load the shared
    // broker: this test is about the read model.
    contactsEnv: { CONTACTS_RELAY: 'off' },
  });
}, 180_000);

afterAll(async () => {
  if (audit && audit.exitCode === null) audit.kill('SIGKILL');
  await platform?.stop();
});

const s = () => `"${platform.eventStoreSchema}"`;
const c = () => `"${platform.contactsSchema}"`;

/** The templates of one seeded contact's events; the seed sets the ids (and email) per contact. */
function seedTemplates() {
  const at = '2026-01-15T10:00:00.000Z';
  const created: Omit<ContactCreatedData, 'contactId' | 'email'> = {
    firstName: null,
    lastName: null,
    phone: null,
    timezone: 'America/Los_Angeles',
    locale: 'en',
    avatarUrl: null,
    lifecycleStage: 'subscriber',
    source: 'import',
    syncToCrms: [],
  };
  const activity: Omit<ActivityRecordedData, 'contactId' | 'activityId'> = {
    activityType: 'page_viewed',
    activityData: { url: 'https://example.com/pricing', title: 'Pricing' },
    relatedToType: null,
    relatedToId: null,
    source: 'api',
    occurredAt: at,
    points: 5,
    syncToCrms: [],
  };
  const score = (from: number): Omit<ContactLeadScoreChangedData, 'contactId' | 'activityId'> => ({
    from,
    to: from + 5,
    reason: 'activity:page_viewed',
  });
  const metadata: EventMetadata = {
    correlationId: randomUUID(),
    causationId: null,
    traceparent: null,
    actor: 'seed',
    occurredAt: at,
  };
  // Indexed by the event's revision in its contact's stream.
  const events = [
    { type: 'ContactCreated', data: created },
    { type: 'ActivityRecorded', data: activity },
    { type: 'ContactLeadScoreChanged', data: score(0) },
    { type: 'ActivityRecorded', data: activity },
    { type: 'ContactLeadScoreChanged', data: score(5) },
  ];
  return { events, metadata };
}

/**
 * Appends SEEDED_EVENTS events in one set-based statement, as one append of
 * the store: begin_append() registers the transaction in flight and gives
 * its first position, exactly as append_to_stream does.
 */
async function seedEvents(): Promise<bigint> {
  const { events, metadata } = seedTemplates();
  expect(events).toHaveLength(EVENTS_PER_CONTACT);
  const client = await platform.pool.connect();
  try {
    await client.query('BEGIN');
    const first = await client.query<{ first: string }>(
      `SELECT ${s()}.begin_append()::text AS first`,
    );
    // Event i is revision r = i % 5 of contact n = i / 5; both activity ids
    // and the contact's id are uuids built from n, the activity's from r too.
    const inserted = await client.query<{ last: string }>(
      `WITH seeded AS (
         SELECT i, i % ${EVENTS_PER_CONTACT} AS r,
                ('00000000-0000-4000-8000-' || lpad(to_hex(i / ${EVENTS_PER_CONTACT}), 12, '0')) AS contact_id,
                ('00000000-0000-4000-800' || ((i % ${EVENTS_PER_CONTACT} + 1) / 2)::text || '-'
                   || lpad(to_hex(i / ${EVENTS_PER_CONTACT}), 12, '0')) AS activity_id
           FROM generate_series(0, $3::int - 1) AS i
       ), written AS (
         INSERT INTO ${s()}.events
           (global_position, stream_id, revision, event_id, event_type, schema_version, data, metadata)
         SELECT $1::bigint + i, 'contact-' || contact_id, r, gen_random_uuid(),
                $2::jsonb -> r::int ->> 'type', 1,
                ($2::jsonb -> r::int -> 'data') || jsonb_build_object('contactId', contact_id)
                  || CASE WHEN r = 0
                       THEN jsonb_build_object('email', 'seeded-' || (i / ${EVENTS_PER_CONTACT}) || '@example.com')
                       ELSE jsonb_build_object('activityId', activity_id) END,
                $4::jsonb
           FROM seeded
         RETURNING global_position
       )
       SELECT max(global_position)::text AS last FROM written`,
      [first.rows[0]!.first, JSON.stringify(events), SEEDED_EVENTS, JSON.stringify(metadata)],
    );
    await client.query('COMMIT');
    // As autovacuum would, soon: the readers' plans must know the table's size.
    await client.query(`ANALYZE ${s()}.events`);
    return BigInt(inserted.rows[0]!.last);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function liveCheckpoint(): Promise<bigint> {
  const { rows } = await platform.pool.query<{ position: string }>(
    `SELECT position::text FROM ${c()}.projection_checkpoints WHERE projection = 'contacts-read-model'`,
  );
  return rows[0] ? BigInt(rows[0].position) : -1n;
}

/** The audit's open transaction (it has written: it holds a transaction id), if any. */
async function auditTransaction(applicationName: string): Promise<string | undefined> {
  const { rows } = await platform.pool.query<{ since: string }>(
    `SELECT pid || '@' || xact_start AS since FROM pg_stat_activity
      WHERE application_name = $1 AND backend_xid IS NOT NULL`,
    [applicationName],
  );
  return rows[0]?.since;
}

async function inReadModel(contactId: string): Promise<boolean> {
  const { rowCount } = await platform.pool.query(`SELECT 1 FROM ${c()}.contacts WHERE id = $1`, [
    contactId,
  ]);
  return rowCount === 1;
}

it(`delivers contacts created through the gateway to the read model while an audit over ${SEEDED_EVENTS} events runs`, async () => {
  const api = gatewayApi(platform);

  // Given an event store with SEEDED_EVENTS contact events, all in the live read model.
  const t0 = Date.now();
  const lastSeeded = await seedEvents();
  const seededMs = Date.now() - t0;
  await eventually(
    'the live projection to catch up with the seeded events',
    async () => ((await liveCheckpoint()) >= lastSeeded ? true : undefined),
    180_000,
  );
  const caughtUpMs = Date.now() - t0;
  const seededContacts = await platform.pool.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM ${c()}.contacts`,
  );
  expect(Number(seededContacts.rows[0]!.n)).toBe(SEEDED_EVENTS / EVENTS_PER_CONTACT);

  // When an operator runs the audit, and its transaction is open and has written
  const applicationName = `e2e-audit-${randomUUID().slice(0, 8)}`;
  const auditStarted = Date.now();
  audit = platform.spawnTool('projections.main.ts', ['audit', 'contacts-read-model'], {
    PGAPPNAME: applicationName,
  });
  audit.stdout?.on('data', (chunk: Buffer) => (auditOutput += chunk.toString()));
  audit.stderr?.on('data', (chunk: Buffer) => (auditOutput += chunk.toString()));
  const auditEnded = new Promise<number | null>((resolve) => audit!.once('exit', resolve));
  const openTransaction = await eventually(
    "the audit's writing transaction",
    () => auditTransaction(applicationName),
    60_000,
  );

  // Then each contact created through the gateway meanwhile reaches the read
  // model while that same transaction is still open.
  const lags: number[] = [];
  for (let i = 0; i < LIVE_CONTACTS; i++) {
    const created = await api('POST', '/api/contacts', {
      email: `live-${i}-${randomUUID().slice(0, 8)}@example.com`,
    });
    expect(created.status).toBe(201);
    const createdAt = Date.now();
    await eventually(
      `contact ${i} in the read model`,
      async () => ((await inReadModel(created.body.id)) ? true : undefined),
      30_000,
    );
    lags.push(Date.now() - createdAt);
    expect(await auditTransaction(applicationName)).toBe(openTransaction);
    expect(audit.exitCode).toBeNull();
  }

  // And the audit itself ends well, finding the read model identical.
  const code = await auditEnded;
  const auditMs = Date.now() - auditStarted;
  expect({ code, output: auditOutput.slice(-2000) }).toMatchObject({ code: 0 });
  expect(auditOutput).toContain('audit contacts-read-model: identical');
  process.stdout.write(
    `audit-under-load: seeded ${SEEDED_EVENTS} events in ${seededMs} ms, live projection caught up at ${caughtUpMs} ms; ` +
      `audit ${auditMs} ms; lags ${lags.join(', ')} ms\n`,
  );
}, 600_000);
