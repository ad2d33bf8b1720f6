// Everything the events service runs besides its HTTP routes, in dependency
// order: the platform's runtime (pool, event store, projection, relay:
// @engagement/service-runtime), the aggregates' streams, the seat
// allocator, the contacts client, the command handlers, the read model and
// its queries, and the reactors (seat keeper). stop() takes it all down in
// reverse order.
import { SealingEventStore } from '@engagement/personal-data';
import { ServiceIdentity } from '@engagement/service-auth';
import { ServiceRuntime, ReadModelWaiter, type Log } from '@engagement/service-runtime';
import type { EventsConfig } from './config';
import { EventsHandler } from './events/events.handler';
import { SlugReservations } from './events/slug-reservations';
import { EventsQueries } from './read-model/events.queries';
import { createEventsReadModelProjection } from './read-model/events-read-model.projection';
import { ContactsClient } from './registrations/contacts-client';
import { RegistrationsHandler } from './registrations/registrations.handler';
import { SeatAllocator } from './registrations/seat-allocator';
import { fetchContact } from './registrations/contacts-client';
import { EventPlatforms } from './platforms/event-platform';
import { platformSync } from './platforms/platform-sync';
import { ZoomClient } from './platforms/zoom/zoom-client';
import { ZoomPlatform } from './platforms/zoom/zoom.platform';
import { seatKeeper } from './registrations/seat-keeper';
import { remindersSentConsumer } from './reminders/reminders-sent.consumer';
import { contactErasure } from './registrations/contact-erasure';
import {
  registrantDataKeys,
  sealedRegistrationFieldsOf,
} from './registrations/sealed-registration-fields';
import { EventsStreams } from './shared/events-streams';

export const EVENTS_RELAYED_STREAMS = ['event-', 'registration-'];

export interface EventsRuntime {
  config: EventsConfig;
  log: Log;
  base: ServiceRuntime;
  streams: EventsStreams;
  events: EventsHandler;
  registrations: RegistrationsHandler;
  queries: EventsQueries;
  waiter: ReadModelWaiter;
  stop(): Promise<void>;
}

export interface EventsRuntimeOptions {
  poolSize?: number;
}

export async function startEventsRuntime(
  config: EventsConfig,
  log: Log,
  options: EventsRuntimeOptions = {},
): Promise<EventsRuntime> {
  // The command path reads and appends through the event store's own pool; this one
  // serves the projection, reactors' checkpoints and queries: a few connections do.
  const base = await ServiceRuntime.open('events', config, log, {
    poolSize: options.poolSize ?? 10,
  });
  const sealer = registrantDataKeys(config);
  // Commands never read the sealed answers: they pass through sealed on read.
  const streams = new EventsStreams(
    new SealingEventStore(base.eventStore, sealer, sealedRegistrationFieldsOf, {
      openOnRead: false,
    }),
  );
  // The service's own identity towards contacts (service tokens, @engagement/service-auth).
  const identity = new ServiceIdentity('events', ['read', 'write'], config.serviceTokenKey);
  const contactsOptions = {
    baseUrl: config.contactsUrl,
    authorization: () => identity.authorization('contacts'),
  };
  const contacts = new ContactsClient(contactsOptions);
  const registrations = new RegistrationsHandler(
    streams,
    new SeatAllocator(base.eventStore),
    contacts,
  );
  const events = new EventsHandler(streams, new SlugReservations(base.eventStore), registrations);

  const projection = await base.startProjection(
    createEventsReadModelProjection(config.schema, sealer),
  );
  const queries = new EventsQueries(base.pool, config.schema);
  const platforms = new EventPlatforms(
    config.zoom ? new ZoomPlatform(new ZoomClient(config.zoom)) : null,
  );
  if (config.reactorsEnabled) {
    base.startReactor(seatKeeper(streams, registrations));
    base.startReactor(
      platformSync({
        streams,
        platforms,
        queries,
        contact: (contactId) => fetchContact(contactsOptions, contactId),
        log,
      }),
    );
    base.startReactor(contactErasure({ streams, platforms, queries, projection, keys: sealer }));
  }
  base.startRelay(EVENTS_RELAYED_STREAMS);
  if (config.messagingTopic)
    base.startConsumer(remindersSentConsumer(config.messagingTopic, streams, config.schema));

  return {
    config,
    log,
    base,
    streams,
    events,
    registrations,
    queries,
    waiter: new ReadModelWaiter(projection),
    stop: () => base.stop(),
  };
}
