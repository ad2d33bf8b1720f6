// connector-gohighlevel against the GoHighLevel emulator (a process of its
// own), connected with OAuth2: the first call refreshes the token under the
// integration's lock (GoHighLevel's refresh tokens work once); the seed's
// contact lands with its custom field and tags, an activity becomes a note,
// an erasure deletes the contact there; access tokens expiring in the middle
// of a run of contacts, a 429 storm and a spell of 503s lose and double nothing; a refresh token the
// provider rejects puts the integration in status error.
import { randomUUID } from 'node:crypto';
import { EmulatorProcess, http, LOCATION_ID, startTestBed, waitFor, type TestBed } from './testing/gohighlevel-test-bed.testing';

const CLIENT_ID = '66a0e0b1c2d3e4f5a6b7c8d9-emulator';
const CLIENT_SECRET = 'ghl-emulator-client-secret';
const REFRESH_TOKEN = 'ghl-emulator-refresh-token';

const contactCreated = (contactId: string, email: string) => ({
  contactId,
  email,
  firstName: 'Austin',
  lastName: 'Mao',
  phone: null,
  timezone: 'America/Los_Angeles',
  locale: 'en',
  avatarUrl: null,
  lifecycleStage: 'lead',
  source: 'api',
  syncToCrms: ['hubspot', 'gohighlevel'],
});

describe('connector-gohighlevel against the GoHighLevel emulator', () => {
  let emulator: EmulatorProcess;
  let bed: TestBed;

  beforeAll(async () => {
    emulator = await EmulatorProcess.start(4612);
    bed = await startTestBed(emulator);
    const connect = await http(
      'POST',
      `${bed.url}/integrations/gohighlevel`,
      {
        provider: 'gohighlevel',
        displayName: 'GoHighLevel',
        providerType: 'crm',
        authType: 'oauth2',
        // An access token that has expired: the first call refreshes it.
        credentials: {
          access_token: 'expired-PLANTED-0003',
          refresh_token: REFRESH_TOKEN,
          expires_at: '2026-01-01T00:00:00.000Z',
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
        },
        config: { location_id: LOCATION_ID },
        fieldMappings: { industry: { gohighlevel: 'industry_field' } },
      },
      bed.token(),
    );
    expect(connect.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await bed?.stop();
    await emulator?.stop();
  });

  it("pushes the seed's contact with its custom field and tags, and a note; refreshes the expired token once", async () => {
    const contactId = randomUUID();
    const email = `ghl-${contactId.slice(0, 8)}@example.com`;
    const stream = `contact-${contactId}`;
    await bed.publish(stream, 'ContactCreated', contactCreated(contactId, email));
    for (const [name, value] of [['company', 'Ceremonia'], ['industry', 'SaaS']]) {
      await bed.publish(stream, 'ContactPropertySet', { contactId, name, value, type: 'text', enumOptions: null, source: 'api' });
    }
    for (const slug of ['webinar-attendee', 'hot-lead']) {
      await bed.publish(stream, 'ContactTagAdded', { contactId, tagId: randomUUID(), slug, appliedBy: 'api' });
    }
    await bed.publish(stream, 'ActivityRecorded', {
      contactId,
      activityId: randomUUID(),
      activityType: 'page_viewed',
      activityData: { url: '/landing/webinar', title: 'How to Build AI Funnels' },
      relatedToType: null,
      relatedToId: null,
      source: 'api',
      occurredAt: new Date().toISOString(),
      points: 0,
      syncToCrms: ['gohighlevel'],
    });
    const contact = await waitFor('the contact with both tags', async () =>
      (await emulator.contacts()).find((c) => c.email === email && c.tags.length === 2),
    );
    expect(contact).toMatchObject({ firstName: 'Austin', companyName: 'Ceremonia' });
    expect(contact.tags.sort()).toEqual(['hot-lead', 'webinar-attendee']);
    expect(contact.customFields).toEqual([{ id: 'industry_field', value: 'SaaS' }]);
    const notes = await waitFor('the note', async () => {
      const all = await emulator.admin<{ notes: Array<{ contactId: string; body: string }> }>('GET', '/notes');
      return all.notes.find((n) => n.contactId === contact.id);
    });
    expect(notes.body).toContain('How to Build AI Funnels');
    const stream$ = await bed.connector.store.readStream('integration-gohighlevel');
    expect(stream$.filter((e) => e.type === 'IntegrationCredentialsReplaced').map((e) => e.data.reason)).toEqual(['refreshed']);
  });

  it('loses and doubles nothing when access tokens expire in the middle of a run', async () => {
    const ids = Array.from({ length: 40 }, () => randomUUID());
    const emails = new Set(ids.map((id) => `expiry-${id}@example.com`));
    for (const [i, contactId] of ids.entries()) {
      await bed.publish(`contact-${contactId}`, 'ContactCreated', contactCreated(contactId, `expiry-${contactId}@example.com`));
      if (i === 15) await emulator.admin('POST', '/tokens/expire');
    }
    await waitFor('every contact', async () => (await emulator.contacts()).filter((c) => emails.has(c.email ?? '')).length === 40 || null, 60_000);
    await emulator.admin('POST', '/tokens/expire');
    const late = randomUUID();
    await bed.publish(`contact-${late}`, 'ContactCreated', contactCreated(late, `expiry-${late}@example.com`));
    await waitFor('the contact after the second expiry', async () => (await emulator.contacts()).some((c) => c.email === `expiry-${late}@example.com`));
    const all = (await emulator.contacts()).filter((c) => emails.has(c.email ?? ''));
    expect(all).toHaveLength(40);
    const refreshes = (await bed.connector.store.readStream('integration-gohighlevel')).filter((e) => e.type === 'IntegrationCredentialsReplaced');
    // The first refresh, then one per expiry at most: a rotated refresh token is never spent twice.
    expect(refreshes.length).toBeGreaterThanOrEqual(2);
    expect(refreshes.length).toBeLessThanOrEqual(3);
    const view = await http<{ status: string }>('GET', `${bed.url}/integrations/gohighlevel`, undefined, bed.token());
    expect(view.body.status).toBe('active');
  }, 90_000);

  it('loses and doubles nothing through a 429 storm and a spell of 503s', async () => {
    const ids = Array.from({ length: 30 }, () => randomUUID());
    const emails = new Set(ids.map((id) => `storm-${id}@example.com`));
    await emulator.admin('POST', '/faults', { status: 429, count: 8 });
    await emulator.admin('POST', '/faults', { status: 503, durationMs: 2_000, pathPrefix: '/contacts/upsert' });
    for (const contactId of ids) await bed.publish(`contact-${contactId}`, 'ContactCreated', contactCreated(contactId, `storm-${contactId}@example.com`));
    await waitFor('every contact of the storm', async () => (await emulator.contacts()).filter((c) => emails.has(c.email ?? '')).length === 30 || null, 90_000);
    const all = (await emulator.contacts()).filter((c) => emails.has(c.email ?? ''));
    expect(all).toHaveLength(30);
    expect(bed.connector.caller.stats.rateLimited).toBeGreaterThan(0);
  }, 120_000);

  it('deletes an erased contact in GoHighLevel', async () => {
    const contactId = randomUUID();
    const email = `gone-${contactId.slice(0, 8)}@example.com`;
    await bed.publish(`contact-${contactId}`, 'ContactCreated', contactCreated(contactId, email));
    await waitFor('the contact', async () => (await emulator.contacts()).some((c) => c.email === email));
    await bed.publish(`contact-${contactId}`, 'ContactErased', { contactId, erasedAt: new Date().toISOString() });
    await waitFor('the contact gone', async () => !(await emulator.contacts()).some((c) => c.email === email));
  });

  it('puts the integration in status error when the provider rejects the refresh token', async () => {
    const tokens = await emulator.admin<{ refreshTokens?: Array<{ token: string; state: string }> }>('GET', '/tokens');
    for (const t of tokens.refreshTokens ?? []) await emulator.admin('POST', '/tokens/revoke', { refreshToken: t.token });
    await emulator.admin('POST', '/tokens/expire');
    const contactId = randomUUID();
    await bed.publish(`contact-${contactId}`, 'ContactCreated', contactCreated(contactId, `revoked-${contactId}@example.com`));
    const view = await waitFor('status error', async () => {
      const answer = await http<{ status: string; lastError: string | null }>('GET', `${bed.url}/integrations/gohighlevel`, undefined, bed.token());
      return answer.body.status === 'error' ? answer.body : null;
    });
    expect(view.lastError).toMatch(/refresh token rejected by gohighlevel/);
    expect(view.lastError).not.toContain(REFRESH_TOKEN);
  });
});
