// The relay of the contacts service: its own events (contact and tag
// streams; email and tag reservations stay inside) produced to the Kafka
// topic `contacts`, keyed by stream id, from a checkpoint in this service's
// schema that moves only after Kafka acknowledged (libs/bus startRelay).
//
// The events go out as stored: personal fields encrypted. Kafka keeps event
// topics forever, so a copy in clear there would outlive an erasure; this
// way an erased contact is as unreadable on the topic as in the store.
// Consumers that need a contact's personal data read it from this service.
//
// Kafka may be down when the service starts: the relay then waits for it in
// the background and the service takes writes meanwhile (they wait in the
// event store).
import { KafkajsBus, PostgresRelayCheckpoints, startRelay, type Relay } from '@engagement/bus';
import type { EventStore } from '@engagement/event-store';
import type { Pool } from 'pg';
import type { Log } from './shared/log';

export interface ContactsRelayOptions {
  store: EventStore;
  pool: Pool;
  schema: string;
  kafkaBrokers: string[];
  /** `contacts`, unless a test uses a topic of its own. */
  topic: string;
  partitions: number;
  log: Log;
}

export interface RunningRelay {
  stop(): Promise<void>;
}

export function startContactsRelay(options: ContactsRelayOptions): RunningRelay {
  const bus = new KafkajsBus({ brokers: options.kafkaBrokers, clientId: 'contacts' });
  let relay: Relay | undefined;
  let stopped = false;
  const starting = (async () => {
    await bus.ensureTopics([{ topic: options.topic, partitions: options.partitions }]);
    if (stopped) return;
    relay = startRelay({
      store: options.store,
      bus,
      topic: options.topic,
      filter: { streamPrefixes: ['contact-', 'tag-'] },
      checkpoints: new PostgresRelayCheckpoints(options.pool, options.schema),
      name: `contacts-relay:${options.topic}`,
    });
  })().catch((error) => {
    if (!stopped) options.log.error('relay could not start', { error: (error as Error).message });
  });
  return {
    async stop() {
      stopped = true;
      await relay?.stop();
      await bus.close();
      await starting;
    },
  };
}
