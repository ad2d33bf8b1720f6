// The seed's API examples, exactly as written, through the gateway and the
// contacts service running as processes: the rows they leave in the seed's
// tables, and the events they put on the contacts Kafka topic, read back by
// a separate consumer.
import { randomUUID } from 'node:crypto';
import { eventually, gatewayApi, readTopic, type TopicReader } from './e2e-support';
import { startPlatformUnderTest, type PlatformUnderTest } from './platform-under-test';

let platform: PlatformUnderTest;
let topic: TopicReader;
let api: ReturnType<typeof gatewayApi>;

beforeAll(async () => {
  platform = await startPlatformUnderTest();
  api = gatewayApi(platform);
  topic = await readTopic(platform.kafkaBrokers, platform.contactsTopic);
});

afterAll(async () => {
  await topic?.stop();
  await platform?.stop();
});

describe('the seed API examples through the gateway', () => {
  let contactId: string;

  it('POST /api/contacts as written creates the contact, its properties and tags, and publishes its events', async () => {
    const email = `user+${randomUUID().slice(0, 8)}@example.com`;
    // The seed's example, with only the address made unique for this run.
    const created = await api('POST', '/api/contacts', {
      email,
      firstName: 'Austin',
      lastName: 'Mao',
      properties: { company: 'Ceremonia', job_title: 'Founder', industry: 'SaaS' },
      tags: ['webinar-attendee', 'hot-lead'],
      syncToCrms: ['hubspot', 'gohighlevel'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.any(String),
      position: expect.stringMatching(/^\d+$/),
    });
    contactId = created.body.id;

    const read = await api(
      'GET',
      `/api/contacts/${contactId}?waitForPosition=${created.body.position}`,
    );
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: contactId, email, firstName: 'Austin', lastName: 'Mao' });

    const s = platform.contactsSchema;
    const contact = await platform.pool.query(
      `SELECT email, first_name, last_name, status, lifecycle_stage FROM "${s}".contacts WHERE id = $1`,
      [contactId],
    );
    expect(contact.rows).toEqual([
      { email, first_name: 'Austin', last_name: 'Mao', status: 'active', lifecycle_stage: 'lead' },
    ]);
    const properties = await platform.pool.query(
      `SELECT property_name, property_value FROM "${s}".contact_properties WHERE contact_id = $1 ORDER BY property_name`,
      [contactId],
    );
    expect(properties.rows).toEqual([
      { property_name: 'company', property_value: 'Ceremonia' },
      { property_name: 'industry', property_value: 'SaaS' },
      { property_name: 'job_title', property_value: 'Founder' },
    ]);
    const tags = await platform.pool.query(
      `SELECT t.slug FROM "${s}".contact_tags ct JOIN "${s}".tags t ON t.id = ct.tag_id WHERE ct.contact_id = $1 ORDER BY t.slug`,
      [contactId],
    );
    expect(tags.rows.map((r) => r.slug)).toEqual(['hot-lead', 'webinar-attendee']);

    const published = await eventually('ContactCreated on the contacts topic', () =>
      topic
        .events()
        .find((e) => e.streamId === `contact-${contactId}` && e.type === 'ContactCreated'),
    );
    expect(published.metadata.correlationId).toEqual(expect.any(String));
    // Personal data travels encrypted: the address is not on the topic in clear.
    expect(JSON.stringify(published.data)).not.toContain(email);
  });

  it('POST /api/activities as written records the activity and publishes it', async () => {
    const recorded = await api('POST', '/api/activities', {
      contactId,
      activityType: 'page_viewed',
      activityData: {
        url: '/landing/webinar',
        title: 'How to Build AI Funnels',
        durationSeconds: 45,
      },
      syncToCrms: ['hubspot'],
    });
    expect(recorded.status).toBe(201);
    const timeline = await api(
      'GET',
      `/api/contacts/${contactId}/activities?waitForPosition=${recorded.body.position}`,
    );
    expect(timeline.status).toBe(200);
    const rows = await platform.pool.query(
      `SELECT activity_type, activity_data FROM "${platform.contactsSchema}".activities WHERE contact_id = $1 AND activity_type = 'page_viewed'`,
      [contactId],
    );
    expect(rows.rows).toEqual([
      {
        activity_type: 'page_viewed',
        activity_data: {
          url: '/landing/webinar',
          title: 'How to Build AI Funnels',
          durationSeconds: 45,
        },
      },
    ]);
    await eventually('ActivityRecorded on the contacts topic', () =>
      topic
        .events()
        .find(
          (e) =>
            e.streamId === `contact-${contactId}` &&
            e.type === 'ActivityRecorded' &&
            e.data.activityType === 'page_viewed',
        ),
    );
  });

  it('answers 50 concurrent creates of one address with exactly one contact and 409s naming it', async () => {
    const email = `race+${randomUUID().slice(0, 8)}@example.com`;
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => api('POST', '/api/contacts', { email, firstName: 'Race' })),
    );
    const created = answers.filter((a) => a.status === 201);
    const conflicts = answers.filter((a) => a.status === 409);
    expect(created).toHaveLength(1);
    expect(conflicts).toHaveLength(49);
    expect(conflicts.every((c) => JSON.stringify(c.body).includes(created[0].body.id))).toBe(true);
    const winner = created[0].body;
    expect(
      (await api('GET', `/api/contacts/${winner.id}?waitForPosition=${winner.position}`)).status,
    ).toBe(200);
    const rows = await platform.pool.query(
      `SELECT count(*)::int AS n FROM "${platform.contactsSchema}".contacts WHERE email = $1`,
      [email],
    );
    expect(rows.rows[0].n).toBe(1);
  });

  it('refuses requests without a valid key, and bad input, with problem+json', async () => {
    const anonymous = await fetch(`${platform.gatewayUrl}/api/contacts`, {
      method: 'POST',
      body: '{}',
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
    const invalid = await api('POST', '/api/contacts', { email: 'not-an-email', unknownField: 1 });
    expect(invalid.status).toBe(422);
    expect(invalid.headers.get('content-type')).toContain('application/problem+json');
  });

  it("leaves a read model that the operators' replay rebuilds identically, and a history they can read", () => {
    const run = (tool: string, args: string[]) => platform.runTool(tool, args);
    const audit = run('projections.main.ts', ['audit', 'contacts-read-model']);
    expect(audit.stdout).toContain('audit contacts-read-model: identical');
    expect(audit.status).toBe(0);

    const history = run('history.main.ts', [`contact-${contactId}`]);
    expect(history.status).toBe(0);
    const events = history.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events[0]).toMatchObject({
      type: 'ContactCreated',
      revision: '0',
      data: { firstName: 'Austin' },
    });
    expect(
      events.some((e) => e.type === 'ActivityRecorded' && e.data.activityType === 'page_viewed'),
    ).toBe(true);
  });
});
