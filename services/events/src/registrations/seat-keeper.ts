// The seat keeper: makes registrations and seats agree from the stored
// events, after the requests that caused them (a reactor, see
// @engagement/service-runtime). The request paths do the same steps at
// once; this repairs what a crash between two appends left undone, and
// every step is idempotent, so doing it twice changes nothing:
// - a cancelled registration's seat is released (promoting the next);
// - a promotion decided in the seats is recorded on the registration;
// - a completed event marks its seated registrations without attendance no_show.
import type { RecordedEvent } from '@engagement/event-store';
import { systemContext, type ReactorOptions } from '@engagement/service-runtime';
import type { EventsStreams } from '../shared/events-streams';
import type { RegistrationsHandler } from './registrations.handler';

export function seatKeeper(
  streams: EventsStreams,
  registrations: RegistrationsHandler,
): ReactorOptions {
  return {
    name: 'events-seat-keeper',
    filter: {
      streamPrefixes: ['registration-', 'seats-', 'event-'],
      eventTypes: ['RegistrationCancelled', 'WaitlistPromoted', 'EventCompleted'],
    },
    async handle(event: RecordedEvent) {
      const context = systemContext('service:events', event.metadata.correlationId, event.id);
      const data = event.data as Record<string, string>;
      switch (event.type) {
        case 'RegistrationCancelled':
          await registrations.releaseSeat(data.eventId, data.registrationId, context);
          return;
        case 'WaitlistPromoted':
          await registrations.promote([data.registrationId], context);
          return;
        case 'EventCompleted': {
          const event_ = await streams.eventState(data.eventId);
          const seats = await streams.seatsState(data.eventId);
          for (const registrationId of seats.seated) {
            await streams.registration(
              registrationId,
              { type: 'MarkNoShow', registrationId, eventTitle: event_.details?.title ?? '' },
              context,
            );
          }
          return;
        }
      }
    },
  };
}
