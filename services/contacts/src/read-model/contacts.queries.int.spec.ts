// The API's read queries over a read model built by the projection from
// decider-made events: one contact, filtered lists whose pages cover every
// matching row exactly once, the activity timeline, tags and the export.
import { randomUUID } from 'node:crypto';
import { RuleViolationError } from '@engagement/decider';
import type { ContactCommand } from '../domain';
import { listContactActivities } from './activities.queries';
import { exportContactReadModel } from './contact-export.queries';
import type { ContactView } from './contact-views';
import {
  getContact,
  listContactProperties,
  listContactTags,
  listContacts,
  type ContactListFilter,
  type ContactListRequest,
} from './contacts.queries';
import { createTestBed, type TestBed } from './contacts-test-bed.testing';
import type { Page } from './cursor';
import type { ReadModelSource } from './read-model-source';
import { getTagById, getTagBySlug, listTags } from './tags.queries';

const COUNT = 45;
const STAGES = ['lead', 'mql', 'customer'] as const;

describe('contacts read model queries', () => {
  let bed: TestBed;
  let source: ReadModelSource;
  const contactIds: string[] = [];
  const hot = randomUUID();
  const vip = randomUUID();

  beforeAll(async () => {
    bed = await createTestBed();
    source = { db: bed.pool, schema: bed.schema };
    await bed.tag({ type: 'CreateTag', tagId: hot, name: 'Hot lead', slug: 'hot-lead' });
    await bed.tag({ type: 'CreateTag', tagId: vip, name: 'VIP', slug: 'vip', color: '#ffd700' });
    for (let i = 0; i < COUNT; i++) {
      const contactId = randomUUID();
      contactIds.push(contactId);
      const commands: ContactCommand[] = [
        {
          type: 'CreateContact',
          contactId,
          email: `q${i}@example.com`,
          firstName: `First${i}`,
          lastName: 'Query',
          lifecycleStage: STAGES[i % 3],
          source: 'api',
        },
        {
          type: 'SetContactProperty',
          contactId,
          name: 'company',
          value: `Company${i % 4}`,
          propertyType: 'string',
          source: 'api',
          activityId: randomUUID(),
        },
        {
          type: 'SetContactProperty',
          contactId,
          name: 'employees',
          value: i * 10,
          propertyType: 'number',
          source: 'api',
          activityId: randomUUID(),
        },
        {
          type: 'RecordActivity',
          contactId,
          activityId: randomUUID(),
          activityType: 'page_viewed',
          activityData: { url: `/page/${i}` },
          source: 'api',
          points: i,
        },
      ];
      for (const [tagId, slug, every] of [
        [hot, 'hot-lead', 2],
        [vip, 'vip', 5],
      ] as const) {
        if (i % every === 0) {
          commands.push({
            type: 'AddContactTag',
            contactId,
            tagId,
            slug,
            appliedBy: 'api',
            activityId: randomUUID(),
          });
        }
      }
      await bed.contact(...commands);
    }
    await bed.contact({
      type: 'ChangeContactStatus',
      contactId: contactIds[3],
      status: 'unsubscribed',
    });
    await bed.contact({ type: 'DeleteContact', contactId: contactIds[7] });
    await bed.contact({ type: 'EraseContact', contactId: contactIds[11] });
    // A timeline long enough to page, with ties on occurred_at that the id breaks.
    for (let k = 0; k < 25; k++) {
      await bed.contact({
        type: 'RecordActivity',
        contactId: contactIds[0],
        activityId: randomUUID(),
        activityType: k % 2 === 0 ? 'email_opened' : 'email_clicked',
        activityData: { message_id: `m${k}` },
        source: 'automation',
        occurredAt: `2025-06-01T00:00:0${k % 10}.000Z`,
      });
    }
    await bed.catchUp();
  });

  afterAll(async () => {
    await bed.close();
  });

  /** Every page of a list, checking that no row shows up twice. */
  async function allPages(
    filter: ContactListFilter,
    request: ContactListRequest = {},
  ): Promise<ContactView[]> {
    const seen: ContactView[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page<ContactView> = await listContacts(source, filter, { ...request, cursor });
      expect(page.items.length).toBeLessThanOrEqual(request.limit ?? 50);
      seen.push(...page.items);
      cursor = page.nextCursor;
      expect(++pages).toBeLessThan(100);
    } while (cursor !== null);
    expect(new Set(seen.map((c) => c.id)).size).toBe(seen.length);
    return seen;
  }

  const index = (c: ContactView) => Number(c.email.slice(1, c.email.indexOf('@')));

  it('gets one contact with its properties and tags, in the seed API style', async () => {
    const contact = await getContact(source, contactIds[10]);
    expect(contact).toMatchObject({
      id: contactIds[10],
      email: 'q10@example.com',
      firstName: 'First10',
      lastName: 'Query',
      phone: null,
      timezone: 'America/Los_Angeles',
      locale: 'en',
      lifecycleStage: 'mql',
      leadScore: 10,
      status: 'active',
      deletedAt: null,
      externalMappings: [],
      consent: {},
      properties: { company: 'Company2', employees: 100 },
      tags: ['hot-lead', 'vip'],
    });
    expect(contact?.createdAt).toMatch(/^2026-01-01T\d\d:\d\d:00\.000Z$/);
    expect(contact?.lastActivityAt).toBe(contact?.createdAt);
    expect(JSON.parse(JSON.stringify(contact))).toEqual(contact);

    expect((await getContact(source, contactIds[7]))?.status).toBe('deleted');
    expect(await getContact(source, contactIds[11])).toBeNull();
    expect(await getContact(source, randomUUID())).toBeNull();
    expect(await getContact(source, 'not-a-uuid')).toBeNull();

    expect(await listContactProperties(source, contactIds[10])).toEqual([
      expect.objectContaining({
        name: 'company',
        value: 'Company2',
        type: 'string',
        source: 'api',
      }),
      expect.objectContaining({ name: 'employees', value: 100, type: 'number' }),
    ]);
    expect((await listContactTags(source, contactIds[10]))?.map((t) => t.slug)).toEqual([
      'hot-lead',
      'vip',
    ]);
    expect(await listContactTags(source, contactIds[11])).toBeNull();
  });

  it('pages through every listed contact exactly once, in either order', async () => {
    const listed = await allPages({}, { limit: 7 });
    // All but the deleted and the erased one.
    expect(listed.map(index).sort((a, b) => a - b)).toEqual(
      [...Array(COUNT).keys()].filter((i) => i !== 7 && i !== 11),
    );
    const keys = listed.map((c) => `${c.updatedAt}|${c.id}`);
    expect([...keys].sort()).toEqual(keys);

    const backwards = await allPages({}, { limit: 6, order: 'desc' });
    expect(backwards.map((c) => c.id)).toEqual(listed.map((c) => c.id).reverse());

    const deleted = await allPages({ status: 'deleted' });
    expect(deleted.map(index)).toEqual([7]);
  });

  it('filters by status, lifecycle stage, tag, property, lead score and time, paging each', async () => {
    const live = (i: number) => i !== 7 && i !== 11;
    const expectIndexes = async (filter: ContactListFilter, want: (i: number) => boolean) => {
      const found = (await allPages(filter, { limit: 4 })).map(index).sort((a, b) => a - b);
      expect(found).toEqual([...Array(COUNT).keys()].filter((i) => live(i) && want(i)));
    };
    await expectIndexes({ status: 'unsubscribed' }, (i) => i === 3);
    await expectIndexes({ status: 'active' }, (i) => i !== 3);
    await expectIndexes({ lifecycleStage: 'customer' }, (i) => i % 3 === 2);
    await expectIndexes({ tag: 'vip' }, (i) => i % 5 === 0);
    await expectIndexes({ tag: 'nope' }, () => false);
    await expectIndexes({ property: { name: 'company', value: 'Company1' } }, (i) => i % 4 === 1);
    await expectIndexes({ property: { name: 'employees', value: '120' } }, (i) => i === 12);
    await expectIndexes({ leadScoreMin: 10, leadScoreMax: 20 }, (i) => i >= 10 && i <= 20);
    await expectIndexes(
      { tag: 'hot-lead', lifecycleStage: 'lead', leadScoreMin: 5 },
      (i) => i % 2 === 0 && i % 3 === 0 && i >= 5,
    );

    const all = await allPages({});
    const since = all[Math.floor(all.length / 2)].updatedAt;
    const recent = await allPages({ updatedSince: since }, { limit: 3 });
    expect(recent.map((c) => c.id).sort()).toEqual(
      all
        .filter((c) => c.updatedAt >= since)
        .map((c) => c.id)
        .sort(),
    );
  });

  it('answers bad paging and filters as the client mistakes they are', async () => {
    await expect(listContacts(source, {}, { limit: 201 })).rejects.toBeInstanceOf(
      RuleViolationError,
    );
    await expect(listContacts(source, {}, { limit: 0 })).rejects.toBeInstanceOf(RuleViolationError);
    await expect(listContacts(source, {}, { cursor: 'garbage' })).rejects.toBeInstanceOf(
      RuleViolationError,
    );
    const ascending = await listContacts(source, {}, { limit: 2 });
    // A cursor of one order is not a cursor of the other.
    await expect(
      listContacts(source, {}, { order: 'desc', cursor: ascending.nextCursor }),
    ).rejects.toMatchObject({ code: 'invalid-cursor' });
    await expect(listContacts(source, { updatedSince: 'yesterday' })).rejects.toMatchObject({
      code: 'invalid-filter',
    });
    await expect(listContacts(source, { leadScoreMin: 2 ** 40 })).rejects.toMatchObject({
      code: 'invalid-filter',
    });
  });

  it('pages a contact timeline newest first, ties broken by id', async () => {
    const all = [];
    let cursor: string | null = null;
    do {
      const page = await listContactActivities(source, contactIds[0], { limit: 4, cursor });
      expect(page).not.toBeNull();
      all.push(...page!.items);
      cursor = page!.nextCursor;
    } while (cursor !== null);
    // 25 here, the page view, 2 property changes and 2 tag additions at creation.
    expect(all).toHaveLength(30);
    expect(new Set(all.map((a) => a.id)).size).toBe(30);
    const keys = all.map((a) => `${a.occurredAt}|${a.id}`);
    expect([...keys].sort().reverse()).toEqual(keys);

    const clicks = await listContactActivities(source, contactIds[0], {
      activityType: 'email_clicked',
      limit: 200,
    });
    expect(clicks?.items).toHaveLength(12);
    expect(clicks?.items[0]).toMatchObject({
      contactId: contactIds[0],
      activityType: 'email_clicked',
      source: 'automation',
      relatedToType: null,
      syncedToCrms: [],
    });
    expect(await listContactActivities(source, contactIds[11])).toBeNull();
  });

  it('lists and gets tags with their contact counts', async () => {
    const page = await listTags(source, { limit: 1 });
    expect(page.items.map((t) => t.slug)).toEqual(['hot-lead']);
    const next = await listTags(source, { limit: 1, cursor: page.nextCursor });
    expect(next.items.map((t) => t.slug)).toEqual(['vip']);
    expect(next.nextCursor).toBeNull();

    // Counts include deleted and erased contacts: erasure keeps aggregates whole.
    expect(await getTagBySlug(source, 'vip')).toMatchObject({
      id: vip,
      name: 'VIP',
      color: '#ffd700',
      isSystem: false,
      crmTagMappings: {},
      contactCount: 9,
    });
    expect((await getTagById(source, hot))?.contactCount).toBe(23);
    expect(await getTagById(source, randomUUID())).toBeNull();
  });

  it('exports everything the read model holds on a contact, and nothing on an erased one', async () => {
    const exported = await exportContactReadModel(source, contactIds[0]);
    expect(exported?.contact.email).toBe('q0@example.com');
    expect(exported?.properties.map((p) => p.name)).toEqual(['company', 'employees']);
    expect(exported?.tags.map((t) => t.slug)).toEqual(['hot-lead', 'vip']);
    expect(exported?.activities).toHaveLength(30);
    expect(await exportContactReadModel(source, contactIds[11])).toBeNull();
  });
});
