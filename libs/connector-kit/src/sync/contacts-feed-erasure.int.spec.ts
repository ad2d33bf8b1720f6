// ContactErased on the contacts topic leaves nothing of the contact's CRM
// values in the connector's inbound tables: the webhook payloads queued in
// inbound_changes are blanked, whether pending (then skipped) or failed for
// good, and what the CRM had (crm_field_state) is gone.
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
