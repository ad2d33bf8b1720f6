// The resync runner against PostgreSQL, with a CRM of three pages and an
// applier that records what it is given: the cursor is saved after every
// page, a runner stopped mid-run leaves the run `running` and a new one
// (a restarted connector) resumes from the saved cursor without applying a
// page twice; a full run finds a linked contact the CRM no longer has.
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { loadPlatformConfig } from '@engagement/config';
import { workingTablesSql } from '../migrations/connector-ddl';
import type { CrmPage, InboundAdapter, InboundChange } from './inbound-adapter';
import type { InboundApplier } from './inbound-applier';
import { inboundTablesSql } from './inbound-ddl';
import { ResyncRunner } from './resync-runner';

const { databaseUrl } = loadPlatformConfig();
const schema = `resync_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
const quiet = { info: () => undefined, warn: () => undefined };
let pool: Pool;

const PAGES: Record<string, CrmPage> = {
  start: { records: [{ externalId: 'a', fields: { email: 'a@x.io' }, tags: null, updatedAt: '2026-12-01T00:00:00.000Z' }], next: 'p2' },
  p2: { records: [{ externalId: 'b', fields: { email: 'b@x.io' }, tags: null, updatedAt: '2026-12-01T00:00:00.000Z' }], next: 'p3' },
  p3: { records: [{ externalId: 'c', fields: { email: 'c@x.io' }, tags: null, updatedAt: '2026-12-01T00:00:00.000Z' }], next: null },
};

function crm(onPage: (cursor: string | null) => void): InboundAdapter {
  return {
    verify: () => 'invalid',
    parse: () => [],
    readContact: async () => null, // gone, whatever is asked
    listContacts: async (_call, cursor) => {
      onPage(cursor);
      return PAGES[cursor ?? 'start']!;
    },
  };
}

function applier(applied: InboundChange[]): InboundApplier {
  return {
    integration: async () => ({ id: randomUUID(), status: 'active', config: {}, field_mappings: {} }),
    crmFields: () => ['email'],
    applyChange: async (_i: unknown, _id: string, change: InboundChange) => {
      applied.push(change);
      return change.kind === 'delete' ? 'unlinked' : 'unchanged';
    },
  } as unknown as InboundApplier;
}

beforeAll(async () => {
  pool = new Pool({ connectionString: databaseUrl, max: 3 });
  await pool.query(`CREATE SCHEMA ${schema}`);
  for (const sql of [...workingTablesSql(schema), ...inboundTablesSql(schema)]) await pool.query(sql);
});

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
});

it('saves the cursor after every page, resumes a stopped run from it, and finds records deleted in the CRM', async () => {
  // A contact linked to a record the listing does not show.
  await pool.query(`INSERT INTO ${schema}.sync_contacts (contact_id, email, external_id) VALUES ($1, 'gone@x.io', 'gone')`, [randomUUID()]);
  const applied: InboundChange[] = [];
  const seen: Array<string | null> = [];
  // The first runner is stopped while it reads the second page: it finishes that page, then stops.
  const first: ResyncRunner = new ResyncRunner({
    pool, schema, provider: 'hubspot', applier: applier(applied), call: (work) => work('token'), log: quiet,
    inbound: crm((cursor) => {
      seen.push(cursor);
      if (cursor === 'p2') void first.stop();
    }),
  });
  const runId = await first.start(null);
  await first.idle();
  const saved = await pool.query(`SELECT status, cursor, pages FROM ${schema}.resync_runs WHERE id = $1`, [runId]);
  expect(saved.rows[0]).toEqual({ status: 'running', cursor: 'p3', pages: 2 });
  expect(applied.map((c) => c.externalId)).toEqual(['a', 'b']);

  const second = new ResyncRunner({
    pool, schema, provider: 'hubspot', applier: applier(applied), call: (work) => work('token'), log: quiet,
    inbound: crm((cursor) => seen.push(cursor)),
  });
  await second.resumeUnfinished();
  await second.idle();
  expect(seen).toEqual([null, 'p2', 'p3']);
  expect(applied.map((c) => `${c.kind}:${c.externalId}`)).toEqual(['upsert:a', 'upsert:b', 'upsert:c', 'delete:gone']);
  const report = await second.report(runId);
  expect(report).toMatchObject({ status: 'done', pages: 3, counts: { compared: 3, unchanged: 3, unlinked: 1, errors: 0 } });
});
