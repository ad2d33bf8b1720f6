// A catch-up subscription built on readAll: it reads batches from its
// checkpoint until it reaches the end, then waits to be woken (or for the
// poll interval) and reads again. Catch-up and live are the same loop, so
// the switch between them has no gap and no duplicate.
import type { ReadAllResult, SubscribeOptions, Subscription } from './event-store.port';

const DEFAULT_MAX_BATCH = 500;
/** Retry soon when committed events wait behind an older open transaction. */
const BLOCKED_RETRY_MS = 5;
/** With a filter, an empty batch still reports progress, at most this often. */
const EMPTY_BATCH_EVERY_MS = 1_000;

export class PollingSubscription implements Subscription {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (error: unknown) => void;
  private stopped = false;
  private live = false;
  private wakeUp: (() => void) | undefined;
  private wokenWhileBusy = false;
  private lastDelivery = Date.now();

  constructor(
    private readonly read: (after: bigint, maxCount: number) => Promise<ReadAllResult>,
    private readonly options: SubscribeOptions,
    private readonly pollIntervalMs: number,
    private readonly reportsEmptyProgress: boolean,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
  }

  get isLive(): boolean {
    return this.live;
  }

  start(): void {
    void this.run();
  }

  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.wokenWhileBusy = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.done.catch(() => undefined);
  }

  private async run(): Promise<void> {
    let checkpoint = this.options.after ?? -1n;
    const maxBatch = this.options.maxBatchSize ?? DEFAULT_MAX_BATCH;
    try {
      while (!this.stopped) {
        this.wokenWhileBusy = false;
        const result = await this.read(checkpoint, maxBatch);
        if (this.stopped) break;
        const moved = result.checkpoint > checkpoint;
        const reportProgress =
          this.reportsEmptyProgress &&
          moved &&
          Date.now() - this.lastDelivery >= EMPTY_BATCH_EVERY_MS;
        if (result.events.length > 0 || reportProgress) {
          await this.options.handle({ events: result.events, checkpoint: result.checkpoint });
          this.lastDelivery = Date.now();
        }
        checkpoint = result.checkpoint;
        if (result.events.length === maxBatch) continue;
        if (result.isEnd) this.live = true;
        if (this.wokenWhileBusy) continue;
        await this.sleep(result.isEnd ? this.pollIntervalMs : BLOCKED_RETRY_MS);
      }
      this.resolveDone();
    } catch (error) {
      this.stopped = true;
      this.rejectDone(error);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(this: void): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    }).finally(() => {
      this.wakeUp = undefined;
    });
  }
}
