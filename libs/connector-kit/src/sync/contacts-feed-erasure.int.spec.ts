// ContactErased on the contacts topic leaves nothing of the contact's CRM
// values in the connector's inbound tables: the webhook payloads queued in
// inbound_changes are blanked, whether pending (then skipped) or failed for
// good, and what the CRM had (crm_field_state) is gone. And the feed dates
// our changes by when they happened, for last-writer-wins.
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { ensureProcessedEventsTable } from '@engagement/bus';
import { loadPlatformConfig } from '@engagement/config';
import type { RecordedEvent } from '@engagement/event-store';
import { workingTablesSql } from '../migrations/connector-ddl';
import { inboundTablesSql } from '../inbound/inbound-ddl';
import { ContactsFeed } from './contacts-feed';
import { clearTextOnlyReader } from './personal-data-reader';

const schema = `connector_erasure_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
let pool: Pool;

beforeAll(async () => {
  pool = new Pool({ connectionString: loadPlatformConfig().databaseUrl, max: 2 });
  await pool.query(`CREATE SCHEMA ${schema}`);
  for (const sql of [...workingTablesSql(schema), ...inboundTablesSql(schema)])
    await pool.query(sql);
  await ensureProcessedEventsTable(pool, schema);
});

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
});

it("blanks every webhook payload of the erased contact's CRM record", async () => {
  const contactId = randomUUID();
  const planted = `planted-${randomUUID()}`;
  await pool.query(
    `INSERT INTO ${schema}.sync_contacts (contact_id, email, first_name, external_id) VALUES ($1, $2, $3, 'hs-1')`,
    [contactId, `${planted}@example.com`, planted],
  );
  const change = JSON.stringify({ externalId: 'hs-1', fields: { firstname: planted } });
  for (const status of ['pending', 'failed', 'applied'])
    await pool.query(
      `INSERT INTO ${schema}.inbound_changes (id, external_id, kind, label, change, occurred_at, status)
       VALUES ($1, 'hs-1', 'update', 'contact.propertyChange', $2, now(), $3)`,
      [randomUUID(), status === 'applied' ? null : change, status],
    );
  const other = randomUUID();
  await pool.query(
    `INSERT INTO ${schema}.inbound_changes (id, external_id, kind, label, change, occurred_at)
     VALUES ($1, 'hs-2', 'update', 'contact.propertyChange', $2, now())`,
    [other, JSON.stringify({ externalId: 'hs-2', fields: { firstname: 'Someone else' } })],
  );

  const feed = new ContactsFeed({ pool, schema, provider: 'hubspot', reader: clearTextOnlyReader });
  await feed.handleBatch([erased(contactId)]);

  const { rows } = await pool.query(
    `SELECT external_id, status, change IS NULL AS blank FROM ${schema}.inbound_changes ORDER BY seq`,
  );
  expect(rows).toEqual([
    { external_id: 'hs-1', status: 'skipped', blank: true },
    { external_id: 'hs-1', status: 'failed', blank: true },
    { external_id: 'hs-1', status: 'applied', blank: true },
    { external_id: 'hs-2', status: 'pending', blank: false },
  ]);
  const { rows: held } = await pool.query(
    `SELECT count(*)::int AS n FROM ${schema}.inbound_changes t WHERE t::text LIKE $1`,
    [`%${planted}%`],
  );
  expect(held[0].n).toBe(0);
});

it('dates a change of ours by when it happened, not by when this connector read it', async () => {
  // Last-writer-wins compares changed_at with the CRM's own change time: a
  // connector that reads our lead-score change a minute late must not make
  // it newer than a CRM edit made in between.
  const contactId = randomUUID();
  const createdAt = '2026-01-01T10:00:00.000Z';
  const scoredAt = '2026-01-01T10:01:00.000Z';
  const feed = new ContactsFeed({ pool, schema, provider: 'hubspot', reader: clearTextOnlyReader });
  await feed.handleBatch([
    contactEvent(contactId, 'ContactCreated', createdAt, {
      contactId,
      email: `dated-${contactId}@example.com`,
      firstName: 'Dated',
      lastName: null,
      phone: null,
      lifecycleStage: 'lead',
      syncToCrms: ['hubspot'],
    }),
  ]);
  const changedAt = async () =>
    (
      await pool.query<{ at: Date }>(
        `SELECT changed_at AS at FROM ${schema}.sync_contacts WHERE contact_id = $1`,
        [contactId],
      )
    ).rows[0]!.at.toISOString();
  expect(await changedAt()).toBe(createdAt);

  await feed.handleBatch([
    contactEvent(contactId, 'ContactLeadScoreChanged', scoredAt, { contactId, from: 0, to: 5 }),
  ]);
  expect(await changedAt()).toBe(scoredAt);

  // An event that happened before the latest change we know leaves the time alone.
  await feed.handleBatch([
    contactEvent(contactId, 'ContactPropertySet', createdAt, {
      contactId,
      name: 'plan',
      value: 'pro',
    }),
  ]);
  expect(await changedAt()).toBe(scoredAt);
});

function contactEvent(
  contactId: string,
  type: string,
  occurredAt: string,
  data: Record<string, unknown>,
): RecordedEvent {
  return {
    ...erased(contactId),
    id: randomUUID(),
    type,
    data: data as never,
    metadata: { ...erased(contactId).metadata, occurredAt },
  };
}

function erased(contactId: string): RecordedEvent {
  return {
    id: randomUUID(),
    type: 'ContactErased',
    schemaVersion: 1,
    data: { contactId, erasedAt: new Date().toISOString() },
    metadata: {
      correlationId: randomUUID(),
      causationId: null,
      traceparent: null,
      actor: 'test',
      occurredAt: new Date().toISOString(),
    },
    streamId: `contact-${contactId}`,
    revision: 5n,
    globalPosition: 1n,
  };
}
