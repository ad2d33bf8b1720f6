// The port's Subscription on top of the client's native catch-up
// subscription to $all. The native stream pushes events (and, with a server
// filter, checkpoints past filtered-out events) as fast as the server sends
// them; this class queues them in order and hands them to the handler in
// batches, one at a time, pausing the native stream while the queue is full.
import type {
  AllStreamResolvedEvent,
  AllStreamSubscription,
  Position,
  ReadPosition,
} from '@eventstore/db-client';
import type { RecordedEvent, SubscribeOptions, Subscription } from '../event-store.port';
import {
  commitPositionOf,
  matchesFilter,
  positionAfter,
  toRecordedEvent,
} from './eventstoredb-mapping';

const DEFAULT_MAX_BATCH = 500;

export interface SubscriptionTiming {
  /** How often to check, until the server says it caught up, whether a readAll from here is at the end. */
  liveProbeIntervalMs: number;
  /** With nothing but filtered-out events, an empty batch reports progress at most this often. */
  emptyBatchEveryMs: number;
}

const DEFAULT_TIMING: SubscriptionTiming = { liveProbeIntervalMs: 500, emptyBatchEveryMs: 1_000 };

/** What the subscription needs from the store; a seam so tests can fake the server. */
export interface SubscriptionSource {
  /** Opens the native subscription; onCheckpoint is called (and awaited) for each server checkpoint. */
  open(
    fromPosition: ReadPosition,
    onCheckpoint: (position: Position) => Promise<void>,
  ): AllStreamSubscription;
  /** True when nothing matching the filter was committed after `after`: a readAll from there is at its end. */
  isAtEnd(after: bigint): Promise<boolean>;
}

type QueueItem =
  | { kind: 'event'; event: RecordedEvent; position: bigint }
  /** A position the subscription moved past without an event for the handler. */
  | { kind: 'progress'; position: bigint }
  /** The server reported that everything before this point was sent. */
  | { kind: 'live' };

export class EventStoreDbSubscription implements Subscription {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (error: unknown) => void;
  private settled = false;
  private failure: { error: unknown } | undefined;
  private stopped = false;
  private live = false;
  private busy = false;
  private probing = false;
  private paused = false;
  private readonly queue: QueueItem[] = [];
  private readonly maxBatch: number;
  /** The checkpoint of the last batch handed to the handler. */
  private delivered: bigint;
  /** The position of the last queue item taken (delivered, or progress not yet reported). */
  private consumed: bigint;
  private lastDelivery = Date.now();
  private native: AllStreamSubscription | undefined;
  private probeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: SubscriptionSource,
    private readonly options: SubscribeOptions,
    private readonly timing: SubscriptionTiming = DEFAULT_TIMING,
  ) {
    this.maxBatch = options.maxBatchSize ?? DEFAULT_MAX_BATCH;
    this.delivered = options.after ?? -1n;
    this.consumed = this.delivered;
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
  }

  get isLive(): boolean {
    return this.live;
  }

  start(): void {
    const native = this.source.open(positionAfter(this.options.after), (position) =>
      this.onCheckpoint(position),
    );
    this.native = native;
    native.on('data', (resolved: AllStreamResolvedEvent) => this.onEvent(resolved));
    // Servers from 23.10 send caught-up; it counts once the events before it are queued.
    native.on('caughtUp', () => {
      void this.afterNativeBufferDrained(native).then(() => this.enqueue({ kind: 'live' }));
    });
    native.on('error', (error: Error) => this.fail(error));
    native.on('end', () =>
      this.fail(new Error('The EventStoreDB subscription ended unexpectedly')),
    );
    // Older servers never send caught-up: probe with a readAll instead.
    this.probeTimer = setInterval(() => void this.probeLive(), this.timing.liveProbeIntervalMs);
    this.probeTimer.unref();
  }

  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.stopProbing();
      await this.closeNative();
    }
    if (!this.busy) this.settle();
    await this.done.catch(() => undefined);
  }

  private onEvent(resolved: AllStreamResolvedEvent): void {
    if (this.stopped) return;
    try {
      const event = resolved.event;
      const position = commitPositionOf(event?.position);
      if (!event || position === undefined) return;
      // The server filters on one criterion; the rest (and system events) is dropped here.
      if (matchesFilter(event, this.options.filter)) {
        this.enqueue({ kind: 'event', event: toRecordedEvent(resolved), position });
      } else {
        this.enqueue({ kind: 'progress', position });
      }
    } catch (error) {
      this.fail(error);
    }
  }

  private async onCheckpoint(position: Position): Promise<void> {
    const native = this.native;
    const commit = commitPositionOf(position);
    if (!native || commit === undefined) return;
    // The checkpoint follows the events the server sent before it; some of
    // those may still sit in the native stream's buffer. Queue it after them.
    await this.afterNativeBufferDrained(native);
    this.enqueue({ kind: 'progress', position: commit });
  }

  private enqueue(item: QueueItem): void {
    if (this.stopped) return;
    this.queue.push(item);
    if (!this.paused && this.queue.length >= 4 * this.maxBatch) {
      this.paused = true;
      this.native?.pause();
    }
    void this.pump();
  }

  /** Hands queued items to the handler, one batch at a time, until the queue is empty. */
  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (!this.stopped && this.queue.length > 0) {
        if (this.queue[0].kind === 'live') {
          this.queue.shift();
          this.setLive();
          continue;
        }
        const { events, checkpoint } = this.takeBatch();
        if (this.paused && this.queue.length <= this.maxBatch) {
          this.paused = false;
          this.native?.resume();
        }
        const moved = checkpoint > this.delivered;
        const reportProgress =
          moved && Date.now() - this.lastDelivery >= this.timing.emptyBatchEveryMs;
        if (events.length > 0 || reportProgress) {
          await this.options.handle({ events, checkpoint });
          this.delivered = checkpoint;
          this.lastDelivery = Date.now();
        }
      }
    } catch (error) {
      this.failure ??= { error };
      this.halt();
    } finally {
      this.busy = false;
      if (this.stopped) this.settle();
    }
  }

  /** Up to maxBatch events from the head of the queue, stopping before a 'live' marker. */
  private takeBatch(): { events: RecordedEvent[]; checkpoint: bigint } {
    const events: RecordedEvent[] = [];
    let checkpoint = this.consumed;
    while (this.queue.length > 0 && events.length < this.maxBatch) {
      const item = this.queue[0];
      if (item.kind === 'live') break;
      this.queue.shift();
      if (item.kind === 'event') events.push(item.event);
      if (item.position > checkpoint) checkpoint = item.position;
    }
    this.consumed = checkpoint;
    return { events, checkpoint };
  }

  private async probeLive(): Promise<void> {
    const native = this.native;
    if (this.live || this.stopped || this.busy || this.probing || this.queue.length > 0) return;
    if (!native || native.readableLength > 0) return;
    this.probing = true;
    try {
      // Everything up to `consumed` was handled; if nothing matching follows, we are caught up.
      if (await this.source.isAtEnd(this.consumed)) this.setLive();
    } catch {
      // A failed probe only delays isLive; the next tick tries again.
    } finally {
      this.probing = false;
    }
  }

  private setLive(): void {
    this.live = true;
    this.stopProbing();
  }

  private fail(error: unknown): void {
    // After stop(), cancellation noise from the native stream is not a failure.
    if (this.stopped) return;
    this.failure = { error };
    this.halt();
  }

  private halt(): void {
    this.stopped = true;
    this.stopProbing();
    void this.closeNative();
    if (!this.busy) this.settle();
  }

  /** Settles `done` once: rejected with the first failure, else resolved. */
  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.failure) this.rejectDone(this.failure.error);
    else this.resolveDone();
  }

  private stopProbing(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  private async closeNative(): Promise<void> {
    const native = this.native;
    this.native = undefined;
    if (native) await native.unsubscribe().catch(() => undefined);
  }

  /** Resolves once the native stream has emitted everything it buffered (or the subscription stopped). */
  private async afterNativeBufferDrained(native: AllStreamSubscription): Promise<void> {
    while (!this.stopped && native.readableLength > 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
