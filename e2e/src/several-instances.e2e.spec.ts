// Two instances of the contacts service on the same schemas, event store
// and topic, behind the gateway (both URLs in CONTACTS_URL). Exactly one of
// them runs the relay and the read-model projection (it holds their leases:
// libs/service-runtime/src/lease.ts), the other stands by and serves
// requests. Under a steady write load the holder is killed with SIGKILL:
// the other takes both leases over, and in the end nothing is lost or
// doubled in the read model or on the topic: the distinct event ids on the
// topic are the store's, and no event appended after the kill (when only
// the survivor could relay it) is on the topic twice.
import { randomUUID } from 'node:crypto';
import { KafkajsBus, silentLogger, type ConsumerHandle } from '@engagement/bus';
import { fromWireEvent } from '@engagement/event-store';
import { leaseApplicationName, leaseHolder } from '@engagement/service-runtime';
import { startPlatformUnderTest, type PlatformUnderTest } from './platform-under-test';

let platform: PlatformUnderTest;
let bus: KafkajsBus;
let consumer: ConsumerHandle;
/** Every event id read from the topic, in arrival order (duplicates kept). */
const onTopic: string[] = [];

beforeAll(async () => {
  platform = await startPlatformUnderTest({
    contactsInstances: 2,
    gatewayEnv: { UPSTREAM_HEALTH_INTERVAL_MS: '200' },
  });
  bus = new KafkajsBus({
    brokers: platform.kafkaBrokers,
    clientId: 'e2e-two',
    logger: silentLogger,
  });
  await bus.ensureTopics([{ topic: platform.contactsTopic, partitions: 3 }]);
  consumer = await bus.consume({
    groupId: `e2e-two-${randomUUID()}`,
    topics: [platform.contactsTopic],
    fromBeginning: true,
    eachBatch: async (batch) => {
      for (const message of batch.messages) onTopic.push(fromWireEvent(message.value).id);
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

async function eventually(what: string, probe: () => Promise<boolean> | boolean, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\n${platform.logs().slice(-6000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const relayLease = () => `${platform.contactsSchema}:relay:${platform.contactsTopic}`;
const projectionLease = () => `${platform.contactsSchema}:projection:contacts-read-model`;
const holderOf = (lease: string) => leaseHolder(platform.pool, lease);
const holds = async (pid: number) =>
  (await holderOf(relayLease())) === leaseApplicationName('contacts', pid) &&
  (await holderOf(projectionLease())) === leaseApplicationName('contacts', pid);

/** The store's events of the contacts topic's streams: id and position. */
async function storedEvents(): Promise<{ id: string; position: bigint; type: string }[]> {
  const { rows } = await platform.pool.query<{ id: string; position: string; type: string }>(
    `SELECT event_id::text AS id, global_position::text AS position, event_type AS type
       FROM "${platform.eventStoreSchema}".events
      WHERE stream_id LIKE 'contact-%' OR stream_id LIKE 'tag-%'`,
  );
  return rows.map((r) => ({ id: r.id, position: BigInt(r.position), type: r.type }));
}

/** Writes activities through the gateway, two at a time, until stopped; counts what was answered. */
function steadyWrites(contactIds: string[]) {
  let running = true;
  const recorded: string[] = [];
  const failed: number[] = [];
  const writer = async (offset: number) => {
    for (let i = offset; running; i += 2) {
      const contactId = contactIds[i % contactIds.length]!;
      const answer = await api('POST', '/api/activities', {
        contactId,
        activityType: 'page_viewed',
        activityData: { url: `/page/${i}` },
      }).catch(() => ({ status: 0, body: null }));
      if (answer.status === 201) recorded.push(answer.body.id);
      else failed.push(answer.status);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const writers = [writer(0), writer(1)];
  return {
    recorded,
    failed,
    async stop() {
      running = false;
      await Promise.all(writers);
    },
  };
}

it('runs the relay and projection in one instance; after kill -9 the other takes over, nothing lost or doubled', async () => {
  const [first, second] = platform.contactsInstances;
  // The first instance was started (and ready) first: it took both leases.
  await eventually('the first instance holds the leases', () => holds(first!.pid));

  const contactIds: string[] = [];
  for (let i = 0; i < 4; i++) {
    const created = await api('POST', '/api/contacts', {
      email: `two-${randomUUID().slice(0, 8)}@example.com`,
    });
    expect(created.status).toBe(201);
    contactIds.push(created.body.id);
  }

  // Both instances serve: the standby answers reads of its own and the other's writes.
  const direct = await fetch(`${second!.url}/health`);
  expect(direct.status).toBe(200);
  expect((await fetch(`${second!.url}/ready`)).status).toBe(200);

  // Phase 1: both up, writes through the gateway (round-robin over both).
  const before = steadyWrites(contactIds);
  await eventually('20 writes answered', () => before.recorded.length >= 20);
  await before.stop();
  const quiet = await storedEvents();
  await eventually('the topic holds every stored event', () => {
    const seen = new Set(onTopic);
    return quiet.every((e) => seen.has(e.id));
  });
  // Only one relay ran while both instances were up: nothing is on the topic twice.
  expect(onTopic.length).toBe(new Set(onTopic).size);

  // Phase 2: writes, kill -9 of the holder in their midst, writes go on.
  const during = steadyWrites(contactIds);
  await eventually('10 writes answered', () => during.recorded.length >= 10);
  const exited = new Promise((resolve) => first!.process.once('exit', resolve));
  first!.process.kill('SIGKILL');
  await exited;
  const killedAt = (await storedEvents()).reduce(
    (max, e) => (e.position > max ? e.position : max),
    0n,
  );
  const answeredAtKill = during.recorded.length;
  await eventually('the second instance took both leases over', () => holds(second!.pid));
  // Writes go on through the gateway, now all to the survivor.
  await eventually('10 more writes answered', () => during.recorded.length >= answeredAtKill + 10);
  await during.stop();

  const stored = await storedEvents();
  const last = stored.reduce((max, e) => (e.position > max ? e.position : max), 0n);
  // The survivor's projection reaches the end of the store (read-your-writes through the gateway).
  const read = await api('GET', `/api/contacts/${contactIds[0]}?waitForPosition=${last}`);
  expect(read.status).toBe(200);

  // Read model: one row per recorded activity, every answered write among them, scores as stored.
  const s = `"${platform.contactsSchema}"`;
  const activityIds = stored.filter((e) => e.type === 'ActivityRecorded').length;
  const { rows: activities } = await platform.pool.query<{ id: string }>(
    `SELECT id::text FROM ${s}.activities WHERE contact_id = ANY ($1::uuid[])`,
    [contactIds],
  );
  expect(activities).toHaveLength(activityIds);
  const inReadModel = new Set(activities.map((a) => a.id));
  for (const id of [...before.recorded, ...during.recorded]) expect(inReadModel.has(id)).toBe(true);
  const { rows: scores } = await platform.pool.query<{
    id: string;
    lead_score: number;
    expected: number;
  }>(
    `SELECT c.id::text, c.lead_score,
            (SELECT count(*)::int FROM ${s}.activities a WHERE a.contact_id = c.id) AS expected
       FROM ${s}.contacts c WHERE c.id = ANY ($1::uuid[])`,
    [contactIds],
  );
  // page_viewed earns 1 point (default rules): the score is the number of activities.
  expect(scores.map((r) => r.lead_score)).toEqual(scores.map((r) => r.expected));

  // Topic: every stored event, and nothing else.
  await eventually('the topic holds every stored event after the takeover', () => {
    const seen = new Set(onTopic);
    return stored.every((e) => seen.has(e.id));
  });
  const storedIds = new Set(stored.map((e) => e.id));
  expect(new Set(onTopic).size).toBe(storedIds.size);
  expect(onTopic.every((id) => storedIds.has(id))).toBe(true);
  // Delivery is at least once: the batch the killed relay had sent but not
  // checkpointed may come again. Nothing appended after the kill may.
  const positionOf = new Map(stored.map((e) => [e.id, e.position]));
  const counts = new Map<string, number>();
  for (const id of onTopic) counts.set(id, (counts.get(id) ?? 0) + 1);
  const doubledAfterKill = [...counts]
    .filter(([id, n]) => n > 1 && positionOf.get(id)! > killedAt)
    .map(([id]) => id);
  expect(doubledAfterKill).toEqual([]);
});
