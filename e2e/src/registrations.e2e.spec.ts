// The seed's "Register for Event" example, exactly as written, through the
// gateway, with the events, contacts and gateway services running as
// processes: the registration row in events.registrations, the event on
// topic `events`, the contact made by the contacts service's upsert and its
// `event_registered` activity in contacts.activities (contacts consumes the
// topic). Then the capacity race against the real processes, and the
// operators' audit of the events read model.
import { randomUUID } from 'node:crypto';
import { fromWireEvent, type RecordedEvent } from '@engagement/event-store';
import { KafkajsBus, silentLogger, type ConsumerHandle } from '@engagement/bus';
import { startPlatformUnderTest, type PlatformUnderTest } from './platform-under-test';

let platform: PlatformUnderTest;
let consumer: ConsumerHandle;
let bus: KafkajsBus;
const onTopic: RecordedEvent[] = [];

beforeAll(async () => {
  platform = await startPlatformUnderTest();
  bus = new KafkajsBus({
    brokers: platform.kafkaBrokers,
    clientId: 'e2e-events-reader',
    logger: silentLogger,
  });
  await bus.ensureTopics([{ topic: platform.eventsTopic, partitions: 3 }]);
  consumer = await bus.consume({
    groupId: `e2e-events-reader-${randomUUID()}`,
    topics: [platform.eventsTopic],
    fromBeginning: true,
    eachBatch: async (batch) => {
      for (const message of batch.messages) onTopic.push(fromWireEvent(message.value));
    },
  });
});

afterAll(async () => {
  await consumer?.stop();
  await bus?.close();
  await platform?.stop();
});

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${platform.gatewayUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${platform.apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\n${platform.logs().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function openEvent(maxRegistrations: number | null = null): Promise<string> {
  const created = await api('POST', '/api/events', {
    title: 'How to Build AI Funnels',
    type: 'webinar',
    platform: 'virtual_custom',
    platformUrl: 'https://example.com/live',
    scheduledAt: new Date(Date.now() + 86_400_000).toISOString(),
    timezone: 'America/Los_Angeles',
    durationMinutes: 60,
    maxRegistrations,
  });
  expect(created.status).toBe(201);
  for (const action of ['schedule', 'open-registration'])
    expect((await api('POST', `/api/events/${created.body.id}/${action}`)).status).toBe(200);
  return created.body.id;
}

it('POST /api/registrations as written registers the contact, publishes, and records the activity', async () => {
  const eventId = await openEvent();
  // The seed's example as written; only "uuid" is an event that exists.
  const seed = {
    email: 'user@example.com',
    eventId,
    formData: { company: 'Acme Corp', attendee_role: 'Marketing Manager' },
    utmParams: { source: 'linkedin', campaign: 'webinar-2025-Q4' },
  };
  const registered = await api('POST', '/api/registrations', seed);
  expect(registered.status).toBe(201);
  expect(registered.body).toMatchObject({ eventId, status: 'registered' });
  const { id, contactId } = registered.body;
  expect((await api('POST', '/api/registrations', seed)).body).toMatchObject({ id, contactId });

  const read = await api(
    'GET',
    `/api/registrations/${id}?waitForPosition=${registered.body.position}`,
  );
  expect(read).toMatchObject({
    status: 200,
    body: {
      id,
      contactId,
      eventId,
      status: 'registered',
      formData: seed.formData,
      utmParams: seed.utmParams,
    },
  });
  const rows = await platform.pool.query(
    `SELECT contact_id, status, form_data, utm_params FROM "${platform.eventsSchema}".registrations WHERE event_id = $1`,
    [eventId],
  );
  expect(rows.rows).toEqual([
    {
      contact_id: contactId,
      status: 'registered',
      form_data: seed.formData,
      utm_params: seed.utmParams,
    },
  ]);
  const contact = await platform.pool.query(
    `SELECT email FROM "${platform.contactsSchema}".contacts WHERE id = $1`,
    [contactId],
  );
  expect(contact.rows).toEqual([{ email: 'user@example.com' }]);

  const published = await eventually(
    async () =>
      onTopic.find((e) => e.streamId === `registration-${id}` && e.type === 'RegistrationCreated'),
    'RegistrationCreated on topic events',
  );
  expect(published.data).toMatchObject({ registrationId: id, eventId, contactId });

  const activity = await eventually(async () => {
    const { rows: found } = await platform.pool.query(
      `SELECT activity_type, activity_data, related_to_type, related_to_id FROM "${platform.contactsSchema}".activities
        WHERE contact_id = $1 AND activity_type = 'event_registered'`,
      [contactId],
    );
    return found[0];
  }, "the contact's event_registered activity");
  expect(activity).toMatchObject({
    activity_data: { event_id: eventId, event_title: 'How to Build AI Funnels' },
    related_to_type: 'registration',
    related_to_id: id,
  });
});

it('seats exactly 100 of 200 concurrent registrations for 100 seats through the gateway', async () => {
  const eventId = await openEvent(100);
  const answers = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      api('POST', '/api/registrations', {
        email: `race.${i}.${randomUUID().slice(0, 6)}@example.com`,
        eventId,
      }),
    ),
  );
  expect(answers.filter((a) => a.status !== 201).map((a) => [a.status, a.body])).toEqual([]);
  expect(answers.filter((a) => a.body.status === 'registered')).toHaveLength(100);
  expect(answers.filter((a) => a.body.status === 'waitlisted')).toHaveLength(100);

  const last = answers.map((a) => BigInt(a.body.position)).reduce((a, b) => (a > b ? a : b));
  const event = await api('GET', `/api/events/${eventId}?waitForPosition=${last}`);
  const { rows } = await platform.pool.query(
    `SELECT count(*)::int AS n FROM "${platform.eventsSchema}".registrations
      WHERE event_id = $1 AND status NOT IN ('cancelled', 'waitlisted')`,
    [eventId],
  );
  expect(rows[0].n).toBe(100);
  expect(event.body.currentRegistrations).toBe(100);
});

it("merges the events service's OpenAPI into the gateway's document", async () => {
  const document = (await (await fetch(`${platform.gatewayUrl}/openapi.json`)).json()) as {
    paths: Record<string, unknown>;
  };
  expect(Object.keys(document.paths)).toEqual(
    expect.arrayContaining([
      '/api/events',
      '/api/events/{id}/open-registration',
      '/api/registrations',
      '/api/registrations/{id}/cancel',
    ]),
  );
});

it('leaves an events read model that the audit finds identical to a rebuild', async () => {
  const audit = platform.runTool('projections.main.ts', ['audit', 'events-read-model']);
  expect(audit.stdout).toContain('audit events-read-model: identical');
  expect(audit.status).toBe(0);
});
