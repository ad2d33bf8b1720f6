// The relay against the real broker: contact and tag events reach the
// service's topic, keyed by stream, with their personal fields still
// encrypted; reservation streams stay inside the service.
import { Kafka, logLevel } from 'kafkajs';
import {
  startTestApp,
  testKafkaBrokers,
  uniqueEmail,
  type TestApp,
} from './shared/test-app.testing';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ relay: true });
});
afterAll(async () => {
  await t?.close();
  const admin = new Kafka({
    clientId: 'contacts-relay-test',
    brokers: testKafkaBrokers(),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [t.topic] }).catch(() => undefined);
  await admin.disconnect();
});

it('publishes contact and tag events to the topic, personal fields encrypted', async () => {
  const email = uniqueEmail('relayed');
  const created = await t.request('POST', '/contacts', {
    email,
    firstName: 'Kafka',
    tags: ['relayed'],
  });
  expect(created.status).toBe(201);

  const kafka = new Kafka({
    clientId: 'contacts-relay-test',
    brokers: testKafkaBrokers(),
    logLevel: logLevel.NOTHING,
  });
  // The service creates its topic in the background: wait until every
  // partition has a leader, or subscribing races the topic's creation.
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ready = Date.now() + 45_000;
    for (;;) {
      const metadata = await admin.fetchTopicMetadata({ topics: [t.topic] }).catch(() => null);
      const partitions = metadata?.topics[0]?.partitions ?? [];
      if (partitions.length > 0 && partitions.every((p) => p.leader >= 0)) break;
      if (Date.now() > ready) throw new Error(`topic ${t.topic} never became ready`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await admin.disconnect();
  }
  const consumer = kafka.consumer({ groupId: `${t.topic}-reader` });
  const seen: { key: string; type: string; value: string }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: t.topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({
          key: message.key!.toString(),
          type: message.headers!['event-type']!.toString(),
          value: message.value!.toString(),
        });
      },
    });
    const deadline = Date.now() + 45_000;
    while (!seen.some((m) => m.type === 'ContactCreated')) {
      if (Date.now() > deadline) throw new Error(`nothing relayed; saw ${seen.length} messages`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await consumer.disconnect();
  }
  const contactCreated = seen.find((m) => m.type === 'ContactCreated')!;
  expect(contactCreated.key).toBe(`contact-${created.body.id}`);
  expect(contactCreated.value).not.toContain(email);
  expect(contactCreated.value).not.toContain('Kafka');
  expect(seen.some((m) => m.type === 'TagCreated' && m.key.startsWith('tag-'))).toBe(true);
  expect(seen.every((m) => m.key.startsWith('contact-') || m.key.startsWith('tag-'))).toBe(true);
}, 90_000);
