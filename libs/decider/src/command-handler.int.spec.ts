import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { loadPlatformConfig } from '@engagement/config';
import {
  PostgresEventStore,
  WrongExpectedRevisionError,
  type RecordedEvent,
} from '@engagement/event-store';
import type { Decider, DomainEvent } from './decider';
import { RuleViolationError } from './domain-errors';
import { handleCommand } from './command-handler';
import { derivedId, idempotentRequest, nameBasedUuid } from './idempotency';
import { given, testContext } from './given-when-then';

// A counter: the smallest aggregate with a rule (a cap) and an idempotent command.
type CounterEvent = DomainEvent<'Incremented', { by: number }>;
type CounterCommand = { type: 'Increment'; by: number } | { type: 'Touch' };
const counter: Decider<CounterCommand, CounterEvent, { total: number }> = {
  initialState: () => ({ total: 0 }),
  evolve: (state, event) => ({ total: state.total + event.data.by }),
  decide: (command, state) => {
    if (command.type === 'Touch') return [];
    if (state.total + command.by > 1_000) throw new RuleViolationError('cap reached', 'cap');
    return [{ type: 'Incremented', data: { by: command.by } }];
  },
};
const options = {
  upcast: (e: RecordedEvent) => ({ type: e.type, data: e.data }) as CounterEvent,
  schemaVersionOf: () => 1,
};

describe('decider helpers', () => {
  it('given/when/then reads history, decides, and checks events or errors', () => {
    given(counter, [{ type: 'Incremented', data: { by: 2 } }])
      .when({ type: 'Increment', by: 3 })
      .then([{ type: 'Incremented', data: { by: 3 } }]);
    given(counter, [{ type: 'Incremented', data: { by: 999 } }])
      .when({ type: 'Increment', by: 2 })
      .thenThrows(RuleViolationError, { code: 'cap' });
  });
});

describe('handleCommand against PostgreSQL', () => {
  const { databaseUrl } = loadPlatformConfig();
  const schema = `es_decider_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  let store: PostgresEventStore;
  beforeAll(async () => {
    store = await PostgresEventStore.connect({ connectionString: databaseUrl, schema });
  });
  afterAll(async () => {
    await store.close();
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA ${schema} CASCADE`);
    await client.end();
  });

  it('appends the decided events with the context in their metadata, and appends nothing for []', async () => {
    const stream = `counter-${randomUUID()}`;
    const result = await handleCommand(
      store,
      stream,
      counter,
      { type: 'Increment', by: 5 },
      testContext,
      options,
    );
    expect(result).toMatchObject({ revision: 0n, state: { total: 5 } });
    const touched = await handleCommand(
      store,
      stream,
      counter,
      { type: 'Touch' },
      testContext,
      options,
    );
    expect(touched).toMatchObject({ events: [], position: null, revision: 0n });
    const [stored] = await store.readStream(stream);
    expect(stored.metadata).toMatchObject({
      actor: 'test',
      correlationId: 'test-correlation',
      occurredAt: testContext.now.toISOString(),
    });
  });

  it('loses no update under 20 concurrent commands on one stream: conflicts are decided again on fresh state', async () => {
    const stream = `counter-${randomUUID()}`;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        handleCommand(store, stream, counter, { type: 'Increment', by: 1 }, testContext, {
          ...options,
          conflictRetries: 50,
        }),
      ),
    );
    const events = await store.readStream(stream);
    expect(events).toHaveLength(20);
  });

  it('gives up with the conflict error once its retries are spent', async () => {
    const stream = `counter-${randomUUID()}`;
    // A competitor that always writes first: between each read of the
    // handler and its append, another Increment lands on the stream, so every
    // attempt meets a conflict, deterministically.
    let appendsTried = 0;
    const racing = Object.create(store) as PostgresEventStore;
    racing.appendToStream = async (streamId, events, appendOptions) => {
      appendsTried += 1;
      await handleCommand(
        store,
        streamId,
        counter,
        { type: 'Increment', by: 100 },
        testContext,
        options,
      );
      return store.appendToStream(streamId, events, appendOptions);
    };
    await expect(
      handleCommand(racing, stream, counter, { type: 'Increment', by: 1 }, testContext, {
        ...options,
        conflictRetries: 2,
      }),
    ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    // The first attempt and two retries, each beaten by the competitor.
    expect(appendsTried).toBe(3);
    const events = await store.readStream(stream);
    expect(events.map((e) => e.data.by)).toEqual([100, 100, 100]);
  });

  describe('with an Idempotency-Key', () => {
    const keyed = (key: string) => ({
      ...testContext,
      idempotency: idempotentRequest(key, {
        caller: 'apikey:k1',
        method: 'POST',
        path: '/counters',
      }),
    });
    const increment = (stream: string, context: typeof testContext, by = 1) =>
      handleCommand(store, stream, counter, { type: 'Increment', by }, context, options);

    it('answers a retry of a request that went through with the first result, appending nothing', async () => {
      const stream = `counter-${randomUUID()}`;
      const key = randomUUID();
      const first = await increment(stream, keyed(key));
      await increment(stream, testContext, 10); // someone else's write in between
      const retry = await increment(stream, keyed(key));
      expect(retry).toEqual(first);
      expect(retry.state).toEqual({ total: 1 });
      expect((await store.readStream(stream)).map((e) => e.data.by)).toEqual([1, 10]);
      // Another key, or none, is another request.
      await increment(stream, keyed(randomUUID()));
      await increment(stream, testContext);
      expect(await store.readStream(stream)).toHaveLength(4);
    });

    it('appends once when the retry races the first attempt', async () => {
      const stream = `counter-${randomUUID()}`;
      const key = randomUUID();
      const results = await Promise.all(
        Array.from({ length: 5 }, () => increment(stream, keyed(key))),
      );
      expect(await store.readStream(stream)).toHaveLength(1);
      expect(new Set(results.map((r) => String(r.position))).size).toBe(1);
    });

    it('keeps two appends of one request to one stream apart, and a retry finds both', async () => {
      const stream = `counter-${randomUUID()}`;
      const key = randomUUID();
      const twice = async () => {
        const context = keyed(key);
        const a = await increment(stream, context, 1);
        const b = await increment(stream, context, 2);
        return [a.position, b.position];
      };
      const first = await twice();
      expect((await store.readStream(stream)).map((e) => e.data.by)).toEqual([1, 2]);
      expect(await twice()).toEqual(first);
      expect(await store.readStream(stream)).toHaveLength(2);
    });

    it('derives the ids a command makes up from the key, and only then', () => {
      const key = randomUUID();
      expect(derivedId(keyed(key), 'activity')).toBe(derivedId(keyed(key), 'activity'));
      expect(derivedId(keyed(key), 'activity')).not.toBe(derivedId(keyed(key), 'contact'));
      expect(derivedId(testContext, 'activity')).not.toBe(derivedId(testContext, 'activity'));
      // RFC 9562 version 5 layout.
      expect(nameBasedUuid('x')).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    });
  });
});
