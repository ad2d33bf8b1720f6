// The EventStoreDB / KurrentDB adapter against a real server.
//
// The shared contract suite (and the adapter-specific tests below it) run
// ONLY when EVENTSTORE_CONNECTION_STRING is set, e.g.
//   EVENTSTORE_CONNECTION_STRING='esdb://localhost:2113?tls=false' npx jest src/eventstoredb
// Without it, only the tests that need no server run (the adapter is
// created lazily and never connects); the pure mapping and the subscription
// batching are covered by the *.unit.spec.ts files next to this one.
import { randomUUID } from 'node:crypto';
import { createEventStore } from '../create-event-store';
import { DuplicateEventIdError, WrongExpectedRevisionError } from '../errors';
import { newTestEvent, runEventStoreContract } from '../event-store.contract';
import { EventStoreDbEventStore } from './eventstoredb-event-store';

const connectionString = process.env.EVENTSTORE_CONNECTION_STRING;

describe('EventStoreDB adapter without a server', () => {
  it('is what createEventStore returns for an EventStoreDB connection string, created without connecting, and closes', async () => {
    // Port 1 has no server: this passes only because the client connects lazily.
    const store = await createEventStore({
      databaseUrl: 'postgres://unused',
      eventStoreConnectionString: 'esdb://127.0.0.1:1?tls=false',
    });
    expect(store).toBeInstanceOf(EventStoreDbEventStore);
    await store.close();
    expect(() => store.subscribeToAll({ handle: async () => undefined })).toThrow('closed');
  });
});

if (connectionString) {
  runEventStoreContract('EventStoreDB', () => EventStoreDbEventStore.connect(connectionString), {
    appendToStreams: 'not-supported',
  });

  describe('EventStoreDB adapter: server-specific behaviour', () => {
    let store: EventStoreDbEventStore;
    beforeAll(async () => {
      store = await EventStoreDbEventStore.connect(connectionString);
    });
    afterAll(async () => {
      await store.close();
    });
    const stream = () => `esdb-specific-${randomUUID()}`;

    it('answers a retry with an exact expected revision with the original result', async () => {
      const id = stream();
      await store.appendToStream(id, [newTestEvent()], { expectedRevision: 'no_stream' });
      const events = [newTestEvent(), newTestEvent()];
      const first = await store.appendToStream(id, events, { expectedRevision: 0n });
      const retry = await store.appendToStream(id, events, { expectedRevision: 0n });
      expect(retry).toEqual(first);
      expect(await store.readStream(id)).toHaveLength(3);
    });

    it('tells a partly stored batch (exact revision) from a real conflict', async () => {
      const id = stream();
      const stored = [newTestEvent(), newTestEvent()];
      await store.appendToStream(id, stored, { expectedRevision: 'no_stream' });
      await expect(
        store.appendToStream(id, [stored[0], newTestEvent()], { expectedRevision: 'no_stream' }),
      ).rejects.toBeInstanceOf(DuplicateEventIdError);
      await expect(
        store.appendToStream(id, [newTestEvent(), newTestEvent()], {
          expectedRevision: 'no_stream',
        }),
      ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    });
  });
}
