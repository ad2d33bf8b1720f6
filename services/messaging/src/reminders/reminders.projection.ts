// The reminder schedule, from topic `events`: what messaging knows of each
// event (start, status, title, link) and registration (status, contact),
// and the table of due reminders, one row per (registration, reminder
// type). Every change of either side plans the registration's reminders
// again (reminder-schedule.ts): due times move with a reschedule, pending
// reminders are cancelled with the registration or the event, none for the
// waitlisted; a reminder already requested stays as it was.
//
// The scheduler (reminder-scheduler.ts) claims due rows; its lease and
// state columns are its own, so this projection is a work table, not an
// audited read model. "now" is the event's own time, so a replay plans the same.
import {
  isEventsServiceEventType,
  upcastEventsServiceEvent,
  type EventsServiceEvent,
} from '@engagement/contracts';
import type { RecordedEvent } from '@engagement/event-store';
import type { ProjectionDefinition } from '@engagement/projections';
import { quoteIdent } from '@engagement/projections';
import type { PoolClient } from 'pg';
import { parseReminderOffsets, planReminders, type ReminderOffset } from './reminder-schedule';

export const REMINDERS = 'messaging-reminders';

export function remindersProjection(
  schema: string,
  offsets: readonly ReminderOffset[],
): ProjectionDefinition {
  return {
    name: REMINDERS,
    schema,
    tables: [
      { name: 'reminder_events', primaryKey: ['event_id'] },
      { name: 'reminder_registrations', primaryKey: ['registration_id'] },
      { name: 'due_reminders', primaryKey: ['registration_id', 'reminder_type'] },
    ],
    source: 'kafka',
    filter: { streamPrefixes: ['event-', 'registration-'] },
    async migrate(client, target) {
      const s = quoteIdent(target);
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.reminder_events (
        event_id UUID PRIMARY KEY,
        title TEXT,
        scheduled_at TIMESTAMPTZ,
        timezone TEXT,
        duration_minutes INTEGER,
        platform_url TEXT,
        status TEXT NOT NULL DEFAULT 'scheduled',
        reminder_offsets JSONB
      )`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.reminder_registrations (
        registration_id UUID PRIMARY KEY,
        event_id UUID NOT NULL,
        contact_id UUID NOT NULL,
        status TEXT NOT NULL,
        join_url TEXT,
        registered_at TIMESTAMPTZ NOT NULL
      )`);
      await client.query(
        `CREATE INDEX IF NOT EXISTS idx_reminder_registrations_event ON ${s}.reminder_registrations (event_id)`,
      );
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.due_reminders (
        registration_id UUID NOT NULL,
        reminder_type TEXT NOT NULL,
        event_id UUID NOT NULL,
        contact_id UUID NOT NULL,
        due_at TIMESTAMPTZ NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        claimed_until TIMESTAMPTZ,
        requested_at TIMESTAMPTZ,
        PRIMARY KEY (registration_id, reminder_type)
      )`);
      await client.query(
        `CREATE INDEX IF NOT EXISTS idx_due_reminders_due ON ${s}.due_reminders (due_at) WHERE state = 'pending'`,
      );
    },
    async apply(events, client) {
      for (const recorded of events) {
        if (!isEventsServiceEventType(recorded.type)) continue;
        await applyEventsEvent(client, upcastEventsServiceEvent(recorded), recorded, offsets);
      }
    },
  };
}

async function applyEventsEvent(
  client: PoolClient,
  event: EventsServiceEvent,
  recorded: RecordedEvent,
  offsets: readonly ReminderOffset[],
): Promise<void> {
  const now = new Date(recorded.metadata.occurredAt);
  const data = event.data as Record<string, unknown>;
  const eventId = String(data.eventId);
  const setEvent = async (sets: string, params: unknown[]) => {
    await client.query(`UPDATE reminder_events SET ${sets} WHERE event_id = $1`, [
      eventId,
      ...params,
    ]);
    await planEvent(client, eventId, offsets, now);
  };
  const setRegistration = async (sets: string, params: unknown[]) => {
    await client.query(`UPDATE reminder_registrations SET ${sets} WHERE registration_id = $1`, [
      data.registrationId,
      ...params,
    ]);
    await planRegistration(client, String(data.registrationId), offsets, now);
  };
  switch (event.type) {
    case 'EventCreated':
      await client.query(
        `INSERT INTO reminder_events (event_id, title, scheduled_at, timezone, duration_minutes, platform_url, reminder_offsets)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING`,
        [
          eventId,
          event.data.title,
          event.data.scheduledAt,
          event.data.timezone,
          event.data.durationMinutes,
          event.data.platformUrl,
          offsetsOf(data),
        ],
      );
      await planEvent(client, eventId, offsets, now);
      return;
    case 'EventUpdated':
      if (event.data.title !== undefined) await setEvent('title = $2', [event.data.title]);
      if (event.data.platformUrl !== undefined)
        await setEvent('platform_url = $2', [event.data.platformUrl]);
      if (offsetsOf(data) !== null) await setEvent('reminder_offsets = $2', [offsetsOf(data)]);
      return;
    case 'EventRescheduled':
      await setEvent(
        `scheduled_at = $2, timezone = $3, duration_minutes = $4, status = 'scheduled'`,
        [event.data.scheduledAt, event.data.timezone, event.data.durationMinutes],
      );
      return;
    case 'EventPlatformLinked':
      await setEvent('platform_url = COALESCE($2, platform_url)', [event.data.platformUrl]);
      return;
    case 'EventCancelled':
      await setEvent(`status = 'cancelled'`, []);
      return;
    case 'EventPostponed':
      await setEvent(`status = 'postponed'`, []);
      return;
    case 'EventCompleted':
      await setEvent(`status = 'completed'`, []);
      return;
    case 'RegistrationCreated':
      await client.query(
        `INSERT INTO reminder_registrations (registration_id, event_id, contact_id, status, registered_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (registration_id) DO NOTHING`,
        [data.registrationId, eventId, data.contactId, event.data.status, event.data.registeredAt],
      );
      await planRegistration(client, String(data.registrationId), offsets, now);
      return;
    case 'RegistrationPromoted':
      await setRegistration(`status = 'registered'`, []);
      return;
    case 'RegistrationConfirmed':
      await setRegistration(`status = 'confirmed'`, []);
      return;
    case 'RegistrationCancelled':
      await setRegistration(`status = 'cancelled'`, []);
      return;
    case 'PlatformRegistrantAdded':
      await setRegistration('join_url = COALESCE($2, join_url)', [event.data.platformJoinUrl]);
      return;
    default:
      return;
  }
}

/** Per-event offsets, when the event carries them (`reminderOffsets: ["24h","1h"]`). */
function offsetsOf(data: Record<string, unknown>): string | null {
  return Array.isArray(data.reminderOffsets) ? JSON.stringify(data.reminderOffsets) : null;
}

async function planEvent(
  client: PoolClient,
  eventId: string,
  offsets: readonly ReminderOffset[],
  now: Date,
) {
  const { rows } = await client.query<{ registration_id: string }>(
    `SELECT registration_id FROM reminder_registrations WHERE event_id = $1`,
    [eventId],
  );
  for (const row of rows) await planRegistration(client, row.registration_id, offsets, now);
}

async function planRegistration(
  client: PoolClient,
  registrationId: string,
  defaults: readonly ReminderOffset[],
  now: Date,
) {
  const { rows } = await client.query<{
    event_id: string;
    contact_id: string;
    status: string;
    event_status: string | null;
    scheduled_at: Date | null;
    reminder_offsets: string[] | null;
  }>(
    `SELECT r.event_id, r.contact_id, r.status, e.status AS event_status, e.scheduled_at, e.reminder_offsets
       FROM reminder_registrations r LEFT JOIN reminder_events e ON e.event_id = r.event_id
      WHERE r.registration_id = $1`,
    [registrationId],
  );
  const row = rows[0];
  // The event's facts may come after its registration's (two streams, two partitions): planned then.
  if (!row || row.scheduled_at === null || row.event_status === null) return;
  const offsets = row.reminder_offsets
    ? parseReminderOffsets(row.reminder_offsets.join(','))
    : defaults;
  const planned = planReminders({
    registrationStatus: row.status,
    eventStatus: row.event_status,
    eventStartsAt: row.scheduled_at,
    offsets,
    now,
  });
  for (const reminder of planned) {
    await client.query(
      `INSERT INTO due_reminders (registration_id, reminder_type, event_id, contact_id, due_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (registration_id, reminder_type) DO UPDATE
         SET due_at = excluded.due_at, state = 'pending', claimed_until = NULL
       WHERE due_reminders.state <> 'requested'`,
      [registrationId, reminder.reminderType, row.event_id, row.contact_id, reminder.dueAt],
    );
  }
  await client.query(
    `UPDATE due_reminders SET state = 'cancelled'
      WHERE registration_id = $1 AND state = 'pending' AND NOT (reminder_type = ANY($2::text[]))`,
    [registrationId, planned.map((r) => r.reminderType)],
  );
}
