// Erasure of a contact, as far as this service holds its data: the read
// model blanks the registrations' personal fields on ContactErased (the
// projection reads it from the store, in order with our own events, so a
// rebuild does the same); this reactor then cancels the registrant on the
// platform (Zoom holds the address) and leaves the service's receipt on the
// contact's erasure stream (`npm run gdpr -- erasure-status`).
//
// The answers in this service's own events need nothing here: they are
// sealed with the contact's data key (sealed-registration-fields.ts), which
// the contacts service destroyed; the keys this service still holds for the
// contact are dropped at once rather than when they expire.
import type { RecordedEvent } from '@engagement/event-store';
import { recordErasureApplied, type ContactPersonalData } from '@engagement/personal-data';
import type { RunningProjection } from '@engagement/projections';
import type { ReactorOptions } from '@engagement/service-runtime';
import { sessionOf } from '../platforms/platform-sync';
import type { EventPlatforms } from '../platforms/event-platform';
import type { EventsQueries } from '../read-model/events.queries';
import type { EventsStreams } from '../shared/events-streams';

export function contactErasure(deps: {
  streams: EventsStreams;
  platforms: EventPlatforms;
  queries: EventsQueries;
  projection: Pick<RunningProjection, 'waitForPosition'>;
  keys: Pick<ContactPersonalData, 'forget'>;
}): ReactorOptions {
  return {
    name: 'events-contact-erasure',
    filter: { streamPrefixes: ['contact-'], eventTypes: ['ContactErased'] },
    async handle(recorded: RecordedEvent) {
      const contactId = String(recorded.data.contactId);
      deps.keys.forget(contactId);
      // The tables first: the receipt says they are blank.
      await deps.projection.waitForPosition(recorded.globalPosition, 30_000);
      const registrations = await deps.queries.registrations({ contactId, limit: 200 });
      let cancelled = 0;
      for (const registration of registrations.items) {
        const state = await deps.streams.registrationState(registration.id as string);
        const event = await deps.streams.eventState(registration.eventId as string);
        const linked = event.details?.platformEventId;
        if (!state.platformRegistrantId || !linked || !event.details) continue;
        await deps.platforms
          .for(event.details.platform)
          .cancelRegistrant(linked, sessionOf(registration.eventId as string, event), {
            platformRegistrantId: state.platformRegistrantId,
            email: '',
          });
        cancelled++;
      }
      await recordErasureApplied(
        deps.streams.store,
        {
          contactId,
          service: 'events',
          target: null,
          detail:
            `form data, UTM and source URL, platform join data blanked on ${registrations.items.length} ` +
            `registration(s); ${cancelled} platform registrant(s) cancelled`,
        },
        recorded.metadata.correlationId,
      );
    },
  };
}
