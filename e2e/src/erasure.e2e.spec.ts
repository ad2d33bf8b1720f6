// A contact's erasure reaches everything that holds its personal data. A
// contact is created through the gateway with a planted, unique email (also
// in a property and an activity), then erased; afterwards the planted
// address is found nowhere: in no table of any schema of the platform, not
// in clear in the event store, not on any topic, not in any process's log;
// and the operators' erasure report shows it applied by every service.
//
// Services that hold personal data join this test as they join the
// platform (README, "Personal data": how a new service does).
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

it('leaves the planted email nowhere, and the report shows the erasure applied everywhere', async () => {
  const planted = `planted-${randomUUID()}@example.com`;
  const created = await api('POST', '/api/contacts', {
    email: planted,
    firstName: 'Plant',
    properties: { backup_email: planted },
    tags: ['planted'],
  });
  expect(created.status).toBe(201);
  const contactId = created.body.id as string;
  const activity = await api('POST', '/api/activities', {
    contactId,
    activityType: 'form_submitted',
    activityData: { email: planted },
  });
  expect(activity.status).toBe(201);

  // Before the erasure, the address is readable where it belongs: the read model.
  const before = await api(
    'GET',
    `/api/contacts/${contactId}?waitForPosition=${activity.body.position}`,
  );
  expect(before.body.email).toBe(planted);

  const erased = await api('POST', `/api/contacts/${contactId}/erase`);
  expect(erased.status).toBe(200);
  await api('GET', `/api/contacts?limit=1&waitForPosition=${erased.body.position}`);
  // The relay has put the erasure on the topic (and with it everything before it).
  await eventually('ContactErased on the topic', () =>
    topic.values.some((value) => value.includes('"ContactErased"') && value.includes(contactId))
      ? true
      : undefined,
  );

  // Every table of every schema of the platform under test.
  const schemas = [platform.contactsSchema, platform.eventStoreSchema, platform.gatewaySchema];
  const { rows: tables } = await platform.pool.query<{ schema: string; table: string }>(
    `SELECT table_schema AS schema, table_name AS table FROM information_schema.tables
      WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE'`,
    [schemas],
  );
  expect(tables.length).toBeGreaterThan(5);
  const found: string[] = [];
  for (const { schema, table } of tables) {
    const { rows } = await platform.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}"."${table}" t WHERE t::text ILIKE $1`,
      [`%${planted}%`],
    );
    if (rows[0]!.n > 0) found.push(`${schema}.${table}`);
  }
  expect(found).toEqual([]);

  expect(topic.values.length).toBeGreaterThan(3);
  expect(topic.values.filter((value) => value.includes(planted)).length).toBe(0);
  expect(platform.logs()).not.toContain(planted);

  const report = platform.runTool('gdpr.main.ts', ['erasure-status', contactId], {
    ERASURE_SERVICES: 'contacts',
  });
  expect(report.stdout).toMatch(/contacts\s+\(own tables\)\s+applied 20/);
  expect(report.stdout).toContain('applied everywhere');
  expect(report.status).toBe(0);
});
