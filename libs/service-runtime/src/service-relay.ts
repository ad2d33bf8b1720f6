// A service's relay: its own events (the streams named by its prefixes; the
// rest, e.g. reservation streams, stay inside) produced to its Kafka topic,
// keyed by stream id, from a checkpoint in the service's schema that moves
// only after Kafka acknowledged (libs/bus startRelay).
//
// Kafka may be down when the service starts: the relay then waits for it in
// the background and the service takes writes meanwhile (they wait in the
// event store).
import { PostgresRelayCheckpoints, startRelay, type Bus, type Relay } from '@engagement/bus';
import type { EventStore } from '@engagement/event-store';
import type { Pool } from 'pg';
import type { Log } from './log';

export interface ServiceRelayOptions {
  /** Names the checkpoint: `<service>-relay:<topic>`. */
  service: string;
  store: EventStore;
  bus: Bus;
  pool: Pool;
  /** Where the relay keeps its checkpoint. */
  schema: string;
  topic: string;
  partitions: number;
  /** The service's own streams, e.g. ['contact-', 'tag-']. */
  streamPrefixes: string[];
  log: Log;
}

export interface RunningRelay {
  /** Stops the relay; a start still waiting for Kafka ends when the bus closes. */
  stop(): Promise<void>;
  /** Settles once the start has finished or given up (after stop() and the bus's close). */
  started: Promise<void>;
}

export function startServiceRelay(options: ServiceRelayOptions): RunningRelay {
  let relay: Relay | undefined;
  let stopped = false;
  const starting = (async () => {
    await options.bus.ensureTopics([{ topic: options.topic, partitions: options.partitions }]);
    if (stopped) return;
    relay = startRelay({
      store: options.store,
      bus: options.bus,
      topic: options.topic,
      filter: { streamPrefixes: options.streamPrefixes },
      checkpoints: new PostgresRelayCheckpoints(options.pool, options.schema),
      name: `${options.service}-relay:${options.topic}`,
    });
  })().catch((error) => {
    if (!stopped) options.log.error('relay could not start', { error: (error as Error).message });
  });
  return {
    async stop() {
      stopped = true;
      await relay?.stop();
    },
    started: starting,
  };
}
