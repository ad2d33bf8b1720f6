import { EVENT_TYPE, STREAM_NAME } from '@eventstore/db-client';
import type { NewEvent } from '../event-store.port';
import {
  collectReadAllPage,
  commitPositionOf,
  exactNamesRegex,
  fromClientCurrentRevision,
  matchesFilter,
  positionAfter,
  toClientExpectedRevision,
  toEventData,
  toRecordedEvent,
  toServerFilter,
} from './eventstoredb-mapping';
import { asAsyncIterable, fakeAllEvent, fakeStreamEvent, metadata } from './eventstoredb-fakes';

const json = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value)));

describe('EventStoreDB mapping', () => {
  describe('expected and current revisions', () => {
    it.each([
      ['no_stream', 'no_stream'],
      ['stream_exists', 'stream_exists'],
      ['any', 'any'],
      [0n, 0n],
      [41n, 41n],
    ] as const)('maps %p to the client value %p', (ours, theirs) => {
      expect(toClientExpectedRevision(ours)).toBe(theirs);
    });

    it("reads the client's 'no_stream' as null and a revision as itself", () => {
      expect(fromClientCurrentRevision('no_stream')).toBeNull();
      expect(fromClientCurrentRevision(7n)).toBe(7n);
    });
  });

  it('stores our envelope as a JSON event with the schema version in the metadata', () => {
    const event: NewEvent = {
      id: '6f1c0a3e-1f7b-4a43-9d2e-2b1f0d6b9a10',
      type: 'ContactCreated',
      schemaVersion: 3,
      data: { email: 'a@example.com' },
      metadata,
    };
    expect(toEventData(event)).toEqual({
      id: event.id,
      contentType: 'application/json',
      type: 'ContactCreated',
      data: { email: 'a@example.com' },
      metadata: { ...metadata, schemaVersion: 3 },
    });
  });

  describe('resolved event to RecordedEvent', () => {
    it('takes the schema version out of the metadata and the commit position as global position', () => {
      const resolved = fakeAllEvent({
        position: 1234n,
        streamId: 'contact-9',
        type: 'ContactRenamed',
        revision: 2n,
        data: { name: 'Ada' },
        metadata: { ...metadata, schemaVersion: 2 },
      });
      expect(toRecordedEvent(resolved)).toEqual({
        id: resolved.event!.id,
        type: 'ContactRenamed',
        schemaVersion: 2,
        data: { name: 'Ada' },
        metadata,
        streamId: 'contact-9',
        revision: 2n,
        globalPosition: 1234n,
      });
    });

    it('defaults the schema version to 1 when the metadata has none (or no metadata at all)', () => {
      expect(
        toRecordedEvent(fakeAllEvent({ position: 1n, metadata: { ...metadata } })).schemaVersion,
      ).toBe(1);
      const bare = toRecordedEvent(fakeAllEvent({ position: 1n, metadata: undefined }));
      expect(bare.schemaVersion).toBe(1);
      expect(bare.metadata).toEqual({});
    });

    it('decodes JSON stored as bytes, and reports -1 when a stream read carries no position', () => {
      const recorded = toRecordedEvent(
        fakeStreamEvent({
          data: json({ name: 'Bob' }),
          metadata: json({ ...metadata, schemaVersion: 5 }),
        }),
      );
      expect(recorded).toMatchObject({
        data: { name: 'Bob' },
        schemaVersion: 5,
        metadata,
        revision: 4n,
      });
      expect(recorded.globalPosition).toBe(-1n);
      const withPosition = fakeStreamEvent({
        data: json({}),
        metadata: json(metadata),
        withPosition: 99n,
      });
      expect(toRecordedEvent(withPosition).globalPosition).toBe(99n);
    });

    it('refuses data that is not a JSON object', () => {
      expect(() =>
        toRecordedEvent(fakeStreamEvent({ data: json([1, 2]), metadata: json(metadata) })),
      ).toThrow(/does not hold a JSON object/);
      expect(() => toRecordedEvent({})).toThrow(/without an event/);
    });
  });

  it('treats missing and out-of-range (unsigned -1) positions as unknown', () => {
    expect(commitPositionOf(undefined)).toBeUndefined();
    expect(commitPositionOf({ commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n })).toBeUndefined();
    expect(commitPositionOf({ commit: 0n, prepare: 0n })).toBe(0n);
  });

  describe('filters', () => {
    const event = (streamId: string, type: string) => ({ streamId, type });

    it('never matches system events or system streams', () => {
      expect(matchesFilter(event('$stats-127.0.0.1:2113', 'StatsCollected'), undefined)).toBe(
        false,
      );
      expect(matchesFilter(event('contact-1', '$metadata'), undefined)).toBe(false);
      expect(matchesFilter(event('contact-1', 'ContactCreated'), undefined)).toBe(true);
    });

    it('matches stream prefixes and exact event types, both when both are given', () => {
      const filter = { streamPrefixes: ['contact-', 'deal-'], eventTypes: ['ContactCreated'] };
      expect(matchesFilter(event('contact-1', 'ContactCreated'), filter)).toBe(true);
      expect(matchesFilter(event('deal-1', 'ContactCreated'), filter)).toBe(true);
      expect(matchesFilter(event('account-1', 'ContactCreated'), filter)).toBe(false);
      expect(matchesFilter(event('contact-1', 'ContactCreatedAgain'), filter)).toBe(false);
      expect(matchesFilter(event('contact-1', 'Contact'), { eventTypes: ['ContactCreated'] })).toBe(
        false,
      );
    });

    it('does not constrain with empty lists', () => {
      expect(matchesFilter(event('x', 'Y'), { streamPrefixes: [], eventTypes: [] })).toBe(true);
    });

    it('asks the server for stream prefixes first, then exact types, else to exclude system events', () => {
      const onCheckpoint = jest.fn();
      expect(
        toServerFilter({ streamPrefixes: ['contact-'], eventTypes: ['A'] }, onCheckpoint),
      ).toMatchObject({
        filterOn: STREAM_NAME,
        prefixes: ['contact-'],
        checkpointReached: onCheckpoint,
      });
      expect(toServerFilter({ eventTypes: ['A.b', 'C'] })).toMatchObject({
        filterOn: EVENT_TYPE,
        regex: '^(?:A\\.b|C)$',
      });
      expect(toServerFilter(undefined)).toMatchObject({ filterOn: EVENT_TYPE, regex: '^[^$].*' });
      expect(toServerFilter({ streamPrefixes: [], eventTypes: [] })).toMatchObject({
        regex: '^[^$].*',
      });
    });

    it('builds a regex that matches exactly the given names', () => {
      const regex = new RegExp(exactNamesRegex(['Contact.Created', 'Deal-Won', 'a+b']));
      expect(regex.test('Contact.Created')).toBe(true);
      expect(regex.test('ContactXCreated')).toBe(false);
      expect(regex.test('Deal-Won')).toBe(true);
      expect(regex.test('a+b')).toBe(true);
      expect(regex.test('aab')).toBe(false);
      expect(regex.test('Deal-Won2')).toBe(false);
    });
  });

  it('starts reads at the start, or at the pair (after, after)', () => {
    expect(positionAfter(undefined)).toBe('start');
    expect(positionAfter(-1n)).toBe('start');
    expect(positionAfter(512n)).toEqual({ commit: 512n, prepare: 512n });
  });

  describe('one readAll page from a raw read of $all', () => {
    const raw = () => [
      fakeAllEvent({ position: 100n, streamId: 'a-1' }), // the event at `after`: ESDB reads include it
      fakeAllEvent({ position: 200n, streamId: '$stats-1', type: '$statsCollected' }),
      fakeAllEvent({ position: 300n, streamId: 'a-1', revision: 1n }),
      fakeAllEvent({ position: 400n, streamId: 'b-1' }),
      fakeAllEvent({ position: 500n, streamId: 'a-2' }),
    ];

    it('skips the event at `after`, system events and non-matching ones, and ends at the end', async () => {
      const page = await collectReadAllPage(asAsyncIterable(raw()), {
        after: 100n,
        limit: 10,
        scanLimit: 1_000,
        filter: { streamPrefixes: ['a-'] },
      });
      expect(page.events.map((e) => e.globalPosition)).toEqual([300n, 500n]);
      expect(page).toMatchObject({ checkpoint: 500n, isEnd: true });
    });

    it('moves the checkpoint past filtered-out events even when nothing matched', async () => {
      const page = await collectReadAllPage(asAsyncIterable(raw()), {
        after: 100n,
        limit: 10,
        scanLimit: 1_000,
        filter: { streamPrefixes: ['zzz'] },
      });
      expect(page).toEqual({ events: [], checkpoint: 500n, isEnd: true });
    });

    it('stops at `limit` matches with isEnd false and the last match as checkpoint', async () => {
      const page = await collectReadAllPage(asAsyncIterable(raw()), {
        after: -1n,
        limit: 2,
        scanLimit: 1_000,
      });
      expect(page.events.map((e) => e.globalPosition)).toEqual([100n, 300n]);
      expect(page).toMatchObject({ checkpoint: 300n, isEnd: false });
    });

    it('is not at the end when the raw read returned as many events as it asked for', async () => {
      const page = await collectReadAllPage(asAsyncIterable(raw()), {
        after: -1n,
        limit: 10,
        scanLimit: 5,
        filter: { streamPrefixes: ['b-'] },
      });
      expect(page).toMatchObject({ checkpoint: 500n, isEnd: false });
      expect(page.events).toHaveLength(1);
    });

    it('keeps `after` as checkpoint when nothing follows it', async () => {
      const page = await collectReadAllPage(asAsyncIterable([fakeAllEvent({ position: 100n })]), {
        after: 100n,
        limit: 10,
        scanLimit: 1_000,
      });
      expect(page).toEqual({ events: [], checkpoint: 100n, isEnd: true });
    });
  });
});
