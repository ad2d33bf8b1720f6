import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload, type MicroserviceOptions } from '@nestjs/microservices';
import { IsInt, IsString, Min } from 'class-validator';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import type { INestMicroservice } from '@nestjs/common';
import type { RecordedEvent } from '@engagement/event-store';
import type { BusMessage } from '../bus.port';
import { silentLogger } from '../bus-logger';
import { applyOnce } from '../idempotency/apply-once';
import { ensureProcessedEventsTable } from '../idempotency/processed-events-table';
import { KafkajsBus } from '../kafka/kafkajs-bus';
import { eventToMessage } from '../relay/event-message';
import {
  deleteTopics,
  dropSchema,
  readAllMessages,
  testInfrastructure,
  uniqueName,
  waitFor,
} from '../testing/test-infrastructure';
import { BusContext } from './bus-context';
import { BusExceptionFilter } from './bus-exception-filter';
import { BusEventPattern, BusTransport, type BusTransportOptions } from './bus-transport';
import type { RetryNotice } from './consume-events';
import { deadLetterTopic, type DeadLetter } from './dead-letter';
import { PermanentMessageError } from './permanent-message-error';
import { eventValidationPipe, validateMessage } from './validate-message';

const { kafkaBrokers, databaseUrl } = testInfrastructure();
const topics: string[] = [];
const apps: INestMicroservice[] = [];
let bus: KafkajsBus;

beforeAll(() => {
  bus = new KafkajsBus({
    brokers: kafkaBrokers,
    clientId: 'bus-transport-test',
    logger: silentLogger,
  });
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

afterAll(async () => {
  await bus.close();
  await deleteTopics(
    kafkaBrokers,
    topics.flatMap((t) => [t, deadLetterTopic(t)]),
  );
});

type Handler = (event: RecordedEvent, context: BusContext) => Promise<void>;

/** A one-controller Nest microservice on a BusTransport, its handler bound to `topic`. */
async function startMicroservice(
  topic: string,
  handler: Handler,
  options: Partial<BusTransportOptions> = {},
) {
  @Controller()
  class EventsController {
    // <string> picks Nest 12's untyped overload: its typed one rejects a second (@Ctx) parameter.
    @EventPattern<string>(topic)
    async onEvent(@Payload() event: RecordedEvent, @Ctx() context: BusContext): Promise<void> {
      await handler(event, context);
    }
  }
  @Module({ controllers: [EventsController] })
  class TestModule {}

  const groupId = uniqueName('transport-group');
  const transport = new BusTransport({
    bus,
    groupId,
    logger: silentLogger,
    retryBackoff: { initialMs: 20, maxMs: 200 },
    ...options,
  });
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(TestModule, {
    strategy: transport,
    logger: false,
  });
  app.useGlobalFilters(new BusExceptionFilter());
  apps.push(app);
  await app.listen();
  return { app, transport, groupId };
}

async function newTopic(partitions = 1): Promise<string> {
  const topic = uniqueName('transport');
  topics.push(topic);
  await bus.ensureTopics([{ topic, partitions }]);
  return topic;
}

function recordedEvent(
  streamId: string,
  revision: number,
  data: RecordedEvent['data'] = {},
): RecordedEvent {
  return {
    id: randomUUID(),
    type: 'ContactNoted',
    schemaVersion: 1,
    streamId,
    revision: BigInt(revision),
    globalPosition: BigInt(1_000 + revision),
    data,
    metadata: {
      correlationId: randomUUID(),
      causationId: null,
      traceparent: null,
      actor: 'test',
      occurredAt: new Date().toISOString(),
    },
  };
}

async function produce(topic: string, messages: BusMessage[]): Promise<void> {
  const producer = bus.producer();
  try {
    await producer.send(topic, messages);
  } finally {
    await producer.close();
  }
}

async function committedOffset(groupId: string, topic: string): Promise<string | undefined> {
  const admin = new Kafka({
    clientId: 'bus-transport-test-admin',
    brokers: kafkaBrokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return result?.partitions.find((p) => p.partition === 0)?.offset;
  } finally {
    await admin.disconnect();
  }
}

class NoteDto {
  @IsString() text!: string;
  @IsInt() @Min(0) index!: number;
}

it('delivers parsed events to an @EventPattern handler, in order, with the message context', async () => {
  const topic = await newTopic(3);
  const events = [0, 1, 2].map((revision) =>
    recordedEvent('contact-1', revision, { index: revision }),
  );
  const received: Array<{ event: RecordedEvent; topic: string; headers: Record<string, string> }> =
    [];
  await startMicroservice(topic, async (event, context) => {
    received.push({ event, topic: context.getTopic(), headers: context.getHeaders() });
  });

  await produce(topic, events.map(eventToMessage));
  await waitFor(() => received.length >= 3);

  expect(received.map((r) => r.event)).toEqual(events);
  expect(received[0].topic).toBe(topic);
  expect(received[0].headers['event-id']).toBe(events[0].id);
});

it('moves a malformed message and an invalid one to the dead-letter topic with the reason, and goes on', async () => {
  const topic = await newTopic();
  const valid = recordedEvent('contact-2', 0, { text: 'first', index: 0 });
  const invalid = recordedEvent('contact-2', 1, { text: 42, index: -1 });
  const later = recordedEvent('contact-2', 2, { text: 'later', index: 2 });
  const handled: string[] = [];
  const letters: DeadLetter[] = [];
  const { transport, groupId } = await startMicroservice(topic, async (event) => {
    const note = await validateMessage(NoteDto, event.data);
    handled.push(note.text);
  });
  transport.on('dead-letter', (letter) => letters.push(letter));

  await produce(topic, [
    eventToMessage(valid),
    { key: 'contact-2', value: '{ not json', headers: { 'event-type': 'ContactNoted' } },
    eventToMessage(invalid),
    eventToMessage(later),
  ]);
  await waitFor(() => handled.length >= 2 && letters.length >= 2);
  expect(handled).toEqual(['first', 'later']);

  const dead = await readAllMessages(
    kafkaBrokers,
    [deadLetterTopic(topic)],
    (received) => received.length >= 2,
  );
  expect(dead).toHaveLength(2);
  expect(dead[0].value).toBe('{ not json');
  expect(dead[0].headers).toMatchObject({
    'dlq-kind': 'malformed',
    'dlq-reason': 'Malformed event: not JSON',
    'dlq-original-topic': topic,
    'dlq-original-partition': '0',
    'dlq-original-offset': '1',
    'dlq-consumer-group': groupId,
    'event-type': 'ContactNoted',
  });
  expect(JSON.parse(dead[1].value).id).toBe(invalid.id);
  expect(dead[1].key).toBe('contact-2');
  expect(dead[1].headers).toMatchObject({
    'dlq-kind': 'permanent',
    'dlq-original-offset': '2',
    'event-id': invalid.id,
  });
  expect(dead[1].headers['dlq-reason']).toMatch(/text must be a string/);
  expect(dead[1].headers['dlq-reason']).toMatch(/index must not be less than 0/);

  // Dead-lettered messages are committed like handled ones: nothing blocks the partition.
  await waitFor(async () => (await committedOffset(groupId, topic)) === '4');
});

it("dead-letters a message that fails NestJS's ValidationPipe built by eventValidationPipe()", async () => {
  const topic = await newTopic();
  const handled: NoteDto[] = [];
  const letters: DeadLetter[] = [];

  @Controller()
  class NotesController {
    @BusEventPattern(topic)
    async onNote(@Payload('data', eventValidationPipe()) note: NoteDto): Promise<void> {
      handled.push(note);
    }
  }
  @Module({ controllers: [NotesController] })
  class NotesModule {}
  const transport = new BusTransport({
    bus,
    groupId: uniqueName('pipe-group'),
    logger: silentLogger,
  });
  transport.on('dead-letter', (letter) => letters.push(letter));
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(NotesModule, {
    strategy: transport,
    logger: false,
  });
  apps.push(app);
  await app.listen();

  await produce(topic, [
    eventToMessage(recordedEvent('contact-6', 0, { text: 'no index' })),
    eventToMessage(recordedEvent('contact-6', 1, { text: 'fine', index: 1 })),
  ]);
  await waitFor(() => handled.length >= 1 && letters.length >= 1);
  expect(handled).toEqual([Object.assign(new NoteDto(), { text: 'fine', index: 1 })]);
  expect(letters[0]).toMatchObject({ kind: 'permanent', offset: '0' });
  expect(letters[0].reason).toMatch(/index must be an integer number/);
});

it('dead-letters a message whose handler throws PermanentMessageError', async () => {
  const topic = await newTopic();
  const refused = recordedEvent('contact-3', 0);
  const accepted = recordedEvent('contact-3', 1);
  const handled: string[] = [];
  const letters: DeadLetter[] = [];
  const { transport } = await startMicroservice(topic, async (event) => {
    if (event.id === refused.id) throw new PermanentMessageError('contact-3 was erased');
    handled.push(event.id);
  });
  transport.on('dead-letter', (letter) => letters.push(letter));

  await produce(topic, [eventToMessage(refused), eventToMessage(accepted)]);
  await waitFor(() => handled.length >= 1 && letters.length >= 1);
  expect(handled).toEqual([accepted.id]);
  expect(letters).toEqual([
    expect.objectContaining({ kind: 'permanent', reason: 'contact-3 was erased', offset: '0' }),
  ]);
});

it('dead-letters, after its retries, a message whose handler keeps throwing a TypeError, and commits past it', async () => {
  const topic = await newTopic();
  const buggy = recordedEvent('contact-6', 0);
  const after = recordedEvent('contact-6', 1);
  const calls: string[] = [];
  const letters: DeadLetter[] = [];
  const { transport, groupId } = await startMicroservice(
    topic,
    async (event) => {
      calls.push(event.id);
      // A handler bug: reading a field of something that is not there.
      if (event.id === buggy.id)
        calls.push((event.data as unknown as { nested: { x: string } }).nested.x);
    },
    { programmingErrorAttempts: 3 },
  );
  transport.on('dead-letter', (letter) => letters.push(letter));

  await produce(topic, [eventToMessage(buggy), eventToMessage(after)]);
  await waitFor(async () => (await committedOffset(groupId, topic)) === '2');
  expect(calls).toEqual([buggy.id, buggy.id, buggy.id, after.id]);
  expect(letters).toEqual([expect.objectContaining({ kind: 'failed', offset: '0' })]);
  const dead = await readAllMessages(
    kafkaBrokers,
    [deadLetterTopic(topic)],
    (received) => received.length >= 1,
  );
  expect(JSON.parse(dead[0].value).id).toBe(buggy.id);
  expect(dead[0].headers['dlq-reason']).toMatch(/^handler error: TypeError/);
});

it('retries a transiently failing handler on the same message, without skipping, until it succeeds', async () => {
  const topic = await newTopic();
  const [a, b, c] = [0, 1, 2].map((revision) => recordedEvent('contact-4', revision));
  const calls: string[] = [];
  const retries: RetryNotice[] = [];
  let failuresLeft = 2;
  const { transport, groupId } = await startMicroservice(topic, async (event) => {
    calls.push(event.id);
    if (event.id === b.id && failuresLeft > 0) {
      failuresLeft--;
      throw new Error('database unavailable');
    }
  });
  transport.on('retry', (notice) => retries.push(notice));

  await produce(topic, [a, b, c].map(eventToMessage));
  await waitFor(() => calls.includes(c.id));
  await waitFor(async () => (await committedOffset(groupId, topic)) === '3');

  expect(calls).toEqual([a.id, b.id, b.id, b.id, c.id]);
  expect(retries.map((r) => [r.offset, r.attempt])).toEqual([
    ['1', 1],
    ['1', 2],
  ]);
});

it('with applyOnce, a redelivered event changes the database once', async () => {
  const topic = await newTopic();
  const schema = uniqueName('bus_transport');
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  try {
    await ensureProcessedEventsTable(pool, schema);
    await pool.query(
      `CREATE TABLE "${schema}".notes (stream_id text PRIMARY KEY, count int NOT NULL)`,
    );
    const event = recordedEvent('contact-5', 0);
    const deliveries: string[] = [];
    const { groupId } = await startMicroservice(topic, async (received, context) => {
      deliveries.push(context.getOffset());
      await applyOnce(pool, { schema, consumer: 'notes', eventId: received.id }, async (client) => {
        await client.query(
          `INSERT INTO "${schema}".notes VALUES ($1, 1) ON CONFLICT (stream_id) DO UPDATE SET count = notes.count + 1`,
          [received.streamId],
        );
      });
    });

    // The relay may produce an event twice (at least once): the same event at two offsets.
    await produce(topic, [eventToMessage(event), eventToMessage(event)]);
    await waitFor(async () => (await committedOffset(groupId, topic)) === '2');
    expect(deliveries).toEqual(['0', '1']);

    const { rows } = await pool.query(
      `SELECT count FROM "${schema}".notes WHERE stream_id = 'contact-5'`,
    );
    expect(rows).toEqual([{ count: 1 }]);
  } finally {
    await pool.end();
    await dropSchema(databaseUrl, schema);
  }
});
