// The contacts read model fed by the real deciders through a PostgreSQL
// event store: the rows each event leads to, erasure, idempotency (the
// checkpoint refuses a replayed batch; rebuilds into fresh schemas, in any
// batch size, reproduce the live tables), and an audit with no difference.
import { randomUUID } from 'node:crypto';
import {
  CheckpointMovedError,
  applyStoreBatch,
  auditProjection,
  compareTable,
  rebuildProjection,
  startProjection,
  swapProjection,
  tableChecksum,
} from '@engagement/projections';
import { erasedEmail } from './contacts-read-model.fold';
import { createTestBed, type TestBed } from './contacts-test-bed.testing';

const quiet = () => ({ update: () => undefined, finish: () => undefined });
const uuid = () => randomUUID();

describe('contacts read model projection', () => {
  let bed: TestBed;
  beforeAll(async () => {
    bed = await createTestBed();
  });
  afterAll(async () => {
    await bed.close();
  });

  async function rows(sql: string, params: unknown[] = []) {
    return (await bed.pool.query(sql.replaceAll('rm.', `${bed.schema}.`), params)).rows;
  }

  /** Every table of the projection identical in two schemas (rows compared on their primary key). */
  async function expectSameTables(left: string, right: string) {
    const client = await bed.pool.connect();
    try {
      for (const table of bed.projection.tables) {
        const { differences, total } = await compareTable(client, table, left, right);
        expect({ table: table.name, differences }).toEqual({ table: table.name, differences: [] });
        expect(total).toBe(0);
      }
    } finally {
      client.release();
    }
  }

  async function checksums(schema: string) {
    const client = await bed.pool.connect();
    try {
      const result = [];
      for (const table of bed.projection.tables)
        result.push({ table: table.name, ...(await tableChecksum(client, table, schema)) });
      return result;
    } finally {
      client.release();
    }
  }

  const ids = {
    hot: uuid(),
    webinar: uuid(),
    temp: uuid(),
    austin: uuid(),
    bea: uuid(),
    carl: uuid(),
    carlActivity: uuid(),
    pageView: uuid(),
  };

  /** A mixed history: create, update, properties, tags, consent, lifecycle, activities, delete, erase. */
  async function writeScenario(): Promise<bigint> {
    await bed.tag({ type: 'CreateTag', tagId: ids.hot, name: 'Hot lead', slug: 'hot-lead' });
    await bed.tag(
      { type: 'CreateTag', tagId: ids.webinar, name: 'Webinar attendee', category: 'behavior' },
      { type: 'UpdateTag', tagId: ids.webinar, color: '#F80', description: 'Came to a webinar' },
    );
    await bed.tag(
      { type: 'CreateTag', tagId: ids.temp, name: 'Temp' },
      {
        type: 'SetTagCrmMapping',
        tagId: ids.temp,
        provider: 'hubspot',
        mappingType: 'list',
        externalId: '9',
      },
    );
    await bed.tag({
      type: 'SetTagCrmMapping',
      tagId: ids.hot,
      provider: 'hubspot',
      mappingType: 'list',
      externalId: '123',
    });

    // The seed's POST /api/contacts, as one all-or-nothing command batch.
    const austin = ids.austin;
    await bed.contact(
      {
        type: 'CreateContact',
        contactId: austin,
        email: ' User@Example.com ',
        firstName: 'Austin',
        lastName: 'Mao',
        source: 'api',
        syncToCrms: ['hubspot', 'gohighlevel'],
      },
      ...(['company', 'job_title', 'industry'] as const).map((name, i) => ({
        type: 'SetContactProperty' as const,
        contactId: austin,
        name,
        value: ['Ceremonia', 'Founder', 'SaaS'][i],
        propertyType: 'string' as const,
        source: 'api' as const,
        activityId: uuid(),
      })),
      ...[ids.hot, ids.webinar, ids.temp].map((tagId, i) => ({
        type: 'AddContactTag' as const,
        contactId: austin,
        tagId,
        slug: ['hot-lead', 'webinar-attendee', 'temp'][i],
        appliedBy: 'api' as const,
        activityId: uuid(),
      })),
    );
    await bed.contact({
      type: 'UpdateContactIdentity',
      contactId: austin,
      phone: '+14155550100',
      locale: 'en-US',
    });
    await bed.contact({
      type: 'ChangeContactEmail',
      contactId: austin,
      email: 'austin@example.com',
    });
    await bed.contact({
      type: 'GrantConsent',
      contactId: austin,
      channel: 'email',
      at: '2025-12-31T09:00:00.000Z',
      ip: '203.0.113.5',
    });
    await bed.contact({
      type: 'RevokeConsent',
      contactId: austin,
      channel: 'sms',
      at: '2025-12-31T10:00:00.000Z',
    });
    await bed.contact({
      type: 'ChangeLifecycleStage',
      contactId: austin,
      stage: 'mql',
      source: 'manual',
      activityId: uuid(),
    });
    await bed.contact({
      type: 'RecordActivity',
      contactId: austin,
      activityId: ids.pageView,
      activityType: 'page_viewed',
      activityData: {
        url: '/landing/webinar',
        title: 'How to Build AI Funnels',
        durationSeconds: 45,
      },
      source: 'api',
      occurredAt: '2025-12-30T12:00:00.000Z',
      points: 5,
      syncToCrms: ['hubspot'],
    });
    await bed.contact({
      type: 'LinkExternalMapping',
      contactId: austin,
      provider: 'hubspot',
      externalId: '12345',
      url: 'https://app.hubspot.com/contacts/12345',
      syncDirection: 'bidirectional',
      syncedAt: '2026-01-01T10:00:00.000Z',
    });
    await bed.contact({
      type: 'LinkExternalMapping',
      contactId: austin,
      provider: 'gohighlevel',
      externalId: 'abc-xyz',
      syncDirection: 'push_only',
    });
    await bed.contact({
      type: 'RemoveContactProperty',
      contactId: austin,
      name: 'industry',
      source: 'api',
      activityId: uuid(),
    });
    await bed.contact({
      type: 'SetContactProperty',
      contactId: austin,
      name: 'employees',
      value: 42,
      propertyType: 'number',
      source: 'crm_sync',
      activityId: uuid(),
    });
    await bed.contact({
      type: 'RemoveContactTag',
      contactId: austin,
      tagId: ids.webinar,
      removedBy: 'user',
      activityId: uuid(),
    });
    await bed.tag({ type: 'DeleteTag', tagId: ids.temp });

    await bed.contact({
      type: 'CreateContact',
      contactId: ids.bea,
      email: 'bea@example.com',
      source: 'import',
    });
    await bed.contact({ type: 'ChangeContactStatus', contactId: ids.bea, status: 'unsubscribed' });
    await bed.contact({ type: 'DeleteContact', contactId: ids.bea });

    const carl = ids.carl;
    await bed.contact(
      {
        type: 'CreateContact',
        contactId: carl,
        email: 'carl@example.com',
        firstName: 'Carl',
        phone: '+14155550199',
        source: 'form',
      },
      {
        type: 'SetContactProperty',
        contactId: carl,
        name: 'company',
        value: 'Acme',
        propertyType: 'string',
        source: 'form',
        activityId: uuid(),
      },
      {
        type: 'AddContactTag',
        contactId: carl,
        tagId: ids.hot,
        slug: 'hot-lead',
        appliedBy: 'automation',
        activityId: uuid(),
      },
      {
        type: 'GrantConsent',
        contactId: carl,
        channel: 'marketing',
        at: '2025-12-01T00:00:00.000Z',
        ip: '198.51.100.7',
      },
      {
        type: 'RecordActivity',
        contactId: carl,
        activityId: ids.carlActivity,
        activityType: 'form_submitted',
        activityData: { form: 'newsletter', email: 'carl@example.com' },
        source: 'webhook',
        occurredAt: '2025-12-01T00:00:00.000Z',
        points: 10,
      },
      {
        type: 'LinkExternalMapping',
        contactId: carl,
        provider: 'hubspot',
        externalId: '777',
        syncDirection: 'bidirectional',
      },
    );
    return (await bed.contact({ type: 'EraseContact', contactId: carl })) as bigint;
  }

  let position: bigint;

  it('applies a mixed history live into the seed tables', async () => {
    position = await writeScenario();
    const running = await startProjection({
      store: bed.store,
      pool: bed.pool,
      projection: bed.projection,
    });
    try {
      await running.waitForPosition(position, 20_000);
    } finally {
      await running.stop();
    }

    const [austin] = await rows(
      `SELECT *, to_jsonb(created_at) #>> '{}' AS created, to_jsonb(updated_at) #>> '{}' AS updated
         FROM rm.contacts WHERE id = $1`,
      [ids.austin],
    );
    expect(austin).toMatchObject({
      email: 'austin@example.com',
      first_name: 'Austin',
      last_name: 'Mao',
      phone: '+14155550100',
      timezone: 'America/Los_Angeles',
      locale: 'en-US',
      avatar_url: null,
      lifecycle_stage: 'mql',
      lead_score: 5,
      status: 'active',
      deleted_at: null,
      erased_at: null,
      external_mappings: [
        {
          provider: 'hubspot',
          id: '12345',
          url: 'https://app.hubspot.com/contacts/12345',
          synced_at: '2026-01-01T10:00:00.000Z',
          sync_direction: 'bidirectional',
        },
        { provider: 'gohighlevel', id: 'abc-xyz', sync_direction: 'push_only' },
      ],
      consent: {
        email: { granted: true, updated_at: '2025-12-31T09:00:00.000Z', ip: '203.0.113.5' },
        sms: { granted: false, updated_at: '2025-12-31T10:00:00.000Z' },
      },
    });
    // Times come from the events: created by the first command, updated by its last one.
    expect(new Date(austin.created).toISOString()).toBe('2026-01-01T00:04:00.000Z');
    expect(new Date(austin.updated).toISOString()).toBe('2026-01-01T00:15:00.000Z');
    // Its latest activity: the tag removal's (the page view occurred earlier, though recorded later).
    expect(austin.last_activity_at.toISOString()).toBe('2026-01-01T00:15:00.000Z');

    const properties = await rows(
      `SELECT property_name, property_value, property_type, source, crm_field_mappings,
              last_synced_at IS NOT NULL AS synced
         FROM rm.contact_properties WHERE contact_id = $1 ORDER BY property_name`,
      [ids.austin],
    );
    expect(properties).toEqual([
      {
        property_name: 'company',
        property_value: 'Ceremonia',
        property_type: 'string',
        source: 'api',
        crm_field_mappings: {},
        synced: false,
      },
      {
        property_name: 'employees',
        property_value: '42',
        property_type: 'number',
        source: 'crm_sync',
        crm_field_mappings: {},
        synced: true,
      },
      {
        property_name: 'job_title',
        property_value: 'Founder',
        property_type: 'string',
        source: 'api',
        crm_field_mappings: {},
        synced: false,
      },
    ]);

    const tags = await rows(
      `SELECT id, name, slug, color, description, category, crm_tag_mappings, is_system FROM rm.tags ORDER BY slug`,
    );
    expect(tags).toEqual([
      {
        id: ids.hot,
        name: 'Hot lead',
        slug: 'hot-lead',
        color: null,
        description: null,
        category: null,
        crm_tag_mappings: { hubspot: { type: 'list', id: '123' } },
        is_system: false,
      },
      {
        id: ids.webinar,
        name: 'Webinar attendee',
        slug: 'webinar-attendee',
        color: '#ff8800',
        description: 'Came to a webinar',
        category: 'behavior',
        crm_tag_mappings: {},
        is_system: false,
      },
    ]);
    const links = await rows(
      `SELECT ct.contact_id, t.slug, ct.applied_by FROM rm.contact_tags ct JOIN rm.tags t ON t.id = ct.tag_id ORDER BY t.slug, ct.applied_by`,
    );
    expect(links).toEqual([
      { contact_id: ids.austin, slug: 'hot-lead', applied_by: 'api' },
      { contact_id: ids.carl, slug: 'hot-lead', applied_by: 'automation' },
    ]);

    const activities = await rows(
      `SELECT activity_type, count(*)::int AS n FROM rm.activities WHERE contact_id = $1 GROUP BY 1 ORDER BY 1`,
      [ids.austin],
    );
    expect(activities).toEqual([
      { activity_type: 'lifecycle_stage_changed', n: 1 },
      { activity_type: 'page_viewed', n: 1 },
      { activity_type: 'property_changed', n: 5 },
      { activity_type: 'tag_added', n: 3 },
      { activity_type: 'tag_removed', n: 1 },
    ]);
    const [pageView] = await rows(`SELECT * FROM rm.activities WHERE id = $1`, [ids.pageView]);
    expect(pageView).toMatchObject({
      contact_id: ids.austin,
      activity_data: {
        url: '/landing/webinar',
        title: 'How to Build AI Funnels',
        durationSeconds: 45,
      },
      source: 'api',
      synced_to_crms: [],
      related_to_type: null,
    });
    expect(pageView.occurred_at.toISOString()).toBe('2025-12-30T12:00:00.000Z');

    const [bea] = await rows(
      `SELECT status, deleted_at, erased_at, email FROM rm.contacts WHERE id = $1`,
      [ids.bea],
    );
    expect(bea).toMatchObject({ status: 'deleted', erased_at: null, email: 'bea@example.com' });
    expect(bea.deleted_at).not.toBeNull();
  });

  it('erases what identifies a contact and keeps what counts', async () => {
    const [carl] = await rows(`SELECT * FROM rm.contacts WHERE id = $1`, [ids.carl]);
    expect(carl).toMatchObject({
      email: erasedEmail(ids.carl),
      first_name: null,
      last_name: null,
      phone: null,
      avatar_url: null,
      external_mappings: [],
      consent: { marketing: { granted: true, updated_at: '2025-12-01T00:00:00.000Z' } },
      status: 'deleted',
      lead_score: 10,
    });
    expect(carl.erased_at).not.toBeNull();
    expect(carl.deleted_at).toEqual(carl.erased_at);
    expect(
      await rows(`SELECT * FROM rm.contact_properties WHERE contact_id = $1`, [ids.carl]),
    ).toEqual([]);
    const activities = await rows(
      `SELECT activity_type, activity_data FROM rm.activities WHERE contact_id = $1 ORDER BY activity_type`,
      [ids.carl],
    );
    expect(activities).toEqual([
      { activity_type: 'form_submitted', activity_data: {} },
      { activity_type: 'property_changed', activity_data: {} },
      { activity_type: 'tag_added', activity_data: {} },
    ]);
    // Nothing of Carl's personal data is left anywhere in the read model.
    for (const table of bed.projection.tables) {
      const found = await rows(
        `SELECT count(*)::int AS n FROM rm.${table.name} t WHERE to_jsonb(t)::text ~ '(carl@example|Carl|14155550199|198\\.51\\.100\\.7|Acme|"777")'`,
      );
      expect({ table: table.name, n: found[0].n }).toEqual({ table: table.name, n: 0 });
    }
  });

  it('refuses a replayed batch through the checkpoint, changing nothing', async () => {
    const { events, checkpoint } = await bed.store.readAll({
      filter: bed.projection.filter,
      maxCount: 10_000,
    });
    expect(events.length).toBeGreaterThan(40);
    const before = await checksums(bed.schema);
    await expect(
      applyStoreBatch(
        bed.pool,
        { projection: bed.projection, schema: bed.schema },
        events,
        -1n,
        checkpoint,
      ),
    ).rejects.toBeInstanceOf(CheckpointMovedError);
    expect(await checksums(bed.schema)).toEqual(before);
  });

  it('rebuilds the same tables twice, in any batch size, and audits with no difference', async () => {
    const ctx = { store: bed.store, pool: bed.pool, progress: quiet };
    const first = await rebuildProjection(ctx, bed.projection, {
      schema: bed.newSchema('contacts_rb1'),
    });
    const second = await rebuildProjection(ctx, bed.projection, {
      schema: bed.newSchema('contacts_rb2'),
    });
    expect(second.tables).toEqual(first.tables);
    expect(first.position).toBeGreaterThanOrEqual(position);
    await expectSameTables(bed.schema, first.schema);

    // One event per batch: every row goes through load, fold and write many times over.
    const oneByOne = bed.newSchema('contacts_one');
    await bed.catchUp(oneByOne, 1);
    await expectSameTables(bed.schema, oneByOne);

    const audit = await auditProjection(ctx, bed.projection);
    expect(audit.differences).toEqual([]);
    expect(audit.differenceCount).toBe(0);
    expect(audit.rebuild.rowsWritten).toBe(first.rowsWritten);
    expect(first.rowsWritten).toBeGreaterThan(20);
    expect(audit.rebuild.eventsRead).toBe(first.eventsRead);
  });

  it('swaps a rebuild in: the foreign keys move with the tables, and the audit stays clean', async () => {
    const ctx = { store: bed.store, pool: bed.pool, progress: quiet };
    const before = await checksums(bed.schema);
    await rebuildProjection(ctx, bed.projection);
    const { archiveSchema } = await swapProjection(ctx, bed.projection);
    expect(await checksums(bed.schema)).toEqual(before);
    await expectSameTables(bed.schema, archiveSchema);
    const foreignKeys = await rows(
      `SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent
         FROM pg_constraint WHERE contype = 'f' AND connamespace = $1::regnamespace ORDER BY 1, 2`,
      [bed.schema],
    );
    expect(foreignKeys.map((k) => `${k.child} -> ${k.parent}`)).toEqual(
      [
        'activities -> contacts',
        'contact_properties -> contacts',
        'contact_tags -> contacts',
        'contact_tags -> tags',
      ].map((pair) => pair.replace(/(\w+) -> (\w+)/, `${bed.schema}.$1 -> ${bed.schema}.$2`)),
    );
    const audit = await auditProjection(ctx, bed.projection);
    expect(audit.differenceCount).toBe(0);
  });

  it('lets unique values pass between rows inside one batch, and drops links to deleted tags', async () => {
    // Only the deciders, no reservations: the read model must cope with any
    // order the write side's reservations allow.
    const [a, b, c] = [uuid(), uuid(), uuid()];
    const [t1, t2] = [uuid(), uuid()];
    await bed.contact({
      type: 'CreateContact',
      contactId: a,
      email: 'swap-a@example.com',
      source: 'api',
    });
    await bed.contact({
      type: 'CreateContact',
      contactId: b,
      email: 'swap-b@example.com',
      source: 'api',
    });
    await bed.tag({ type: 'CreateTag', tagId: t1, name: 'Alpha', slug: 'alpha' });
    await bed.catchUp();

    // a and b swap emails through a third address; c takes a's first one; a tag takes another's slug.
    await bed.contact({ type: 'ChangeContactEmail', contactId: a, email: 'swap-tmp@example.com' });
    await bed.contact({ type: 'ChangeContactEmail', contactId: b, email: 'swap-a@example.com' });
    await bed.contact({ type: 'ChangeContactEmail', contactId: a, email: 'swap-b@example.com' });
    await bed.contact({
      type: 'CreateContact',
      contactId: c,
      email: 'swap-tmp@example.com',
      source: 'api',
    });
    await bed.tag({ type: 'UpdateTag', tagId: t1, name: 'Alpha old', slug: 'alpha-old' });
    await bed.tag({ type: 'CreateTag', tagId: t2, name: 'Alpha', slug: 'alpha' });
    await bed.contact({
      type: 'AddContactTag',
      contactId: c,
      tagId: t2,
      slug: 'alpha',
      appliedBy: 'api',
      activityId: uuid(),
    });
    await bed.tag({ type: 'DeleteTag', tagId: t2 });
    // A link to a tag deleted earlier has nothing to point at and is dropped.
    await bed.contact({
      type: 'AddContactTag',
      contactId: a,
      tagId: t2,
      slug: 'alpha',
      appliedBy: 'api',
      activityId: uuid(),
    });
    await bed.catchUp();

    const emails = await rows(
      `SELECT id, email FROM rm.contacts WHERE id = ANY($1) ORDER BY email`,
      [[a, b, c]],
    );
    expect(emails).toEqual([
      { id: b, email: 'swap-a@example.com' },
      { id: a, email: 'swap-b@example.com' },
      { id: c, email: 'swap-tmp@example.com' },
    ]);
    expect(await rows(`SELECT slug FROM rm.tags WHERE id = ANY($1)`, [[t1, t2]])).toEqual([
      { slug: 'alpha-old' },
    ]);
    expect(
      await rows(`SELECT * FROM rm.contact_tags WHERE contact_id = ANY($1)`, [[a, c]]),
    ).toEqual([]);

    const oneByOne = bed.newSchema('contacts_swap');
    await bed.catchUp(oneByOne, 1);
    await expectSameTables(bed.schema, oneByOne);
  });
});
