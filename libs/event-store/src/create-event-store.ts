// Picks the adapter: EventStoreDB/KurrentDB when EVENTSTORE_CONNECTION_STRING
// is set, else PostgreSQL (the default, and what runs on our machines).
import type { EventStore } from './event-store.port';
import { PostgresEventStore } from './postgres/postgres-event-store';

export async function createEventStore(config: {
  databaseUrl: string;
  eventStoreConnectionString?: string | undefined;
  schema?: string;
}): Promise<EventStore> {
  if (config.eventStoreConnectionString) {
    // Loaded lazily: services on PostgreSQL never load the gRPC client.
    const { EventStoreDbEventStore } = await import('./eventstoredb/eventstoredb-event-store');
    return EventStoreDbEventStore.connect(config.eventStoreConnectionString);
  }
  return PostgresEventStore.connect({
    connectionString: config.databaseUrl,
    schema: config.schema,
  });
}
