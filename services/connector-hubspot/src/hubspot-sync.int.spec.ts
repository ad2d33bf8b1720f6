// connector-hubspot against the HubSpot emulator (a process of its own):
// the seed's contact with its properties and a list-mapped tag ends up in
// HubSpot once, with its HubSpot id on the sync stream and a success row in
// crm_sync_logs; an activity becomes a note; an erasure is a GDPR delete that
// blanks the logs' payloads; 429 storms and 5xx spells lose and double
// nothing; the integration API never shows a secret.
import { randomUUID } from 'node:crypto';
import { EmulatorProcess, http, PRIVATE_APP_TOKEN, startTestBed, waitFor, type TestBed } from './testing/hubspot-test-bed.testing';

const contactCreated = (contactId: string, email: string, syncToCrms: string[] = ['hubspot']) => ({
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
  syncToCrms,
});

describe('connector-hubspot against the HubSpot emulator', () => {
  let emulator: EmulatorProcess;
  let bed: TestBed;

  beforeAll(async () => {
    emulator = await EmulatorProcess.start(4611);
    bed = await startTestBed(emulator);
    const connect = await http('POST', `${bed.url}/integrations/hubspot`, {
      provider: 'hubspot',
      displayName: 'HubSpot',
      providerType: 'crm',
      authType: 'api_key',
      credentials: { private_app_token: PRIVATE_APP_TOKEN },
      config: {},
      webhookSecret: 'whsec-PLANTED-0002',
    }, bed.token());
    expect(connect.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await bed?.stop();
    await emulator?.stop();
  });

  const syncLogs = async (contactId: string) =>
    (
      await bed.connector.pool.query(
        `SELECT sync_type, status, entity_type, external_id, payload, response, error_code FROM ${bed.schema}.crm_sync_logs
          WHERE entity_id = $1 OR payload->>'contactId' = $1::text ORDER BY synced_at`,
        [contactId],
      )
    ).rows;

  it('answers only administrators', async () => {
    expect((await http('GET', `${bed.url}/integrations/hubspot`)).status).toBe(401);
    expect((await http('GET', `${bed.url}/integrations/hubspot`, undefined, bed.token(['read', 'write']))).status).toBe(403);
  });

  it('shows the integration without its secrets', async () => {
    const { status, body } = await http<Record<string, unknown>>('GET', `${bed.url}/integrations/hubspot`, undefined, bed.token());
    expect(status).toBe(200);
    expect(body).toMatchObject({ provider: 'hubspot', status: 'active', credentials: { set: true }, webhookSecretSet: true });
    expect(JSON.stringify(body)).not.toContain(PRIVATE_APP_TOKEN);
    expect(JSON.stringify(body)).not.toContain('PLANTED');
  });

  it("pushes the seed's contact with mapped properties and list memberships; logs success; the CRM id goes out as an event", async () => {
    const list = await emulator.api<{ list: { listId: string } }>('POST', '/crm/v3/lists', {
      name: `hot-leads-${randomUUID()}`,
      objectTypeId: '0-1',
      processingType: 'MANUAL',
    });
    const contactId = randomUUID();
    const tagId = randomUUID();
    const email = `austin-${contactId.slice(0, 8)}@example.com`;
    const stream = `contact-${contactId}`;
    await bed.publish(`tag-${tagId}`, 'TagCreated', { tagId, name: 'Hot lead', slug: 'hot-lead', color: null, description: null, category: null, isSystem: false });
    await bed.publish(`tag-${tagId}`, 'TagCrmMappingSet', { tagId, provider: 'hubspot', mappingType: 'list', externalId: list.list.listId });
    await bed.publish(stream, 'ContactCreated', contactCreated(contactId, email));
    for (const [name, value] of [['company', 'Ceremonia'], ['job_title', 'Founder'], ['industry', 'SaaS']]) {
      await bed.publish(stream, 'ContactPropertySet', { contactId, name, value, type: 'text', enumOptions: null, source: 'api' });
    }
    await bed.publish(stream, 'ContactTagAdded', { contactId, tagId, slug: 'hot-lead', appliedBy: 'api' });

    const contact = await waitFor('the contact in HubSpot with its tag', async () => {
      const found = (await emulator.contacts()).find((c) => c.properties.email === email && c.properties.jobtitle === 'Founder');
      if (!found) return null;
      const members = await emulator.api<{ results: Array<{ recordId: string }> }>('GET', `/crm/v3/lists/${list.list.listId}/memberships`);
      return members.results.some((m) => m.recordId === found.id) ? found : null;
    });
    expect(contact.properties).toMatchObject({ firstname: 'Austin', lastname: 'Mao', company: 'Ceremonia', lifecyclestage: 'lead' });
    expect((await emulator.contacts()).filter((c) => c.properties.email === email)).toHaveLength(1);

    const rows = await waitFor('success rows', async () => {
      const logs = await syncLogs(contactId);
      return logs.some((r) => r.sync_type === 'tag_sync') ? logs : null;
    });
    expect(rows.every((r) => r.status === 'success' || r.status === 'partial')).toBe(true);
    expect(rows.find((r) => r.sync_type === 'contact_create')).toMatchObject({ external_id: contact.id, entity_type: 'contact' });
    // industry and lead_score have no HubSpot property here: skipped and said so, not failed.
    const synced = await bed.connector.store.readStream(`crm-hubspot-${contactId}`);
    expect(synced.find((e) => e.type === 'CrmContactSynced')?.data).toMatchObject({ externalId: contact.id, skippedFields: ['lead_score', 'industry'] });
    // No personal value in the sync events (they live forever on crm.hubspot).
    expect(JSON.stringify(synced.map((e) => e.data))).not.toContain(email);
  });

  it('turns an activity with syncToCrms into a note on the contact, then erases the contact with a GDPR delete', async () => {
    const contactId = randomUUID();
    const activityId = randomUUID();
    const email = `erase-${contactId.slice(0, 8)}@example.com`;
    const stream = `contact-${contactId}`;
    await bed.publish(stream, 'ContactCreated', contactCreated(contactId, email, ['hubspot', 'gohighlevel']));
    await bed.publish(stream, 'ActivityRecorded', {
      contactId,
      activityId,
      activityType: 'page_viewed',
      activityData: { url: '/landing/webinar', title: 'How to Build AI Funnels', durationSeconds: 45 },
      relatedToType: null,
      relatedToId: null,
      source: 'api',
      occurredAt: new Date().toISOString(),
      points: 0,
      syncToCrms: ['hubspot'],
    });
    const note = await waitFor('the note', async () => {
      const notes = await emulator.admin<{ results: Array<{ id: string; properties: Record<string, string>; associations?: unknown }> }>('GET', '/notes');
      return notes.results.find((n) => (n.properties.hs_note_body ?? '').includes('How to Build AI Funnels'));
    });
    expect(note.properties.hs_note_body).toContain('page_viewed');
    const noteEvent = await waitFor('CrmActivitySynced', async () =>
      (await bed.connector.store.readStream(`crm-hubspot-${contactId}`)).find((e) => e.type === 'CrmActivitySynced'),
    );
    expect(noteEvent.data).toMatchObject({ activityId, externalId: note.id });

    await bed.publish(stream, 'ContactErased', { contactId, erasedAt: new Date().toISOString() });
    await waitFor('the contact gone from HubSpot', async () => !(await emulator.contacts()).some((c) => c.properties.email === email));
    const rows = await waitFor('the delete row', async () => {
      const logs = await syncLogs(contactId);
      return logs.some((r) => r.sync_type === 'contact_delete') ? logs : null;
    });
    expect(rows.every((r) => r.payload === null && r.response === null)).toBe(true);
    const left = await bed.connector.pool.query(`SELECT * FROM ${bed.schema}.sync_contacts WHERE contact_id = $1`, [contactId]);
    expect(left.rows).toHaveLength(0);
  });

  it('loses and doubles nothing through a 429 storm and a spell of 503s', async () => {
    const batch = Array.from({ length: 150 }, () => randomUUID());
    await emulator.admin('POST', '/faults', { status: 429, count: 6 });
    await emulator.admin('POST', '/faults', { status: 503, durationMs: 2_000, pathPrefix: '/crm/v3/objects/contacts/batch' });
    for (const contactId of batch) await bed.publish(`contact-${contactId}`, 'ContactCreated', contactCreated(contactId, `storm-${contactId}@example.com`));
    const emails = new Set(batch.map((id) => `storm-${id}@example.com`));
    await waitFor('every contact of the storm', async () => (await emulator.contacts()).filter((c) => emails.has(c.properties.email ?? '')).length === 150 || null, 90_000);
    const all = (await emulator.contacts()).filter((c) => emails.has(c.properties.email ?? ''));
    expect(new Set(all.map((c) => c.properties.email)).size).toBe(150);
    expect(all).toHaveLength(150);
    expect(bed.connector.caller.stats.rateLimited).toBeGreaterThan(0);
    const failed = await bed.connector.pool.query(`SELECT count(*)::int AS n FROM ${bed.schema}.sync_contacts WHERE dead`);
    expect(failed.rows[0].n).toBe(0);
  }, 120_000);

  it('answers the sync status view with counts, backlog and consumer lag', async () => {
    type Status = { counts: { lastHour: { success: number } }; pending: { contacts: number }; consumerLag: Record<string, number | null> };
    // The rows are a projection of the sync events: wait until it caught up with the storm.
    const { status, body } = await waitFor('the storm in the status counts', async () => {
      const answer = await http<Status>('GET', `${bed.url}/integrations/hubspot/sync-status`, undefined, bed.token());
      return answer.status !== 200 || answer.body.counts.lastHour.success > 150 ? answer : null;
    });
    expect(status).toBe(200);
    expect(body.pending.contacts).toBe(0);
    expect(Object.keys(body.consumerLag)).toEqual([bed.contactsTopic]);
  });
});
