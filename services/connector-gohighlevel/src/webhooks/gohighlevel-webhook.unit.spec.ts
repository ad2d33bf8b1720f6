import { parseGhlWebhook } from './gohighlevel.inbound';

describe('parseGhlWebhook', () => {
  const base = { locationId: 'L1', id: 'c1', timestamp: '2026-12-04T21:00:00.000Z', webhookId: 'w1' };

  it('reads a whole record: missing standard fields are empty, custom fields by id, the tag set', () => {
    const changes = parseGhlWebhook({ ...base, type: 'ContactUpdate', email: 'a@x.io', firstName: 'Ada', tags: ['vip'], customFields: [{ id: 'cf1', value: 'Acme' }] });
    if (typeof changes === 'string') throw new Error(changes);
    expect(changes).toHaveLength(1);
    const change = changes[0]!;
    expect(change).toMatchObject({ kind: 'upsert', externalId: 'c1', dedupKey: 'gohighlevel:w1', tags: ['vip'], occurredAt: base.timestamp });
    expect(change.fields).toMatchObject({ email: 'a@x.io', firstName: 'Ada', lastName: null, cf1: 'Acme' });
  });

  it('a delete, events of other objects, and bodies that are not GoHighLevel shape', () => {
    expect(parseGhlWebhook({ ...base, type: 'ContactDelete' })).toEqual([expect.objectContaining({ kind: 'delete', externalId: 'c1' })]);
    expect(parseGhlWebhook({ ...base, type: 'OpportunityCreate' })).toEqual([]);
    expect(parseGhlWebhook([base])).toMatch(/object/);
    expect(parseGhlWebhook({ type: 'ContactUpdate', id: 'c1' })).toMatch(/webhookId/);
  });
});
