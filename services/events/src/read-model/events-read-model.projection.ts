// The events read model: the seed's `events` and `registrations` tables,
// kept from the event and registration streams. One definition serves the
// live runner, rebuilds, audits and swaps (@engagement/projections); rows
// are a pure function of the events (times from the events' metadata).
//
// events.current_registrations is recounted, for every event a batch
// touched, from the registrations rows written in the same transaction:
// it always equals the count of non-cancelled, non-waitlisted
// registrations, by construction rather than by bookkeeping.
import {
  EVENTS_SERVICE_EVENT_SCHEMA_VERSIONS,
  isEventsServiceEventType,
  upcastEventsServiceEvent,
  type EventsServiceEvent,
} from '@engagement/contracts';
import type { RecordedEvent } from '@engagement/event-store';
import type { Sealer } from '@engagement/personal-data';
import type { ProjectionDefinition } from '@engagement/projections';
import { applySqlMigrationsWith } from '@engagement/sql-migrations';
import type { PoolClient } from 'pg';
import { openRegistrationFields } from '../registrations/sealed-registration-fields';
import { eventsMigrations } from './events-read-model.ddl';

export const EVENTS_READ_MODEL = 'events-read-model';

/** The seed's snake_case column of each camelCase field events carry. */
const EVENT_COLUMNS: Record<string, string> = {
  title: 'title',
  description: 'description',
  type: 'type',
  platform: 'platform',
  platformEventId: 'platform_event_id',
  platformUrl: 'platform_url',
  platformMetadata: 'platform_metadata',
  scheduledAt: 'scheduled_at',
  timezone: 'timezone',
  durationMinutes: 'duration_minutes',
  landingPageSlug: 'landing_page_slug',
  coverImageUrl: 'cover_image_url',
  replayUrl: 'replay_url',
  resourcesUrl: 'resources_url',
  maxRegistrations: 'max_registrations',
  contentContext: 'content_context',
};
const JSON_COLUMNS = new Set(['platform_metadata', 'content_context', 'utm_params', 'form_data']);

/**
 * `sealer` opens the registrants' answers sealed in RegistrationCreated
 * (registrations/sealed-registration-fields.ts); an erased contact's open
 * as null, which the rows hold as ContactErased leaves them.
 */
export function createEventsReadModelProjection(
  schema = 'events',
  sealer: Sealer | null = null,
): ProjectionDefinition {
  return {
    name: EVENTS_READ_MODEL,
    schema,
    tables: [
      { name: 'events', primaryKey: ['id'] },
      { name: 'registrations', primaryKey: ['id'] },
    ],
    source: 'event-store',
    // ContactErased from the contacts service's streams of the same store, in
    // order with ours: a rebuild blanks what the live projection blanked.
    filter: {
      streamPrefixes: ['event-', 'registration-', 'contact-'],
      eventTypes: [...Object.keys(EVENTS_SERVICE_EVENT_SCHEMA_VERSIONS), 'ContactErased'],
    },
    async migrate(client, target) {
      await applySqlMigrationsWith(client, target, eventsMigrations(target));
    },
    async apply(events, client) {
      const touched = new Set<string>();
      for (const stored of events) {
        const recorded = await openRegistrationFields(sealer, stored);
        if (recorded.type === 'ContactErased') {
          await eraseContact(client, String(recorded.data.contactId), recorded.metadata.occurredAt);
          continue;
        }
        if (!isEventsServiceEventType(recorded.type)) continue;
        const event = upcastEventsServiceEvent(recorded);
        await applyEvent(client, event, recorded);
        touched.add(event.data.eventId);
      }
      if (touched.size > 0) {
        await client.query(
          `UPDATE events e SET current_registrations = (
             SELECT count(*) FROM registrations r
              WHERE r.event_id = e.id AND r.status NOT IN ('cancelled', 'waitlisted'))
            WHERE e.id = ANY($1::uuid[])`,
          [[...touched]],
        );
      }
    },
  };
}

/**
 * An erased contact's registrations keep their counts and statuses, and lose
 * what may be personal: the form answers, the UTM and source URL, the
 * platform's registrant data (its join URL names the person on Zoom).
 */
async function eraseContact(client: PoolClient, contactId: string, at: string): Promise<void> {
  await client.query(
    `UPDATE registrations SET form_data = '{}'::jsonb, utm_params = NULL, source_url = NULL,
        platform_join_url = NULL, platform_metadata = NULL, updated_at = $2
      WHERE contact_id = $1`,
    [contactId, at],
  );
}

function value(column: string, v: unknown): unknown {
  return JSON_COLUMNS.has(column) && v !== null && v !== undefined ? JSON.stringify(v) : v;
}

/** UPDATE <table> SET <columns>, updated_at WHERE id. */
async function update(
  client: PoolClient,
  table: 'events' | 'registrations',
  id: string,
  at: string,
  set: Record<string, unknown>,
): Promise<void> {
  const columns = Object.keys(set);
  const assignments = columns.map((c, i) => `${c} = $${i + 3}`);
  await client.query(
    `UPDATE ${table} SET ${[...assignments, 'updated_at = $2'].join(', ')} WHERE id = $1`,
    [id, at, ...columns.map((c) => value(c, set[c]))],
  );
}

async function applyEvent(
  client: PoolClient,
  event: EventsServiceEvent,
  recorded: RecordedEvent,
): Promise<void> {
  const at = recorded.metadata.occurredAt;
  switch (event.type) {
    case 'EventCreated': {
      const { eventId, ...details } = event.data;
      const columns = Object.keys(details).map((k) => EVENT_COLUMNS[k]);
      const values = Object.entries(details).map(([k, v]) => value(EVENT_COLUMNS[k], v));
      await client.query(
        `INSERT INTO events (id, ${columns.join(', ')}, status, created_at, updated_at)
         VALUES ($1, ${columns.map((_, i) => `$${i + 3}`).join(', ')}, 'draft', $2, $2)`,
        [eventId, at, ...values],
      );
      return;
    }
    case 'EventUpdated': {
      const { eventId, ...changes } = event.data;
      const set = Object.fromEntries(
        Object.entries(changes).map(([k, v]) => [EVENT_COLUMNS[k], v]),
      );
      await update(client, 'events', eventId, at, set);
      return;
    }
    case 'EventScheduled':
      return update(client, 'events', event.data.eventId, at, { status: 'scheduled' });
    case 'EventRescheduled':
      await update(client, 'events', event.data.eventId, at, {
        scheduled_at: event.data.scheduledAt,
        timezone: event.data.timezone,
        duration_minutes: event.data.durationMinutes,
      });
      await client.query(
        `UPDATE events SET status = 'scheduled' WHERE id = $1 AND status = 'postponed'`,
        [event.data.eventId],
      );
      return;
    case 'EventRegistrationOpened':
      return update(client, 'events', event.data.eventId, at, { status: 'registration_open' });
    case 'EventRegistrationClosed':
      return update(client, 'events', event.data.eventId, at, { status: 'registration_closed' });
    case 'EventStarted':
      return update(client, 'events', event.data.eventId, at, {
        status: 'live',
        started_at: event.data.startedAt,
      });
    case 'EventCompleted':
      return update(client, 'events', event.data.eventId, at, {
        status: 'completed',
        completed_at: event.data.completedAt,
      });
    case 'EventCancelled':
      return update(client, 'events', event.data.eventId, at, {
        status: 'cancelled',
        cancelled_at: event.data.cancelledAt,
      });
    case 'EventPostponed':
      return update(client, 'events', event.data.eventId, at, { status: 'postponed' });
    case 'EventPlatformLinked':
      return update(client, 'events', event.data.eventId, at, {
        platform_event_id: event.data.platformEventId,
        ...(event.data.platformUrl !== null && { platform_url: event.data.platformUrl }),
        platform_metadata: event.data.platformMetadata,
      });

    case 'RegistrationCreated': {
      const d = event.data;
      await client.query(
        `INSERT INTO registrations (id, contact_id, event_id, status, registration_source, source_url,
           utm_params, form_data, registered_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
        [
          d.registrationId,
          d.contactId,
          d.eventId,
          d.status,
          d.registrationSource,
          d.sourceUrl,
          value('utm_params', d.utmParams),
          // Opened as null once the contact is erased: blank, as ContactErased leaves it.
          value('form_data', d.formData ?? {}),
          d.registeredAt,
          at,
        ],
      );
      return;
    }
    case 'RegistrationPromoted':
      return update(client, 'registrations', event.data.registrationId, at, {
        status: 'registered',
      });
    case 'RegistrationConfirmed':
      return update(client, 'registrations', event.data.registrationId, at, {
        status: 'confirmed',
        confirmed_at: event.data.confirmedAt,
      });
    case 'RegistrationCancelled':
      return update(client, 'registrations', event.data.registrationId, at, {
        status: 'cancelled',
        cancelled_at: event.data.cancelledAt,
      });
    case 'RegistrationAttended':
      return update(client, 'registrations', event.data.registrationId, at, {
        status: 'attended',
        attended: true,
        attended_at: event.data.attendedAt,
        attendance_duration_minutes: event.data.durationMinutes,
        engagement_score: event.data.engagementScore,
      });
    case 'RegistrationMarkedNoShow':
      return update(client, 'registrations', event.data.registrationId, at, {
        status: 'no_show',
      });
    case 'PlatformRegistrantAdded':
      return update(client, 'registrations', event.data.registrationId, at, {
        platform_registrant_id: event.data.platformRegistrantId,
        platform_join_url: event.data.platformJoinUrl,
        platform_metadata: event.data.platformMetadata,
      });
    case 'RegistrationReminderSent': {
      const d = event.data;
      await client.query(
        `UPDATE registrations SET updated_at = $2,
           reminders_sent = COALESCE(reminders_sent, '[]'::jsonb) || jsonb_build_array($3::jsonb)
         WHERE id = $1`,
        [
          d.registrationId,
          at,
          JSON.stringify({
            type: d.reminderType,
            sent_at: d.sentAt,
            channel: d.channel,
            message_id: d.messageId,
          }),
        ],
      );
      return;
    }
  }
}
