// The read side of the API: events and registrations from the read model,
// in the API's camelCase, with keyset (cursor) pagination. A cursor is the
// sort key of the last row of a page, base64url JSON: opaque to clients,
// no secret in it.
import { RuleViolationError } from '@engagement/decider';
import { quoteIdent } from '@engagement/sql-migrations';
import type { Pool } from 'pg';

export const DEFAULT_PAGE_SIZE = 50;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface EventFilters {
  status?: string;
  type?: string;
  platform?: string;
  /** scheduled_at at or after (ISO 8601). */
  from?: string;
  /** scheduled_at before (ISO 8601). */
  to?: string;
  limit?: number;
  cursor?: string;
}

export interface RegistrationFilters {
  eventId?: string;
  contactId?: string;
  status?: string;
  limit?: number;
  cursor?: string;
}

type Row = Record<string, unknown>;

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : (v as string | null));

export function eventView(row: Row) {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    type: row.type,
    platform: row.platform,
    platformEventId: row.platform_event_id,
    platformUrl: row.platform_url,
    platformMetadata: row.platform_metadata,
    scheduledAt: iso(row.scheduled_at),
    timezone: row.timezone,
    durationMinutes: row.duration_minutes,
    endsAt: iso(row.ends_at),
    landingPageSlug: row.landing_page_slug,
    coverImageUrl: row.cover_image_url,
    replayUrl: row.replay_url,
    resourcesUrl: row.resources_url,
    maxRegistrations: row.max_registrations,
    currentRegistrations: row.current_registrations,
    contentContext: row.content_context,
    status: row.status,
    startedAt: iso(row.started_at),
    completedAt: iso(row.completed_at),
    cancelledAt: iso(row.cancelled_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function registrationView(row: Row) {
  return {
    id: row.id,
    contactId: row.contact_id,
    eventId: row.event_id,
    platformRegistrantId: row.platform_registrant_id,
    platformJoinUrl: row.platform_join_url,
    platformMetadata: row.platform_metadata,
    attended: row.attended,
    attendedAt: iso(row.attended_at),
    attendanceDurationMinutes: row.attendance_duration_minutes,
    engagementScore: row.engagement_score,
    status: row.status,
    registrationSource: row.registration_source,
    sourceUrl: row.source_url,
    utmParams: row.utm_params,
    formData: row.form_data,
    remindersSent: row.reminders_sent,
    registeredAt: iso(row.registered_at),
    confirmedAt: iso(row.confirmed_at),
    cancelledAt: iso(row.cancelled_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export type EventView = ReturnType<typeof eventView>;
export type RegistrationView = ReturnType<typeof registrationView>;

function decodeCursor(cursor: string | undefined, list: string): [string, string] | null {
  if (cursor === undefined) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 3 &&
      parsed[0] === list &&
      typeof parsed[1] === 'string' &&
      typeof parsed[2] === 'string'
    )
      return [parsed[1], parsed[2]];
  } catch {
    /* refused below */
  }
  throw new RuleViolationError('cursor is not a cursor of this list', 'invalid-cursor', {
    field: 'cursor',
  });
}

function encodeCursor(list: string, key: string, id: string): string {
  return Buffer.from(JSON.stringify([list, key, id]), 'utf8').toString('base64url');
}

export class EventsQueries {
  private readonly s: string;

  constructor(
    private readonly pool: Pool,
    schema: string,
  ) {
    this.s = quoteIdent(schema);
  }

  async event(id: string): Promise<EventView | null> {
    const { rows } = await this.pool.query(`SELECT * FROM ${this.s}.events WHERE id = $1`, [id]);
    return rows[0] ? eventView(rows[0]) : null;
  }

  async registration(id: string): Promise<RegistrationView | null> {
    const { rows } = await this.pool.query(`SELECT * FROM ${this.s}.registrations WHERE id = $1`, [
      id,
    ]);
    return rows[0] ? registrationView(rows[0]) : null;
  }

  /** The registration of an event a platform knows by this registrant id. */
  async registrationIdByRegistrant(eventId: string, registrantId: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM ${this.s}.registrations WHERE event_id = $1 AND platform_registrant_id = $2`,
      [eventId, registrantId],
    );
    return rows[0]?.id ?? null;
  }

  /** A registration by the platform's registrant id alone (webhooks name the session, not our event). */
  async registrationByRegistrant(
    registrantId: string,
  ): Promise<{ id: string; eventId: string; attendedAt: string | null } | null> {
    const { rows } = await this.pool.query(
      `SELECT id, event_id, attended_at FROM ${this.s}.registrations WHERE platform_registrant_id = $1`,
      [registrantId],
    );
    if (!rows[0]) return null;
    return { id: rows[0].id, eventId: rows[0].event_id, attendedAt: iso(rows[0].attended_at) };
  }

  /** Events by scheduled time (then id), filtered. */
  async events(filters: EventFilters): Promise<Page<EventView>> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filters.status) add('status = ?', filters.status);
    if (filters.type) add('type = ?', filters.type);
    if (filters.platform) add('platform = ?', filters.platform);
    if (filters.from) add('scheduled_at >= ?', filters.from);
    if (filters.to) add('scheduled_at < ?', filters.to);
    const after = decodeCursor(filters.cursor, 'events');
    if (after) {
      params.push(after[0], after[1]);
      where.push(
        `(scheduled_at, id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`,
      );
    }
    const limit = filters.limit ?? DEFAULT_PAGE_SIZE;
    params.push(limit + 1);
    const { rows } = await this.pool.query(
      `SELECT * FROM ${this.s}.events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY scheduled_at, id LIMIT $${params.length}`,
      params,
    );
    const items = rows.slice(0, limit).map(eventView);
    const last = items.at(-1);
    return {
      items,
      nextCursor:
        rows.length > limit && last
          ? encodeCursor('events', last.scheduledAt as string, last.id as string)
          : null,
    };
  }

  /** Registrations of an event or of a contact, oldest first, filtered by status. */
  async registrations(filters: RegistrationFilters): Promise<Page<RegistrationView>> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filters.eventId) add('event_id = ?', filters.eventId);
    if (filters.contactId) add('contact_id = ?', filters.contactId);
    if (filters.status) add('status = ?', filters.status);
    const after = decodeCursor(filters.cursor, 'registrations');
    if (after) {
      params.push(after[0], after[1]);
      where.push(
        `(created_at, id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`,
      );
    }
    const limit = filters.limit ?? DEFAULT_PAGE_SIZE;
    params.push(limit + 1);
    const { rows } = await this.pool.query(
      `SELECT * FROM ${this.s}.registrations ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at, id LIMIT $${params.length}`,
      params,
    );
    const items = rows.slice(0, limit).map(registrationView);
    const last = items.at(-1);
    return {
      items,
      nextCursor:
        rows.length > limit && last
          ? encodeCursor('registrations', last.createdAt as string, last.id as string)
          : null,
    };
  }
}
