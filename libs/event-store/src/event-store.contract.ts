// The contract every event store adapter must keep. Each adapter's spec
// calls runEventStoreContract with a factory; tests make their own stream
// ids and filter readAll by their own prefix, so they share a store safely.
import { randomUUID } from 'node:crypto';
import {
  AppendToStreamsNotSupportedError,
  DuplicateEventIdError,
  InvalidAppendError,
  WrongExpectedRevisionError,
} from './errors';
import type { EventBatch, EventStore, NewEvent, RecordedEvent } from './event-store.port';

export function newTestEvent(type = 'ThingHappened', data: Record<string, unknown> = {}): NewEvent {
  return {
    id: randomUUID(),
    type,
    schemaVersion: 1,
    data: { value: Math.random(), ...data } as NewEvent['data'],
    metadata: {
      correlationId: randomUUID(),
      causationId: null,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      actor: 'contract-test',
      occurredAt: new Date().toISOString(),
    },
  };
}

export async function waitFor<T>(
  probe: () => T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('waitFor: condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface ContractOptions {
  /**
   * 'atomic': appendToStreams appends to several streams all or nothing;
   * 'not-supported': it refuses with AppendToStreamsNotSupportedError and writes nothing.
   */
  appendToStreams: 'atomic' | 'not-supported';
}

export function runEventStoreContract(
  adapter: string,
  connect: () => Promise<EventStore>,
  options: ContractOptions = { appendToStreams: 'atomic' },
): void {
  describe(`event store contract: ${adapter}`, () => {
    let store: EventStore;
    let prefix: string;

    beforeAll(async () => {
      store = await connect();
    });
    afterAll(async () => {
      await store.close();
    });
    beforeEach(() => {
      prefix = `contract${randomUUID().replace(/-/g, '').slice(0, 12)}-`;
    });
    const stream = (name: string = randomUUID()) => `${prefix}${name}`;

    describe('append and read a stream', () => {
      it('appends to a new stream and reads the events back with their envelope', async () => {
        const id = stream();
        const events = [
          newTestEvent('ContactCreated', { email: 'a@example.com' }),
          newTestEvent('ContactRenamed'),
        ];
        const result = await store.appendToStream(id, events, { expectedRevision: 'no_stream' });
        expect(result.nextExpectedRevision).toBe(1n);

        const read = await store.readStream(id);
        expect(read.map((e) => e.id)).toEqual(events.map((e) => e.id));
        expect(read.map((e) => e.revision)).toEqual([0n, 1n]);
        expect(read[0]).toMatchObject({
          streamId: id,
          type: 'ContactCreated',
          schemaVersion: 1,
          data: events[0].data,
          metadata: events[0].metadata,
        });
        expect(read[1].globalPosition).toBeGreaterThan(read[0].globalPosition);
        expect(read[1].globalPosition).toBe(result.position);
      });

      it('reads from a revision and at most maxCount events; a missing stream reads empty', async () => {
        const id = stream();
        await store.appendToStream(
          id,
          [1, 2, 3, 4, 5].map(() => newTestEvent()),
          { expectedRevision: 'no_stream' },
        );
        const read = await store.readStream(id, { fromRevision: 2n, maxCount: 2 });
        expect(read.map((e) => e.revision)).toEqual([2n, 3n]);
        expect(await store.readStream(stream())).toEqual([]);
      });

      it('honours every expected-revision form', async () => {
        const id = stream();
        await store.appendToStream(id, [newTestEvent()], { expectedRevision: 'any' });
        await store.appendToStream(id, [newTestEvent()], { expectedRevision: 'stream_exists' });
        const r = await store.appendToStream(id, [newTestEvent()], { expectedRevision: 1n });
        expect(r.nextExpectedRevision).toBe(2n);
        const r2 = await store.appendToStream(id, [newTestEvent()], { expectedRevision: 'any' });
        expect(r2.nextExpectedRevision).toBe(3n);
      });
    });

    describe('conflicts', () => {
      it('rejects a wrong exact revision with a typed error carrying expected and actual, and writes nothing', async () => {
        const id = stream();
        await store.appendToStream(id, [newTestEvent(), newTestEvent()], {
          expectedRevision: 'no_stream',
        });
        const attempt = store.appendToStream(id, [newTestEvent()], { expectedRevision: 0n });
        await expect(attempt).rejects.toBeInstanceOf(WrongExpectedRevisionError);
        await expect(attempt).rejects.toMatchObject({ streamId: id, expected: 0n, actual: 1n });
        expect(await store.readStream(id)).toHaveLength(2);
      });

      it("rejects 'no_stream' on an existing stream and 'stream_exists' or a revision on a missing one", async () => {
        const existing = stream();
        await store.appendToStream(existing, [newTestEvent()], { expectedRevision: 'no_stream' });
        await expect(
          store.appendToStream(existing, [newTestEvent()], { expectedRevision: 'no_stream' }),
        ).rejects.toMatchObject({ name: 'WrongExpectedRevisionError', actual: 0n });

        const missing = stream();
        await expect(
          store.appendToStream(missing, [newTestEvent()], { expectedRevision: 'stream_exists' }),
        ).rejects.toMatchObject({ name: 'WrongExpectedRevisionError', actual: null });
        await expect(
          store.appendToStream(missing, [newTestEvent()], { expectedRevision: 0n }),
        ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
        expect(await store.readStream(missing)).toEqual([]);
      });

      it('lets exactly one of many concurrent writers with the same expected revision win', async () => {
        const id = stream();
        await store.appendToStream(id, [newTestEvent()], { expectedRevision: 'no_stream' });
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, () =>
            store.appendToStream(id, [newTestEvent()], { expectedRevision: 0n }),
          ),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(failures.every((f) => f.reason instanceof WrongExpectedRevisionError)).toBe(true);
        expect(await store.readStream(id)).toHaveLength(2);
      });

      it("serialises concurrent 'any' appends to one stream into contiguous revisions", async () => {
        const id = stream();
        await Promise.all(
          Array.from({ length: 20 }, () =>
            store.appendToStream(id, [newTestEvent(), newTestEvent()], { expectedRevision: 'any' }),
          ),
        );
        const read = await store.readStream(id);
        expect(read.map((e) => e.revision)).toEqual(
          Array.from({ length: 40 }, (_, i) => BigInt(i)),
        );
      });
    });

    describe('idempotent retries', () => {
      it('answers a retried append (same event ids) with the same result and stores nothing twice', async () => {
        const id = stream();
        const events = [newTestEvent(), newTestEvent()];
        const first = await store.appendToStream(id, events, { expectedRevision: 'no_stream' });
        const retry = await store.appendToStream(id, events, { expectedRevision: 'no_stream' });
        expect(retry).toEqual(first);
        expect(await store.readStream(id)).toHaveLength(2);
      });

      it('is idempotent under concurrent retries of the same append', async () => {
        const id = stream();
        const events = [newTestEvent()];
        const results = await Promise.all(
          Array.from({ length: 5 }, () =>
            store.appendToStream(id, events, { expectedRevision: 'any' }),
          ),
        );
        expect(new Set(results.map((r) => r.position.toString())).size).toBe(1);
        expect(await store.readStream(id)).toHaveLength(1);
      });

      it('refuses a batch whose ids were partly stored by another append', async () => {
        const id = stream();
        const stored = newTestEvent();
        await store.appendToStream(id, [stored], { expectedRevision: 'no_stream' });
        await expect(
          store.appendToStream(id, [stored, newTestEvent()], { expectedRevision: 'any' }),
        ).rejects.toBeInstanceOf(DuplicateEventIdError);
        expect(await store.readStream(id)).toHaveLength(1);
      });
    });

    describe('append to several streams (appendToStreams)', () => {
      if (options.appendToStreams === 'not-supported') {
        it('refuses with a typed error and writes nothing', async () => {
          const [a, b] = [stream(), stream()];
          await expect(
            store.appendToStreams([
              { streamId: a, events: [newTestEvent()], expectedRevision: 'no_stream' },
              { streamId: b, events: [newTestEvent()], expectedRevision: 'no_stream' },
            ]),
          ).rejects.toBeInstanceOf(AppendToStreamsNotSupportedError);
          expect(await store.readStream(a)).toEqual([]);
          expect(await store.readStream(b)).toEqual([]);
        });
        return;
      }

      it('appends to every stream with its own expected revision, one result per stream in order', async () => {
        const [a, b, c] = [stream('a'), stream('b'), stream('c')];
        await store.appendToStream(b, [newTestEvent('Before')], { expectedRevision: 'no_stream' });
        const parts = [
          {
            streamId: a,
            events: [newTestEvent('A1'), newTestEvent('A2')],
            expectedRevision: 'no_stream' as const,
          },
          { streamId: b, events: [newTestEvent('B2')], expectedRevision: 0n },
          { streamId: c, events: [newTestEvent('C1')], expectedRevision: 'any' as const },
        ];
        const results = await store.appendToStreams(parts);
        expect(results.map((r) => r.nextExpectedRevision)).toEqual([1n, 1n, 0n]);
        const [readA, readB, readC] = await Promise.all([a, b, c].map((s) => store.readStream(s)));
        expect(readA.map((e) => e.type)).toEqual(['A1', 'A2']);
        expect(readB.map((e) => e.type)).toEqual(['Before', 'B2']);
        expect(readC.map((e) => e.type)).toEqual(['C1']);
        expect(results[0].position).toBe(readA[1].globalPosition);
        expect(results[1].position).toBe(readB[1].globalPosition);
        expect(results[2].position).toBe(readC[0].globalPosition);
        const all = await readAllMatching(store, { streamPrefixes: [prefix] }, 5);
        expect(all.map((e) => e.type)).toEqual(['Before', 'A1', 'A2', 'B2', 'C1']);
      });

      it('writes nothing to any stream when one expected revision fails, and names that stream', async () => {
        const [a, b] = [stream(), stream()];
        await store.appendToStream(b, [newTestEvent()], { expectedRevision: 'no_stream' });
        const error = await store
          .appendToStreams([
            { streamId: a, events: [newTestEvent()], expectedRevision: 'no_stream' },
            { streamId: b, events: [newTestEvent()], expectedRevision: 'no_stream' },
          ])
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamId: b, expected: 'no_stream', actual: 0n });
        expect(await store.readStream(a)).toEqual([]);
        expect((await store.readStream(b)).map((e) => e.revision)).toEqual([0n]);
      });

      it('answers a retry with the same event ids with the first results, storing nothing twice', async () => {
        const [a, b] = [stream(), stream()];
        const parts = [
          { streamId: a, events: [newTestEvent()], expectedRevision: 'no_stream' as const },
          {
            streamId: b,
            events: [newTestEvent(), newTestEvent()],
            expectedRevision: 'no_stream' as const,
          },
        ];
        const first = await store.appendToStreams(parts);
        expect(await store.appendToStreams(parts)).toEqual(first);
        expect(await store.readStream(b)).toHaveLength(2);
      });

      it('lets exactly one of two concurrent appends over a shared stream win', async () => {
        const [shared, x, y] = [stream(), stream(), stream()];
        const outcomes = await Promise.allSettled(
          [x, y].map((other) =>
            store.appendToStreams([
              { streamId: other, events: [newTestEvent()], expectedRevision: 'no_stream' },
              { streamId: shared, events: [newTestEvent()], expectedRevision: 'no_stream' },
            ]),
          ),
        );
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
        expect(lost.reason).toBeInstanceOf(WrongExpectedRevisionError);
        const written = await Promise.all([x, y].map((s) => store.readStream(s)));
        expect(written.map((events) => events.length).sort()).toEqual([0, 1]);
        expect(await store.readStream(shared)).toHaveLength(1);
      });

      it('refuses a stream named twice, or an event id used twice, writing nothing', async () => {
        const a = stream();
        const event = newTestEvent();
        await expect(
          store.appendToStreams([
            { streamId: a, events: [newTestEvent()], expectedRevision: 'any' },
            { streamId: a, events: [newTestEvent()], expectedRevision: 'any' },
          ]),
        ).rejects.toBeInstanceOf(InvalidAppendError);
        await expect(
          store.appendToStreams([
            { streamId: a, events: [event], expectedRevision: 'any' },
            { streamId: stream(), events: [event], expectedRevision: 'any' },
          ]),
        ).rejects.toBeInstanceOf(InvalidAppendError);
        await expect(store.appendToStreams([])).rejects.toBeInstanceOf(InvalidAppendError);
        expect(await store.readStream(a)).toEqual([]);
      });
    });

    describe('bad input gets a typed error and writes nothing', () => {
      const bad: [string, () => Promise<unknown>][] = [
        [
          'an empty stream id',
          () => store.appendToStream('', [newTestEvent()], { expectedRevision: 'any' }),
        ],
        [
          'an unknown expected-revision form',
          () =>
            store.appendToStream(stream('x'), [newTestEvent()], {
              expectedRevision: 'latest' as never,
            }),
        ],
        [
          'a negative expected revision',
          () => store.appendToStream(stream('x'), [newTestEvent()], { expectedRevision: -1n }),
        ],
        [
          'an event without a type',
          () =>
            store.appendToStream(stream('x'), [{ ...newTestEvent(), type: '' }], {
              expectedRevision: 'any',
            }),
        ],
        [
          'a payload that is not JSON-serialisable (bigint)',
          () =>
            store.appendToStream(stream('x'), [{ ...newTestEvent(), data: { n: 1n } as never }], {
              expectedRevision: 'any',
            }),
        ],
        [
          'a payload that refers to itself',
          () => {
            const data: Record<string, unknown> = {};
            data.self = data;
            return store.appendToStream(stream('x'), [{ ...newTestEvent(), data: data as never }], {
              expectedRevision: 'any',
            });
          },
        ],
        [
          'a payload holding a Date object',
          () =>
            store.appendToStream(
              stream('x'),
              [{ ...newTestEvent(), data: { at: new Date() } as never }],
              {
                expectedRevision: 'any',
              },
            ),
        ],
        ['no events', () => store.appendToStream(stream('x'), [], { expectedRevision: 'any' })],
        [
          'a batch over the size limit',
          () =>
            store.appendToStream(
              stream('x'),
              Array.from({ length: 1_001 }, () => newTestEvent()),
              { expectedRevision: 'any' },
            ),
        ],
        [
          'an event id that is not a UUID',
          () =>
            store.appendToStream(stream('x'), [{ ...newTestEvent(), id: 'nope' }], {
              expectedRevision: 'any',
            }),
        ],
      ];
      it.each(bad)('rejects %s', async (_label, attempt) => {
        await expect(attempt()).rejects.toBeInstanceOf(InvalidAppendError);
        expect(await store.readStream(stream('x'))).toEqual([]);
      });
    });

    describe('read all', () => {
      it('reads every event after a position, in order, filtered by stream prefix and event type', async () => {
        const a = stream('a');
        const b = stream('b');
        await store.appendToStream(a, [newTestEvent('Created'), newTestEvent('Renamed')], {
          expectedRevision: 'no_stream',
        });
        await store.appendToStream(b, [newTestEvent('Created')], { expectedRevision: 'no_stream' });

        const all = await readAllMatching(store, { streamPrefixes: [prefix] }, 3);
        expect(all.map((e) => `${e.streamId}:${e.revision}`)).toEqual([
          `${a}:0`,
          `${a}:1`,
          `${b}:0`,
        ]);
        expect(isIncreasing(all.map((e) => e.globalPosition))).toBe(true);

        const after = await store.readAll({
          after: all[0].globalPosition,
          filter: { streamPrefixes: [prefix] },
        });
        expect(after.events.map((e) => e.id)).toEqual(all.slice(1).map((e) => e.id));

        const created = await store.readAll({
          filter: { streamPrefixes: [prefix], eventTypes: ['Created'] },
        });
        expect(created.events.map((e) => e.streamId)).toEqual([a, b]);
      });

      it('pages with maxCount and a checkpoint that resumes exactly where it stopped', async () => {
        const id = stream();
        await store.appendToStream(
          id,
          Array.from({ length: 7 }, () => newTestEvent()),
          { expectedRevision: 'no_stream' },
        );
        const seen: RecordedEvent[] = [];
        let after: bigint | undefined;
        const deadline = Date.now() + 15_000;
        while (seen.length < 7 && Date.now() < deadline) {
          const page = await store.readAll({
            after,
            maxCount: 3,
            filter: { streamPrefixes: [prefix] },
          });
          seen.push(...page.events);
          after = page.checkpoint;
          if (page.events.length === 0) await new Promise((r) => setTimeout(r, 10));
        }
        expect(seen.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n]);
      });
    });

    describe('catch-up subscription', () => {
      it('delivers history from a checkpoint, then goes live, with no gap and no duplicate', async () => {
        const id = stream();
        await store.appendToStream(
          id,
          Array.from({ length: 5 }, () => newTestEvent()),
          {
            expectedRevision: 'no_stream',
          },
        );
        const history = await store.readStream(id);
        const received: RecordedEvent[] = [];
        const checkpoints: bigint[] = [];
        const subscription = store.subscribeToAll({
          after: history[1].globalPosition,
          filter: { streamPrefixes: [prefix] },
          maxBatchSize: 2,
          handle: async (batch: EventBatch) => {
            received.push(...batch.events);
            checkpoints.push(batch.checkpoint);
          },
        });
        await waitFor(() => received.length >= 3);
        await waitFor(() => subscription.isLive);
        for (let i = 0; i < 5; i++) {
          await store.appendToStream(id, [newTestEvent()], { expectedRevision: 'any' });
        }
        await waitFor(() => received.length >= 8);
        await new Promise((r) => setTimeout(r, 100));
        await subscription.stop();
        await expect(subscription.done).resolves.toBeUndefined();
        expect(received.map((e) => e.revision)).toEqual([2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);
        expect(isIncreasing(checkpoints)).toBe(true);
      });

      it('filters by event type', async () => {
        const id = stream();
        await store.appendToStream(
          id,
          [newTestEvent('Kept'), newTestEvent('Dropped'), newTestEvent('Kept')],
          {
            expectedRevision: 'no_stream',
          },
        );
        const received: RecordedEvent[] = [];
        const subscription = store.subscribeToAll({
          filter: { streamPrefixes: [prefix], eventTypes: ['Kept'] },
          handle: async (batch) => {
            received.push(...batch.events);
          },
        });
        await waitFor(() => received.length >= 2);
        await subscription.stop();
        expect(received.map((e) => e.revision)).toEqual([0n, 2n]);
      });

      it('stops and rejects done with the handler error when the handler throws', async () => {
        await store.appendToStream(stream(), [newTestEvent()], { expectedRevision: 'no_stream' });
        const subscription = store.subscribeToAll({
          filter: { streamPrefixes: [prefix] },
          handle: async () => {
            throw new Error('projection failed');
          },
        });
        await expect(subscription.done).rejects.toThrow('projection failed');
      });
    });
  });
}

/** Reads the prefix's events; retries while a concurrent transaction still holds them back. */
async function readAllMatching(
  store: EventStore,
  filter: { streamPrefixes: string[] },
  expected: number,
): Promise<RecordedEvent[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { events } = await store.readAll({ filter, maxCount: expected + 10 });
    if (events.length >= expected || Date.now() > deadline) return events;
    await new Promise((r) => setTimeout(r, 10));
  }
}

function isIncreasing(values: bigint[]): boolean {
  return values.every((v, i) => i === 0 || v > values[i - 1]);
}
