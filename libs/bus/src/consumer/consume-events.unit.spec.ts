import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '@engagement/event-store';
import type { Bus, BusMessage, ConsumeOptions, ConsumedMessage } from '../bus.port';
import { silentLogger } from '../bus-logger';
import { eventToMessage } from '../relay/event-message';
import { consumeEvents } from './consume-events';
import { PermanentMessageError } from './permanent-message-error';

/** A Bus that records what is produced and lets the test deliver batches by hand. */
function fakeBus() {
  const produced: Array<{ topic: string; message: BusMessage }> = [];
  const ensured: string[] = [];
  let consumer: ConsumeOptions | undefined;
  let failSends = 0;
  const bus: Bus = {
    ensureTopics: async (specs) => void ensured.push(...specs.map((s) => s.topic)),
    producer: () => ({
      send: async (topic, messages) => {
        if (failSends > 0) {
          failSends--;
          throw new Error('broker unavailable');
        }
        produced.push(...messages.map((message) => ({ topic, message })));
      },
      close: async () => undefined,
    }),
    consume: async (options) => {
      consumer = options;
      return { stop: async () => undefined };
    },
    close: async () => undefined,
  };
  const deliver = (messages: ConsumedMessage[], active = () => true) =>
    consumer!.eachBatch(
      { topic: 'contacts', partition: 0, messages },
      { heartbeat: async () => undefined, isActive: active },
    );
  return { bus, produced, ensured, deliver, failNextSends: (n: number) => (failSends = n) };
}

function message(offset: number, value: string | Buffer): ConsumedMessage {
  return { key: 'contact-1', value: Buffer.from(value), headers: {}, offset: String(offset) };
}

function event(revision: number): RecordedEvent {
  return {
    id: randomUUID(),
    type: 'ContactNoted',
    schemaVersion: 1,
    streamId: 'contact-1',
    revision: BigInt(revision),
    globalPosition: BigInt(revision),
    data: {},
    metadata: {
      correlationId: 'c',
      causationId: null,
      traceparent: null,
      actor: null,
      occurredAt: '2026-01-01T00:00:00.000Z',
    },
  };
}

const wire = (e: RecordedEvent) => eventToMessage(e).value as string;
const fast = { initialMs: 1, maxMs: 5 };

describe('consumeEvents', () => {
  it('creates the dead-letter topics and handles a batch in order', async () => {
    const fake = fakeBus();
    const handled: bigint[] = [];
    await consumeEvents({
      bus: fake.bus,
      groupId: 'g',
      topics: ['contacts'],
      logger: silentLogger,
      handle: async (e) => void handled.push(e.revision),
    });
    expect(fake.ensured).toEqual(['contacts.dlq']);
    await fake.deliver([0, 1, 2].map((i) => message(i, wire(event(i)))));
    expect(handled).toEqual([0n, 1n, 2n]);
  });

  it('dead-letters unparseable and permanently refused messages, and handles the rest', async () => {
    const fake = fakeBus();
    const handled: bigint[] = [];
    await consumeEvents({
      bus: fake.bus,
      groupId: 'g',
      topics: ['contacts'],
      logger: silentLogger,
      handle: async (e) => {
        if (e.revision === 2n) throw new PermanentMessageError('refused');
        handled.push(e.revision);
      },
    });
    await fake.deliver([
      message(0, wire(event(0))),
      message(1, '{"id":"x"}'),
      message(2, wire(event(2))),
      message(3, wire(event(3))),
    ]);
    expect(handled).toEqual([0n, 3n]);
    expect(
      fake.produced.map((p) => [
        p.topic,
        p.message.headers['dlq-original-offset'],
        p.message.headers['dlq-kind'],
      ]),
    ).toEqual([
      ['contacts.dlq', '1', 'malformed'],
      ['contacts.dlq', '2', 'permanent'],
    ]);
    expect(fake.produced[0].message.headers['dlq-reason']).toBe('Malformed event: type is missing');
  });

  it('retries a transient failure, and a failed dead-letter send, without skipping', async () => {
    const fake = fakeBus();
    const calls: bigint[] = [];
    let failures = 2;
    await consumeEvents({
      bus: fake.bus,
      groupId: 'g',
      topics: ['contacts'],
      logger: silentLogger,
      retryBackoff: fast,
      handle: async (e) => {
        calls.push(e.revision);
        if (e.revision === 0n && failures-- > 0) throw new Error('database down');
      },
    });
    fake.failNextSends(2);
    await fake.deliver([
      message(0, wire(event(0))),
      message(1, 'not json'),
      message(2, wire(event(2))),
    ]);
    expect(calls).toEqual([0n, 0n, 0n, 2n]);
    expect(fake.produced).toHaveLength(1);
  });

  it('dead-letters a message whose handler keeps throwing a programming error, after its retries, and goes on', async () => {
    const fake = fakeBus();
    const calls: bigint[] = [];
    let flaky = 2;
    await consumeEvents({
      bus: fake.bus,
      groupId: 'g',
      topics: ['contacts'],
      logger: silentLogger,
      retryBackoff: fast,
      programmingErrorAttempts: 3,
      handle: async (e) => {
        calls.push(e.revision);
        // A bug on revision 1; a TypeError that passes (a state that heals) on revision 2.
        if (e.revision === 1n)
          void (e.data as unknown as { missing: { field: string } }).missing.field;
        if (e.revision === 2n && flaky-- > 0) throw new TypeError('not yet');
      },
    });
    await fake.deliver([0, 1, 2, 3].map((i) => message(i, wire(event(i)))));
    expect(calls).toEqual([0n, 1n, 1n, 1n, 2n, 2n, 2n, 3n]);
    expect(
      fake.produced.map((p) => [
        p.topic,
        p.message.headers['dlq-original-offset'],
        p.message.headers['dlq-kind'],
      ]),
    ).toEqual([['contacts.dlq', '1', 'failed']]);
    expect(fake.produced[0].message.headers['dlq-reason']).toMatch(/^handler error: TypeError/);
  });

  it('keeps retrying a failure that is not a programming error', async () => {
    const fake = fakeBus();
    let calls = 0;
    await consumeEvents({
      bus: fake.bus,
      groupId: 'g',
      topics: ['contacts'],
      logger: silentLogger,
      retryBackoff: fast,
      programmingErrorAttempts: 2,
      handle: async () => {
        if (++calls < 6) throw new Error('database down');
      },
    });
    await fake.deliver([message(0, wire(event(0)))]);
    expect(calls).toBe(6);
    expect(fake.produced).toHaveLength(0);
  });

  it('abandons the batch (throws, so nothing is committed) when the consumer stops during retries', async () => {
    const fake = fakeBus();
    let active = true;
    await consumeEvents({
      bus: fake.bus,
      groupId: 'g',
      topics: ['contacts'],
      logger: silentLogger,
      retryBackoff: fast,
      handle: async () => {
        active = false; // the consumer is being stopped while this handler fails
        throw new Error('database down');
      },
    });
    await expect(fake.deliver([message(0, wire(event(0)))], () => active)).rejects.toThrow(
      'database down',
    );
  });

  describe('handleBatch', () => {
    it('hands the whole batch over at once, without the malformed message, which goes to the dead letters', async () => {
      const fake = fakeBus();
      const calls: bigint[][] = [];
      await consumeEvents({
        bus: fake.bus,
        groupId: 'g',
        topics: ['contacts'],
        logger: silentLogger,
        retryBackoff: fast,
        handleBatch: async (events) => void calls.push(events.map((e) => e.revision)),
      });
      await fake.deliver([
        message(0, wire(event(0))),
        message(1, 'not json'),
        message(2, wire(event(2))),
      ]);
      expect(calls).toEqual([[0n, 2n]]);
      expect(fake.produced.map((p) => p.topic)).toEqual(['contacts.dlq']);
    });

    it('retries the batch after a transient failure, and isolates a refused event when one is permanent', async () => {
      const fake = fakeBus();
      const calls: bigint[][] = [];
      let failures = 1;
      await consumeEvents({
        bus: fake.bus,
        groupId: 'g',
        topics: ['contacts'],
        logger: silentLogger,
        retryBackoff: fast,
        handleBatch: async (events) => {
          calls.push(events.map((e) => e.revision));
          if (failures-- > 0) throw new Error('database down');
          if (events.some((e) => e.revision === 1n))
            throw new PermanentMessageError('revision 1 is refused');
        },
      });
      await fake.deliver([0, 1, 2].map((i) => message(i, wire(event(i)))));
      expect(calls).toEqual([[0n, 1n, 2n], [0n, 1n, 2n], [0n], [1n], [2n]]);
      expect(fake.produced).toHaveLength(1);
      expect(fake.produced[0].message.headers['dlq-reason']).toContain('revision 1 is refused');
    });

    it('isolates and dead-letters the one event that makes the batch handler throw a programming error', async () => {
      const fake = fakeBus();
      const applied: bigint[] = [];
      await consumeEvents({
        bus: fake.bus,
        groupId: 'g',
        topics: ['contacts'],
        logger: silentLogger,
        retryBackoff: fast,
        programmingErrorAttempts: 2,
        handleBatch: async (events) => {
          if (events.some((e) => e.revision === 1n)) throw new TypeError('x is undefined');
          applied.push(...events.map((e) => e.revision));
        },
      });
      await fake.deliver([0, 1, 2].map((i) => message(i, wire(event(i)))));
      expect(applied).toEqual([0n, 2n]);
      expect(fake.produced.map((p) => p.message.headers['dlq-original-offset'])).toEqual(['1']);
      expect(fake.produced[0].message.headers['dlq-kind']).toBe('failed');
    });

    it('refuses options with both handle and handleBatch, or neither', async () => {
      const fake = fakeBus();
      await expect(
        consumeEvents({ bus: fake.bus, groupId: 'g', topics: ['t'], logger: silentLogger }),
      ).rejects.toThrow('exactly one of handle and handleBatch');
    });
  });
});
