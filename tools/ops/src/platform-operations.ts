// The operators' view of the running platform: its event store, a database
// pool, and every service's projections (contacts, events, messaging, the CRM connectors).
// Built from the same environment variables as the services, so the tools
// act on exactly what `npm start` runs.
import { Pool } from 'pg';
import { loadPlatformConfig } from '@engagement/config';
import { createEventStore, type EventStore, type RecordedEvent } from '@engagement/event-store';
import type { ProjectionDefinition } from '@engagement/projections';
import { contactsOperatorView } from '@engagement/contacts';
import { eventsProjections, eventsReadable } from '@engagement/events';
import { messagingProjections, messagingReadable } from '@engagement/messaging';
import { connectorHubspotProjections } from '@engagement/connector-hubspot';
import { connectorGohighlevelProjections } from '@engagement/connector-gohighlevel';

export interface PlatformOperations {
  store: EventStore;
  pool: Pool;
  projections: ProjectionDefinition[];
  /** Shows an event as an auditor should read it (personal data in clear where still held). */
  readable(event: RecordedEvent): Promise<RecordedEvent>;
  close(): Promise<void>;
}

/**
 * Contacts' own events decrypted; the fields other services seal with a
 * contact's key (registrants' answers, messages) opened by their services'
 * views, which ask the running contacts service for the keys.
 */
function readableBy(
  ...views: Array<(event: RecordedEvent) => Promise<RecordedEvent>>
): (event: RecordedEvent) => Promise<RecordedEvent> {
  return async (event) => {
    let readable = event;
    for (const view of views) readable = await view(readable);
    return readable;
  };
}

export async function openPlatformOperations(
  env: NodeJS.ProcessEnv = process.env,
): Promise<PlatformOperations> {
  const platform = loadPlatformConfig(env);
  const pool = new Pool({ connectionString: platform.databaseUrl, max: 8 });
  const warn = (message: string) => process.stderr.write(`${message}\n`);
  const contacts = await contactsOperatorView(pool, warn, env);
  const store = await createEventStore({
    databaseUrl: platform.databaseUrl,
    eventStoreConnectionString: platform.eventStoreConnectionString,
    schema: contacts.config.eventStoreSchema,
  });
  return {
    store,
    pool,
    projections: [
      ...contacts.projections,
      ...eventsProjections(env),
      ...messagingProjections(env),
      ...connectorHubspotProjections(env),
      ...connectorGohighlevelProjections(env),
    ],
    readable: readableBy(
      (event) =>
        event.streamId.startsWith('contact-') ? contacts.decrypt(event) : Promise.resolve(event),
      eventsReadable(env),
      messagingReadable(env),
    ),
    async close() {
      await store.close();
      await pool.end();
    },
  };
}
