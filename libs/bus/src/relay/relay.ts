// The relay: a checkpointed catch-up subscription to a service's own events
// that produces them to the service's Kafka topic. The checkpoint moves only
// after Kafka acknowledged the batch, so a crash anywhere re-sends (at least
// once) and never loses an event; consumers deduplicate by event id.
// The checkpoint of one batch is written while the next batch is read and
// sent (saves stay in order, each after its batch's acknowledgement): the
// write is off the path from an append to Kafka.
import type { EventBatch, EventFilter, EventStore, Subscription } from '@engagement/event-store';
import { backoffDelay, sleep, type BackoffOptions } from '../backoff';
import type { Bus, BusProducer } from '../bus.port';
import { describeError, jsonLinesLogger, type BusLogger } from '../bus-logger';
import { eventToMessage } from './event-message';
import type { RelayCheckpoints } from './relay-checkpoints';
import { traceProducer } from '@engagement/observability';

export interface RelayOptions {
  store: EventStore;
  bus: Bus;
  /** The service's topic, e.g. `contacts`; created beforehand with ensureTopics. */
  topic: string;
  /** Which events are the service's own, e.g. `{ streamPrefixes: ['contact-', 'tag-'] }`. */
  filter: EventFilter;
  checkpoints: RelayCheckpoints;
  /** The checkpoint's name: one per relay, stable across restarts. */
  name: string;
  logger?: BusLogger;
  /** Events read and produced together; default 500. */
  maxBatchSize?: number;
  /** Waits before restarting after a failure; default 0.5 s doubling to 30 s. */
  restartBackoff?: BackoffOptions;
}

export interface Relay {
  /** The last checkpoint this relay saved; undefined until it saved one. */
  readonly checkpoint: bigint | undefined;
  /** Stops after the batch in progress (which is then produced again on the next start). */
  stop(): Promise<void>;
}

export function startRelay(options: RelayOptions): Relay {
  return new EventRelay(options);
}

class EventRelay implements Relay {
  private saved: bigint | undefined;
  private failures = 0;
  private readonly stopping = new AbortController();
  private readonly logger: BusLogger;
  private producer: BusProducer | undefined;
  private subscription: Subscription | undefined;
  private pendingSave: Promise<void> | undefined;
  private failedSave: unknown;
  private readonly running: Promise<void>;

  constructor(private readonly options: RelayOptions) {
    this.logger = options.logger ?? jsonLinesLogger('relay');
    this.running = this.run();
  }

  get checkpoint(): bigint | undefined {
    return this.saved;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    // Closing the producer first ends a send that waits for a missing broker.
    await this.producer?.close();
    await this.subscription?.stop();
    await this.running;
  }

  private async run(): Promise<void> {
    const { name, topic, checkpoints } = this.options;
    let prepared = false;
    while (!this.stopping.signal.aborted) {
      try {
        if (!prepared) {
          await checkpoints.prepare();
          prepared = true;
        }
        const after = await checkpoints.load(name);
        if (this.stopping.signal.aborted) break;
        this.logger.info(
          `relay ${name}: producing to ${topic} from ${after === undefined ? 'the first event' : `after position ${after}`}`,
        );
        this.producer = traceProducer(this.options.bus.producer());
        this.subscription = this.options.store.subscribeToAll({
          after,
          filter: this.options.filter,
          maxBatchSize: this.options.maxBatchSize,
          handle: (batch) => this.relayBatch(batch),
        });
        await this.subscription.done; // resolves only when stopped
        // Stopped by a failed checkpoint write (see relayBatch): restart after a wait.
        const failedSave = this.failedSave;
        this.failedSave = undefined;
        if (failedSave !== undefined) throw failedSave;
      } catch (error) {
        if (this.stopping.signal.aborted) break;
        this.failures++;
        const delay = backoffDelay(
          this.failures,
          this.options.restartBackoff ?? { initialMs: 500, maxMs: 30_000 },
        );
        this.logger.error(
          `relay ${name}: ${describeError(error)}; restarting from the stored checkpoint in ${delay} ms`,
          { relay: name, topic, attempt: this.failures, retryInMs: delay },
        );
        await sleep(delay, this.stopping.signal);
      } finally {
        // The last batch's checkpoint write finishes (or fails) before a restart or stop.
        await this.settleSave();
        await this.producer?.close();
        this.producer = undefined;
        this.subscription = undefined;
      }
    }
  }

  private async relayBatch(batch: EventBatch): Promise<void> {
    if (batch.events.length > 0) {
      await this.producer!.send(this.options.topic, batch.events.map(eventToMessage));
    }
    // The previous batch's checkpoint is written first (a failure of that
    // write stops the subscription here, and the relay restarts from what
    // is stored); then this one's, only now that Kafka acknowledged it.
    const previous = this.pendingSave;
    this.pendingSave = undefined;
    await previous;
    const save = this.options.checkpoints.save(this.options.name, batch.checkpoint).then(() => {
      this.saved = batch.checkpoint;
      if (this.failures > 0) {
        this.logger.info(
          `relay ${this.options.name}: producing again after ${this.failures} failed attempts`,
        );
        this.failures = 0;
      }
    });
    // A failed write with no batch after it would go unnoticed: it stops
    // the subscription, and the run loop restarts from the stored checkpoint.
    save.catch((error: unknown) => {
      if (this.pendingSave !== save) return; // the next batch met it already
      this.pendingSave = undefined;
      this.failedSave = error;
      void this.subscription?.stop();
    });
    this.pendingSave = save;
  }

  private async settleSave(): Promise<void> {
    const pending = this.pendingSave;
    this.pendingSave = undefined;
    if (!pending) return;
    await pending.catch((error: unknown) => {
      this.logger.error(
        `relay ${this.options.name}: saving the checkpoint failed (${describeError(error)}); the next start sends those events again`,
        { relay: this.options.name },
      );
    });
  }
}
