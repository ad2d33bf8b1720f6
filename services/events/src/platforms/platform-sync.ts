// The platform sync: keeps the event's platform (Zoom) in step with the
// event and its registrations, from the stored events, after the requests
// (a reactor, see @engagement/service-runtime): a scheduled event gets its
// meeting or webinar, a reschedule or an update moves it, a cancellation
// deletes it; a seated registration (new or promoted) becomes a registrant
// with its own join URL, a cancelled one is cancelled there; a completed
// event imports who attended.
//
// No registration waits for Zoom and none is lost when Zoom fails: the
// registration is recorded first, and this reactor retries the event (with
// backoff, the events waiting in the store) until Zoom answers; a refusal
// that no retry can change (Zoom's 4xx) is logged and passed over. The
// registrant's address comes from the contacts service when it is needed,
// so no personal data is kept in this service's streams.
import type { RecordedEvent } from '@engagement/event-store';
import { systemContext, type Log, type ReactorOptions } from '@engagement/service-runtime';
import type { EventState } from '../events/event.decider';
import type { EventsQueries } from '../read-model/events.queries';
import type { ContactIdentity } from '../registrations/contacts-client';
import type { EventsStreams } from '../shared/events-streams';
import type { EventPlatforms, SessionDetails } from './event-platform';
import { ZoomApiError } from './zoom/zoom-client';

export interface PlatformSyncDeps {
  streams: EventsStreams;
  platforms: EventPlatforms;
  queries: EventsQueries;
  contact(contactId: string): Promise<ContactIdentity | null>;
  log: Log;
}

export function sessionOf(eventId: string, state: EventState): SessionDetails {
  const d = state.details!;
  return {
    eventId,
    platform: d.platform,
    title: d.title,
    description: d.description,
    scheduledAt: d.scheduledAt,
    timezone: d.timezone,
    durationMinutes: d.durationMinutes,
    platformUrl: d.platformUrl,
  };
}

export function platformSync(deps: PlatformSyncDeps): ReactorOptions {
  const { streams, platforms, log } = deps;
  return {
    name: 'events-platform-sync',
    filter: {
      streamPrefixes: ['event-', 'registration-'],
      eventTypes: [
        'EventScheduled',
        'EventRescheduled',
        'EventUpdated',
        'EventCancelled',
        'EventCompleted',
        'RegistrationCreated',
        'RegistrationPromoted',
        'RegistrationCancelled',
      ],
    },
    async handle(recorded: RecordedEvent) {
      try {
        await sync(deps, recorded);
      } catch (error) {
        if (error instanceof ZoomApiError && !error.transient && error.status !== 401) {
          log.warn('the platform refused; passed over', {
            event: recorded.type,
            eventId: recorded.id,
            error: error.message,
          });
          return;
        }
        throw error;
      }
    },
  };

  async function sync(deps: PlatformSyncDeps, recorded: RecordedEvent): Promise<void> {
    const data = recorded.data as Record<string, unknown>;
    const eventId = String(data.eventId);
    const state = await streams.eventState(eventId);
    if (!state.exists) return;
    const platform = platforms.for(state.details!.platform);
    const session = sessionOf(eventId, state);
    const linked = state.details!.platformEventId;
    const context = systemContext('service:events', recorded.metadata.correlationId, recorded.id);

    switch (recorded.type) {
      case 'EventScheduled': {
        if (linked || !platforms.remote(session.platform)) return;
        const created = await platform.createSession(session);
        if (!created) return;
        await streams.event(eventId, { type: 'LinkPlatform', eventId, ...created }, context);
        return;
      }
      case 'EventRescheduled':
      case 'EventUpdated':
        if (linked && state.status !== 'cancelled') await platform.updateSession(linked, session);
        return;
      case 'EventCancelled':
        if (linked) await platform.cancelSession(linked, session);
        return;
      case 'EventCompleted': {
        if (!linked) return;
        for (const record of await platform.importAttendance(linked, session)) {
          const registrationId = record.platformRegistrantId
            ? await deps.queries.registrationIdByRegistrant(eventId, record.platformRegistrantId)
            : null;
          if (!registrationId) continue;
          await streams
            .registration(
              registrationId,
              {
                type: 'RecordAttendance',
                registrationId,
                eventTitle: session.title,
                attendedAt: record.attendedAt,
                durationMinutes: record.durationMinutes,
                engagementScore: engagementScore(record.durationMinutes, session.durationMinutes),
              },
              context,
            )
            .catch((error: Error) =>
              log.warn('attendance not recorded', { registrationId, error: error.message }),
            );
        }
        return;
      }
      case 'RegistrationCreated':
      case 'RegistrationPromoted': {
        const registrationId = String(data.registrationId);
        const registration = await streams.registrationState(registrationId);
        if (!['registered', 'confirmed'].includes(registration.status)) return; // waitlisted, cancelled
        if (registration.platformJoinUrl || registration.platformRegistrantId) return;
        if (platforms.remote(session.platform) && !linked) return; // added when the session exists
        const contact = platforms.remote(session.platform)
          ? await deps.contact(registration.contactId)
          : { email: '', firstName: null, lastName: null };
        if (!contact) return; // erased
        const added = await platform.addRegistrant(linked, session, contact);
        await streams.registration(
          registrationId,
          { type: 'AddPlatformRegistrant', registrationId, ...added },
          context,
        );
        return;
      }
      case 'RegistrationCancelled': {
        const registration = await streams.registrationState(String(data.registrationId));
        if (!linked || !registration.platformRegistrantId) return;
        const contact = await deps.contact(registration.contactId);
        await platform.cancelRegistrant(linked, session, {
          platformRegistrantId: registration.platformRegistrantId,
          email: contact?.email ?? '',
        });
        return;
      }
    }
  }
}

/** 0-100: the share of the event's duration attended. */
export function engagementScore(
  attendedMinutes: number | null,
  durationMinutes: number,
): number | null {
  if (attendedMinutes === null || durationMinutes <= 0) return null;
  return Math.max(0, Math.min(100, Math.round((attendedMinutes / durationMinutes) * 100)));
}
