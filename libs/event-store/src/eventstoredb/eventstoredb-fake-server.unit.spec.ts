// The adapter driven through the real @eventstore/db-client and gRPC, against
// an in-memory fake server (eventstoredb-fake-server.ts). This checks the
// wiring to the client (append results and errors, paging and cancelling
// reads, native subscriptions with checkpoints and caught-up, close), not
// EventStoreDB's semantics: the int spec runs the contract on a real server.
import { randomUUID } from 'node:crypto';
import { DuplicateEventIdError, WrongExpectedRevisionError } from '../errors';
import { newTestEvent, runEventStoreContract, waitFor } from '../event-store.contract';
import type { EventBatch } from '../event-store.port';
import { EventStoreDbEventStore } from './eventstoredb-event-store';
import { FakeEventStoreDbServer } from './eventstoredb-fake-server';

const server = new FakeEventStoreDbServer();
let connectionString = '';

beforeAll(async () => {
  connectionString = await server.start();
  server.appendSystemEvent();
});
afterAll(() => server.stop());

runEventStoreContract(
  'EventStoreDB adapter against a fake gRPC server',
  () => EventStoreDbEventStore.connect(connectionString),
  { appendToStreams: 'not-supported' },
);

describe('EventStoreDB adapter against a fake gRPC server', () => {
  let store: EventStoreDbEventStore;
  beforeAll(async () => {
    store = await EventStoreDbEventStore.connect(connectionString);
  });
  afterAll(async () => {
    await store.close();
  });
  const prefix = () => `fake${randomUUID().slice(0, 8)}-`;

  it('tells a partly stored batch with an exact revision from a real conflict', async () => {
    const id = `${prefix()}s`;
    const stored = [newTestEvent(), newTestEvent()];
    await store.appendToStream(id, stored, { expectedRevision: 'no_stream' });
    await expect(
      store.appendToStream(id, [stored[0], newTestEvent()], { expectedRevision: 'no_stream' }),
    ).rejects.toBeInstanceOf(DuplicateEventIdError);
    await expect(
      store.appendToStream(id, [newTestEvent()], { expectedRevision: 5n }),
    ).rejects.toMatchObject({
      constructor: WrongExpectedRevisionError,
      expected: 5n,
      actual: 1n,
    });
  });

  it('leaves system events out of readAll, and cancels a read it stopped early', async () => {
    const p = prefix();
    await store.appendToStream(`${p}a`, [newTestEvent(), newTestEvent(), newTestEvent()], {
      expectedRevision: 'no_stream',
    });
    const all = await store.readAll({ maxCount: 10_000 });
    expect(all.events.some((e) => e.type.startsWith('$') || e.streamId.startsWith('$'))).toBe(
      false,
    );

    const cancelledBefore = server.cancelledReads;
    const first = await store.readAll({ filter: { streamPrefixes: [p] }, maxCount: 1 });
    expect(first).toMatchObject({ isEnd: false });
    const rest = await store.readAll({ after: first.checkpoint, filter: { streamPrefixes: [p] } });
    expect([...first.events, ...rest.events].map((e) => e.revision)).toEqual([0n, 1n, 2n]);
    expect(rest.isEnd).toBe(true);
    await waitFor(() => server.cancelledReads > cancelledBefore);
  });

  it('moves a filtered subscription past filtered-out events with an empty batch', async () => {
    const p = prefix();
    const batches: EventBatch[] = [];
    const subscription = store.subscribeToAll({
      filter: { streamPrefixes: [p] },
      handle: async (batch) => {
        batches.push(batch);
      },
    });
    await waitFor(() => subscription.isLive);
    const mine = await store.appendToStream(`${p}a`, [newTestEvent()], {
      expectedRevision: 'no_stream',
    });
    await waitFor(() => batches.some((b) => b.events.length > 0));
    // The empty batch waits out the progress-report interval (1s).
    await new Promise((r) => setTimeout(r, 1_050));
    const other = await store.appendToStream(`other-${randomUUID()}`, [newTestEvent()], {
      expectedRevision: 'no_stream',
    });
    await waitFor(() => batches.some((b) => b.checkpoint === other.position));
    await subscription.stop();
    expect(batches.flatMap((b) => b.events.map((e) => e.globalPosition))).toEqual([mine.position]);
    expect(batches[batches.length - 1]).toEqual({ events: [], checkpoint: other.position });
  });
});
