// A contact's erasure reaches everything that holds its personal data. The
// whole platform runs as processes (gateway, contacts, events, messaging,
// both CRM connectors), with the HubSpot, GoHighLevel and SMTP emulators as
// processes too. A contact with a planted, unique email (also in a property
// and an activity) is synced to both CRMs, is edited in HubSpot (a unique
// name that comes back by webhook, whose payload the connector keeps),
// registers for an event (a unique answer planted in the form too), is sent
// an email, and is then erased. Afterwards none of the planted values is
// found anywhere: in no table of any schema of the platform, not in clear in the
// event store, on no topic, in no process's log, in neither CRM emulator; and
// the operators' erasure report shows it applied by every service and CRM.
// (The SMTP emulator stands for the recipient's mailbox: a delivered email
// is the recipient's, and stays there.)
//
// A service that holds personal data joins this test when it joins the
// platform (README, "Personal data").
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { findWorkspaceRoot } from '@engagement/config';
import {
  emulatorAdmin,
  eventually,
  freePort,
  gatewayApi,
  readTopic,
  startEmulatorProcess,
  type TopicReader,
} from './e2e-support';
import { startPlatformUnderTest, type PlatformUnderTest } from './platform-under-test';

const HUBSPOT_TOKEN = `pat-na1-e2e-${randomBytes(8).toString('hex')}`;
const GHL_TOKEN = `pit-e2e-${randomBytes(8).toString('hex')}`;
const LOCATION = 'EmulatorLocation0001';
/** The HubSpot emulator's default app secret, which signs its webhooks. */
const HUBSPOT_CLIENT_SECRET = 'hubspot-emulator-client-secret';

let platform: PlatformUnderTest;
let api: ReturnType<typeof gatewayApi>;
const topics: TopicReader[] = [];
const emulators: ChildProcess[] = [];
let hubspotUrl: string;
let ghlUrl: string;
let smtpAdminUrl: string;

beforeAll(async () => {
  const [hubspotPort, ghlPort, smtpPort, smtpAdminPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  hubspotUrl = `http://127.0.0.1:${hubspotPort}`;
  ghlUrl = `http://127.0.0.1:${ghlPort}`;
  smtpAdminUrl = `http://127.0.0.1:${smtpAdminPort}`;
  const dataDir = join(findWorkspaceRoot(), '.data', `erasure-e2e-${randomUUID()}`);
  emulators.push(
    await startEmulatorProcess(
      'hubspot',
      {
        HUBSPOT_EMULATOR_PORT: String(hubspotPort),
        HUBSPOT_EMULATOR_PRIVATE_APP_TOKEN: HUBSPOT_TOKEN,
        HUBSPOT_EMULATOR_WEBHOOK_BATCH_DELAY_MS: '50',
      },
      `${hubspotUrl}/health`,
    ),
    await startEmulatorProcess(
      'gohighlevel',
      {
        GHL_EMULATOR_PORT: String(ghlPort),
        GHL_EMULATOR_PRIVATE_INTEGRATION_TOKEN: GHL_TOKEN,
        GHL_EMULATOR_DATA_DIR: join(dataDir, 'gohighlevel'),
      },
      `${ghlUrl}/health`,
    ),
    await startEmulatorProcess(
      'smtp',
      {
        SMTP_EMULATOR_PORT: String(smtpPort),
        SMTP_EMULATOR_ADMIN_PORT: String(smtpAdminPort),
        SMTP_EMULATOR_DATA_DIR: join(dataDir, 'smtp'),
      },
      `${smtpAdminUrl}/health`,
    ),
  );
  platform = await startPlatformUnderTest({
    connectors: { hubspotApiBase: hubspotUrl, gohighlevelApiBase: ghlUrl },
    messaging: { smtpUrl: `smtp://127.0.0.1:${smtpPort}` },
  });
  api = gatewayApi(platform);
  // HubSpot's webhooks reach the connector through the gateway's public route.
  const hubspotWebhookUrl = `${platform.gatewayUrl}/api/webhooks/hubspot`;
  await emulatorAdmin(hubspotUrl, 'PUT', '/webhooks', { targetUrl: hubspotWebhookUrl });
  const crm = platform.connectors!;
  for (const topic of [
    platform.contactsTopic,
    platform.eventsTopic,
    platform.messaging!.topic,
    crm.hubspotTopic,
    crm.gohighlevelTopic,
  ]) {
    topics.push(await readTopic(platform.kafkaBrokers, topic));
  }
  const hubspot = await api('POST', '/api/integrations/hubspot', {
    provider: 'hubspot',
    displayName: 'HubSpot',
    providerType: 'crm',
    authType: 'api_key',
    credentials: { private_app_token: HUBSPOT_TOKEN },
    webhookUrl: hubspotWebhookUrl,
    webhookSecret: HUBSPOT_CLIENT_SECRET,
  });
  const ghl = await api('POST', '/api/integrations/gohighlevel', {
    provider: 'gohighlevel',
    displayName: 'GoHighLevel',
    providerType: 'crm',
    authType: 'api_key',
    credentials: { private_integration_token: GHL_TOKEN },
    config: { location_id: LOCATION },
  });
  expect([hubspot.status, ghl.status]).toEqual([201, 201]);
}, 300_000);

afterAll(async () => {
  for (const topic of topics) await topic.stop();
  await platform?.stop();
  for (const child of emulators) child.kill('SIGTERM');
});

const emulatorHolds = async (url: string, planted: string) =>
  (await (await fetch(`${url}/__emulator/contacts`)).text()).includes(planted);

it('leaves the planted email nowhere, and the report shows the erasure applied everywhere', async () => {
  const planted = `planted-${randomUUID()}@example.com`;
  const plantedAnswer = `planted-answer-${randomUUID()}`;

  // 1. The contact, synced to both CRMs, with the address in a property and an activity too.
  const created = await api('POST', '/api/contacts', {
    email: planted,
    firstName: 'Plant',
    properties: { backup_email: planted, company: 'Planted Inc' },
    tags: ['planted'],
    syncToCrms: ['hubspot', 'gohighlevel'],
  });
  if (created.status !== 201) {
    const errors = platform
      .logs()
      .split('\n')
      .filter((line) => /"level":"error"/.test(line));
    throw new Error(
      `POST /api/contacts: ${created.status} ${JSON.stringify(created.body)}\n${errors.join('\n').slice(-3000)}`,
    );
  }
  const contactId = created.body.id as string;
  const activity = await api('POST', '/api/activities', {
    contactId,
    activityType: 'form_submitted',
    activityData: { email: planted },
  });
  expect(activity.status).toBe(201);
  await eventually('the contact in both CRM emulators', async () =>
    (await emulatorHolds(hubspotUrl, planted)) && (await emulatorHolds(ghlUrl, planted))
      ? true
      : undefined,
  );

  // 2. A registration for an event, by the seed's API.
  const event = await api('POST', '/api/events', {
    title: 'Erasure webinar',
    type: 'webinar',
    platform: 'virtual_custom',
    platformUrl: 'https://example.com/live',
    scheduledAt: new Date(Date.now() + 86_400_000).toISOString(),
    timezone: 'Europe/Berlin',
    durationMinutes: 30,
  });
  expect(event.status).toBe(201);
  for (const action of ['schedule', 'open-registration']) {
    expect((await api('POST', `/api/events/${event.body.id}/${action}`)).status).toBe(200);
  }
  const registration = await api('POST', '/api/registrations', {
    email: planted,
    eventId: event.body.id,
    formData: { attendee_role: 'Tester', question: plantedAnswer, work_email: planted },
    utmParams: { source: 'e2e' },
  });
  expect(registration.status).toBe(201);
  expect(registration.body.contactId).toBe(contactId);
  // In clear where it is read (the events service opens what it sealed in its events).
  const read = await eventually('the registration in the read model', async () => {
    const answer = await api('GET', `/api/registrations/${registration.body.id}`);
    return answer.status === 200 ? answer.body : undefined;
  });
  expect(read.formData).toEqual({
    attendee_role: 'Tester',
    question: plantedAnswer,
    work_email: planted,
  });

  // 3. An email, through the messaging service to the SMTP server.
  const template = await api('POST', '/api/templates', {
    slug: `erasure-${randomUUID().slice(0, 8)}`,
    name: 'Erasure test',
    channel: 'email',
    subjectTemplate: 'Hello',
    cachedContentHtml: '<p>Hi</p>',
    cachedContentText: 'Hi',
  });
  expect(template.status).toBe(201);
  const message = await api('POST', '/api/messages', {
    template: template.body.id,
    contactId,
    channel: 'email',
    kind: 'transactional',
    variables: {},
  });
  if (message.status !== 202) throw new Error(JSON.stringify(message.body));
  expect(message.status).toBe(202);
  await eventually(
    'the email at the SMTP server',
    async () => {
      const url = `${smtpAdminUrl}/__emulator/messages?to=${encodeURIComponent(planted)}`;
      const { messages } = (await (await fetch(url)).json()) as { messages: unknown[] };
      return messages.length > 0 ? true : undefined;
    },
    60_000,
  );

  // 4. The erasure, and every service's receipt.
  const erased = await api('POST', `/api/contacts/${contactId}/erase`);
  expect(erased.status).toBe(200);
  const services = 'contacts,events,messaging,connector-hubspot,connector-gohighlevel';
  const report = await eventually(
    'the erasure applied by every service and CRM',
    () => {
      const run = platform.runTool('gdpr.main.ts', ['erasure-status', contactId], {
        ERASURE_SERVICES: services,
      });
      return run.status === 0 ? run.stdout : undefined;
    },
    90_000,
  );
  expect(report).toContain('applied everywhere');
  expect(report).toMatch(/connector-hubspot\s+crm:hubspot\s+applied/);
  expect(report).toMatch(/connector-gohighlevel\s+crm:gohighlevel\s+applied/);

  // 5. Nowhere: the tables of every schema of the platform under test.
  const crm = platform.connectors!;
  const schemas = [
    platform.contactsSchema,
    platform.eventStoreSchema,
    platform.gatewaySchema,
    platform.eventsSchema,
    platform.messaging!.schema,
    crm.hubspotSchema,
    crm.gohighlevelSchema,
  ];
  const { rows: tables } = await platform.pool.query<{ schema: string; table: string }>(
    `SELECT table_schema AS schema, table_name AS table FROM information_schema.tables
      WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE'`,
    [schemas],
  );
  expect(new Set(tables.map((t) => t.schema)).size).toBe(schemas.length);
  const found: string[] = [];
  const inClear: string[] = [];
  for (const value of [planted, plantedAnswer]) {
    for (const { schema, table } of tables) {
      const { rows } = await platform.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${schema}"."${table}" t WHERE t::text ILIKE $1`,
        [`%${value}%`],
      );
      if (rows[0]!.n > 0) found.push(`${value} in ${schema}.${table}`);
    }
    // Which events hold it in clear, if any: names the culprit in the failure.
    const { rows } = await platform.pool.query<{ stream_id: string; event_type: string }>(
      `SELECT stream_id, event_type FROM "${platform.eventStoreSchema}".events e WHERE e::text ILIKE $1 LIMIT 10`,
      [`%${value}%`],
    );
    inClear.push(...rows.map((row) => `${value} in ${row.event_type} of ${row.stream_id}`));
  }
  expect({ found, inClear }).toEqual({ found: [], inClear: [] });

  // On no topic, in no log, in neither CRM.
  const contactsTopic = topics[0]!;
  await eventually('ContactErased on the contacts topic', () =>
    contactsTopic.values.some((v) => v.includes('"ContactErased"') && v.includes(contactId))
      ? true
      : undefined,
  );
  for (const topic of topics) {
    expect(topic.values.filter((value) => value.includes(planted)).length).toBe(0);
    expect(topic.values.filter((value) => value.includes(plantedAnswer)).length).toBe(0);
  }
  expect(platform.logs()).not.toContain(planted);
  expect(platform.logs()).not.toContain(plantedAnswer);
  await eventually('the contact deleted in both CRMs', async () =>
    !(await emulatorHolds(hubspotUrl, planted)) && !(await emulatorHolds(ghlUrl, planted))
      ? true
      : undefined,
  );
});
