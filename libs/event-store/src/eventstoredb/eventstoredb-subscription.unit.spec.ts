import { PassThrough } from 'node:stream';
import type {
  AllStreamResolvedEvent,
  AllStreamSubscription,
  Position,
  ReadPosition,
} from '@eventstore/db-client';
import { waitFor } from '../event-store.contract';
import type { EventBatch, SubscribeOptions } from '../event-store.port';
import { fakeAllEvent } from './eventstoredb-fakes';
import { EventStoreDbSubscription, type SubscriptionSource } from './eventstoredb-subscription';

/** Stands in for the client's native subscription: a readable of resolved events with unsubscribe(). */
class FakeNative extends PassThrough {
  unsubscribed = false;
  constructor() {
    super({ objectMode: true });
  }
  async unsubscribe(): Promise<void> {
    this.unsubscribed = true;
  }
  send(...events: AllStreamResolvedEvent[]): void {
    for (const event of events) this.write(event);
  }
}

function setUp(
  options: Partial<SubscribeOptions> & Pick<SubscribeOptions, 'handle'>,
  atEnd: SubscriptionSource['isAtEnd'] = async () => false,
) {
  const native = new FakeNative();
  const opened: ReadPosition[] = [];
  let onCheckpoint: ((position: Position) => Promise<void>) | undefined;
  const source: SubscriptionSource = {
    open: (fromPosition, checkpointCallback) => {
      opened.push(fromPosition);
      onCheckpoint = checkpointCallback;
      return native as unknown as AllStreamSubscription;
    },
    isAtEnd: atEnd,
  };
  const subscription = new EventStoreDbSubscription(source, options, {
    liveProbeIntervalMs: 10,
    emptyBatchEveryMs: 0,
  });
  subscription.start();
  const checkpoint = (commit: bigint) => onCheckpoint!({ commit, prepare: commit });
  return { native, opened, subscription, checkpoint };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('EventStoreDB subscription (fake native stream)', () => {
  it('opens at the start, or right after the checkpoint', async () => {
    const first = setUp({ handle: async () => undefined });
    const second = setUp({ after: 700n, handle: async () => undefined });
    expect(first.opened).toEqual(['start']);
    expect(second.opened).toEqual([{ commit: 700n, prepare: 700n }]);
    await first.subscription.stop();
    await second.subscription.stop();
  });

  it('delivers batches in order, at most maxBatchSize events, never two at once', async () => {
    const batches: EventBatch[] = [];
    let running = 0;
    let overlapped = false;
    const { native, subscription } = setUp({
      maxBatchSize: 3,
      handle: async (batch) => {
        running++;
        if (running > 1) overlapped = true;
        await sleep(5);
        batches.push(batch);
        running--;
      },
    });
    native.send(
      ...Array.from({ length: 10 }, (_, i) => fakeAllEvent({ position: BigInt(i + 1) * 10n })),
    );
    await waitFor(() => batches.flatMap((b) => b.events).length === 10);
    await subscription.stop();

    expect(overlapped).toBe(false);
    expect(batches.every((b) => b.events.length >= 1 && b.events.length <= 3)).toBe(true);
    expect(batches.flatMap((b) => b.events.map((e) => e.globalPosition))).toEqual(
      Array.from({ length: 10 }, (_, i) => BigInt(i + 1) * 10n),
    );
    expect(batches.map((b) => b.checkpoint)).toEqual(
      batches.map((b) => b.events[b.events.length - 1].globalPosition),
    );
  });

  it('drops what the filter excludes (and system events) but moves the checkpoint past them', async () => {
    const batches: EventBatch[] = [];
    const { native, subscription } = setUp({
      filter: { streamPrefixes: ['a-'], eventTypes: ['Kept'] },
      handle: async (batch) => {
        batches.push(batch);
      },
    });
    native.send(
      fakeAllEvent({ position: 10n, streamId: 'a-1', type: 'Kept' }),
      fakeAllEvent({ position: 20n, streamId: 'a-1', type: 'Dropped' }),
      fakeAllEvent({ position: 30n, streamId: '$et-Kept', type: '$>' }),
    );
    await waitFor(() => batches.some((b) => b.checkpoint === 30n));
    await subscription.stop();
    expect(batches.flatMap((b) => b.events.map((e) => e.type))).toEqual(['Kept']);
  });

  it("reports the server's checkpoints as empty batches, after the events sent before them", async () => {
    const batches: EventBatch[] = [];
    const { native, subscription, checkpoint } = setUp({
      filter: { streamPrefixes: ['a-'] },
      handle: async (batch) => {
        batches.push(batch);
      },
    });
    native.send(fakeAllEvent({ position: 10n, streamId: 'a-1' }));
    await checkpoint(500n);
    await waitFor(() => batches.some((b) => b.checkpoint === 500n));
    await subscription.stop();
    expect(batches[0].events).toHaveLength(1);
    expect(batches[batches.length - 1]).toEqual({ events: [], checkpoint: 500n });
  });

  it("goes live on the server's caught-up signal once the events before it were handled", async () => {
    const handled: bigint[] = [];
    const { native, subscription } = setUp({
      handle: async (batch) => {
        await sleep(20);
        handled.push(...batch.events.map((e) => e.globalPosition));
      },
    });
    native.send(fakeAllEvent({ position: 10n }));
    await sleep(1);
    native.emit('caughtUp');
    expect(subscription.isLive).toBe(false);
    await waitFor(() => subscription.isLive);
    expect(handled).toEqual([10n]);
    await subscription.stop();
  });

  it('goes live without that signal once a readAll from its position is at the end', async () => {
    const probedAfter: bigint[] = [];
    const { native, subscription } = setUp(
      { after: 5n, handle: async () => undefined },
      async (after) => {
        probedAfter.push(after);
        return after >= 10n;
      },
    );
    await sleep(30);
    expect(subscription.isLive).toBe(false);
    native.send(fakeAllEvent({ position: 10n }));
    await waitFor(() => subscription.isLive);
    expect(probedAfter[0]).toBe(5n);
    expect(probedAfter[probedAfter.length - 1]).toBe(10n);
    await subscription.stop();
  });

  it('stops, unsubscribes and rejects done with the error when the handler throws', async () => {
    const { native, subscription } = setUp({
      handle: async () => {
        throw new Error('projection failed');
      },
    });
    native.send(fakeAllEvent({ position: 10n }), fakeAllEvent({ position: 20n }));
    await expect(subscription.done).rejects.toThrow('projection failed');
    expect(native.unsubscribed).toBe(true);
  });

  it('rejects done when the native stream fails', async () => {
    const { native, subscription } = setUp({ handle: async () => undefined });
    native.emit('error', new Error('connection lost'));
    await expect(subscription.done).rejects.toThrow('connection lost');
    expect(native.unsubscribed).toBe(true);
  });

  it('stop() waits for the current batch, delivers nothing more, and resolves done', async () => {
    let release!: () => void;
    const received: bigint[] = [];
    const { native, subscription } = setUp({
      maxBatchSize: 1,
      handle: async (batch) => {
        received.push(...batch.events.map((e) => e.globalPosition));
        await new Promise<void>((resolve) => (release = resolve));
      },
    });
    native.send(fakeAllEvent({ position: 10n }), fakeAllEvent({ position: 20n }));
    await waitFor(() => received.length === 1);
    let stopped = false;
    const stopping = subscription.stop().then(() => (stopped = true));
    await sleep(10);
    expect(stopped).toBe(false);
    release();
    await stopping;
    await expect(subscription.done).resolves.toBeUndefined();
    expect(received).toEqual([10n]);
    expect(native.unsubscribed).toBe(true);
  });
});
