import { parseHubSpotWebhook } from './hubspot.inbound';

describe('parseHubSpotWebhook', () => {
  const base = { portalId: 62515, appId: 54321, occurredAt: 1_800_000_000_000, attemptNumber: 0, changeSource: 'CRM_UI' };

  it('turns HubSpot events into changes, keyed on more than the event id', () => {
    const changes = parseHubSpotWebhook([
      { ...base, eventId: 1, subscriptionId: 101, subscriptionType: 'contact.propertyChange', objectId: 7, propertyName: 'firstname', propertyValue: 'Grace' },
      { ...base, eventId: 1, subscriptionId: 102, subscriptionType: 'contact.propertyChange', objectId: 7, propertyName: 'lastname', propertyValue: 'Hopper' },
      { ...base, eventId: 2, subscriptionId: 1, subscriptionType: 'contact.creation', objectId: 8, changeFlag: 'CREATED' },
      { ...base, eventId: 3, subscriptionId: 2, subscriptionType: 'contact.deletion', objectId: 9 },
      { ...base, eventId: 4, subscriptionId: 3, subscriptionType: 'contact.merge', objectId: 10, primaryObjectId: 10, mergedObjectIds: [11] },
    ]);
    if (typeof changes === 'string') throw new Error(changes);
    expect(changes.map((c) => [c.kind, c.externalId, c.fields])).toEqual([
      ['upsert', '7', { firstname: 'Grace' }],
      ['upsert', '7', { lastname: 'Hopper' }],
      ['upsert', '8', null],
      ['delete', '9', null],
      ['merge', '10', null],
    ]);
    expect(changes[0]!.dedupKey).not.toBe(changes[1]!.dedupKey);
    expect(changes[4]!.mergedIds).toEqual(['11']);
    expect(changes[0]!.occurredAt).toBe(new Date(1_800_000_000_000).toISOString());
  });

  it('says what is wrong with a body that is not HubSpot shape', () => {
    expect(parseHubSpotWebhook({ eventId: 1 })).toMatch(/array/);
    expect(parseHubSpotWebhook([{ eventId: '1', subscriptionType: 'contact.creation' }])).toMatch(/needs/);
  });
});
