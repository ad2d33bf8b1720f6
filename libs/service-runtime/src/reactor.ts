// A reactor: a service reacting to its own events with more commands or
// calls out (a freed seat promotes the next waitlisted registration; a new
// registration is added to Zoom). A checkpointed catch-up subscription over
// the event store, so the reaction happens after the append, outside the
// request, and survives crashes: the checkpoint moves after a batch was
// handled, a failure restarts from it after a backoff (at least once, so
// handlers are idempotent), and nothing is skipped. A failing call out
// (Zoom down) is retried until it works, the events waiting in the store.
import { PostgresRelayCheckpoints } from '@engagement/bus';
import type { EventFilter, EventStore, RecordedEvent, Subscription } from '@engagement/event-store';
import type { Pool } from 'pg';
import type { Log } from './log';

export interface ReactorOptions {
  /** Names its checkpoint: stable across restarts, one per reactor. */
  name: string;
  filter: EventFilter;
  /** Handles one event; throws to have it (and what follows) handled again later. */
  handle(event: RecordedEvent): Promise<void>;
  /** Waits after a failure; default 200 ms doubling to 10 s. */
  backoff?: { initialMs: number; maxMs: number };
  maxBatchSize?: number;
}

export interface RunningReactor {
  /** The position of the last event handled, or undefined before the first. */
  readonly checkpoint: bigint | undefined;
  /** Resolves once the reactor has handled everything up to `position`. */
  waitFor(position: bigint, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function startReactor(
  store: EventStore,
  pool: Pool,
  schema: string,
  log: Log,
  options: ReactorOptions,
): RunningReactor {
  const checkpoints = new PostgresRelayCheckpoints(pool, schema);
  const name = `reactor:${options.name}`;
  const backoff = options.backoff ?? { initialMs: 200, maxMs: 10_000 };
  let stopped = false;
  let saved: bigint | undefined;
  let subscription: Subscription | undefined;
  let wake: (() => void) | undefined;
  const waiters = new Set<{ position: bigint; resolve: () => void }>();
  const advance = (position: bigint) => {
    saved = position;
    for (const waiter of waiters)
      if (waiter.position <= position) {
        waiters.delete(waiter);
        waiter.resolve();
      }
  };

  const running = (async () => {
    let failures = 0;
    let prepared = false;
    while (!stopped) {
      try {
        if (!prepared) {
          await checkpoints.prepare();
          prepared = true;
        }
        const after = await checkpoints.load(name);
        if (after !== undefined) advance(after);
        if (stopped) break;
        subscription = store.subscribeToAll({
          after,
          filter: options.filter,
          maxBatchSize: options.maxBatchSize ?? 100,
          handle: async (batch) => {
            for (const event of batch.events) {
              if (stopped) throw new Error('reactor stopping');
              await options.handle(event);
            }
            await checkpoints.save(name, batch.checkpoint);
            advance(batch.checkpoint);
            failures = 0;
          },
        });
        await subscription.done;
      } catch (error) {
        if (stopped) break;
        failures++;
        const delay = Math.min(backoff.initialMs * 2 ** (failures - 1), backoff.maxMs);
        log.warn('reactor failed; restarting from its checkpoint', {
          reactor: options.name,
          error: (error as Error).message,
          attempt: failures,
          retryInMs: delay,
        });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          wake = () => (clearTimeout(timer), resolve());
        });
      } finally {
        subscription = undefined;
      }
    }
  })();

  return {
    get checkpoint() {
      return saved;
    },
    waitFor(position, timeoutMs = 10_000) {
      if (saved !== undefined && saved >= position) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const waiter = { position, resolve: () => (clearTimeout(timer), resolve()) };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`reactor ${options.name} did not reach ${position} in ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async stop() {
      stopped = true;
      wake?.();
      await subscription?.stop();
      await running;
    },
  };
}
