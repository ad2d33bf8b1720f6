// Meetings and webinars ("sessions" here: Zoom treats both alike), their
// registrants and their past participants, kept in memory. Shapes follow
// Zoom API v2: numeric ids, base64 UUIDs, snake_case fields, one unique
// join_url per registrant (none while a manual approval is pending).
import { randomBytes, randomInt } from 'node:crypto';

export type SessionKind = 'meeting' | 'webinar';

export interface Session {
  kind: SessionKind;
  uuid: string;
  id: number;
  host_id: string;
  host_email: string;
  topic: string;
  type: number;
  status: 'waiting' | 'started';
  start_time: string;
  duration: number;
  timezone: string;
  agenda: string;
  created_at: string;
  start_url: string;
  join_url: string;
  password: string;
  settings: Record<string, unknown>;
  [field: string]: unknown;
}

export interface Registrant {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  status: 'approved' | 'pending' | 'denied';
  create_time: string;
  join_url: string;
  [field: string]: unknown;
}

export interface Participant {
  id: string;
  participant_uuid: string;
  user_id: string;
  name: string;
  user_email: string;
  registrant_id: string;
  join_time: string;
  leave_time: string | null;
  duration: number;
  failover: boolean;
  status: 'in_meeting' | 'in_waiting_room';
}

/** Fields the API sets itself: a create or PATCH body cannot overwrite them. */
const READ_ONLY = new Set([
  'uuid',
  'id',
  'host_id',
  'host_email',
  'created_at',
  'start_url',
  'join_url',
  'kind',
  'status',
]);
const HOST_ID = 'emuHostId00000000001';

export class Sessions {
  private sessions = new Map<number, Session>();
  private registrants = new Map<number, Registrant[]>();
  private participants = new Map<number, Participant[]>();

  constructor(private readonly baseUrl: () => string) {}

  create(kind: SessionKind, userId: string, body: Record<string, unknown>, now: Date): Session {
    let id = randomInt(10_000_000_000, 99_999_999_999);
    while (this.sessions.has(id)) id = randomInt(10_000_000_000, 99_999_999_999);
    const fields = Object.fromEntries(Object.entries(body).filter(([k]) => !READ_ONLY.has(k)));
    const path = kind === 'meeting' ? 'j' : 'w';
    const session: Session = {
      topic: kind === 'meeting' ? 'Zoom Meeting' : 'Zoom Webinar',
      type: kind === 'meeting' ? 2 : 5,
      start_time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      duration: 60,
      timezone: 'UTC',
      agenda: '',
      password: randomBytes(4).toString('hex'),
      ...fields,
      settings: { approval_type: 2, registration_type: 1, ...(fields.settings as object) },
      kind,
      uuid: randomBytes(16).toString('base64'),
      id,
      host_id: HOST_ID,
      host_email: userId.includes('@') ? userId : 'host@emulator.zoom.invalid',
      status: 'waiting',
      created_at: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      start_url: `${this.baseUrl()}/s/${id}?zak=${randomBytes(12).toString('base64url')}`,
      join_url: `${this.baseUrl()}/${path}/${id}?pwd=${randomBytes(12).toString('base64url')}`,
    };
    this.sessions.set(id, session);
    this.registrants.set(id, []);
    this.participants.set(id, []);
    return session;
  }

  /** By numeric id, or (past meetings/webinars) by UUID. */
  find(kind: SessionKind, idOrUuid: string): Session | null {
    const byId = /^\d+$/.test(idOrUuid) ? this.sessions.get(Number(idOrUuid)) : undefined;
    const session = byId ?? [...this.sessions.values()].find((s) => s.uuid === idOrUuid);
    return session && session.kind === kind ? session : null;
  }

  update(session: Session, body: Record<string, unknown>): void {
    for (const [key, value] of Object.entries(body)) {
      if (READ_ONLY.has(key)) continue;
      if (key === 'settings' && value && typeof value === 'object')
        session.settings = { ...session.settings, ...(value as object) };
      else session[key] = value;
    }
  }

  delete(session: Session): void {
    this.sessions.delete(session.id);
    this.registrants.delete(session.id);
    this.participants.delete(session.id);
  }

  /** Registering an email already registered answers the same registrant. */
  register(session: Session, body: Record<string, unknown>, now: Date): Registrant {
    const list = this.registrants.get(session.id)!;
    const email = String(body.email);
    const existing = list.find(
      (r) => r.email.toLowerCase() === email.toLowerCase() && r.status !== 'denied',
    );
    if (existing) return existing;
    const manual = session.settings.approval_type === 1;
    const id = randomBytes(16).toString('base64url');
    const path = session.kind === 'meeting' ? 'j' : 'w';
    const registrant: Registrant = {
      ...body,
      id,
      email,
      first_name: String(body.first_name),
      last_name: typeof body.last_name === 'string' ? body.last_name : '',
      status: manual ? 'pending' : 'approved',
      create_time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      join_url: `${this.baseUrl()}/${path}/${session.id}?tk=${randomBytes(24).toString('base64url')}`,
    };
    list.push(registrant);
    return registrant;
  }

  registrantsOf(session: Session): Registrant[] {
    return this.registrants.get(session.id) ?? [];
  }

  /** approve / deny / cancel, by registrant id or email; cancelled registrants count as denied. */
  setRegistrantStatus(
    session: Session,
    action: string,
    who: { id?: string; email?: string }[],
  ): void {
    const status = action === 'approve' ? 'approved' : 'denied';
    for (const registrant of this.registrantsOf(session)) {
      const named = who.some(
        (w) =>
          (w.id && w.id === registrant.id) ||
          (w.email && w.email.toLowerCase() === registrant.email.toLowerCase()),
      );
      if (named) registrant.status = status;
    }
  }

  findRegistrant(
    session: Session,
    by: { registrantId?: string; joinUrl?: string },
  ): Registrant | null {
    return (
      this.registrantsOf(session).find(
        (r) =>
          (by.registrantId && r.id === by.registrantId) ||
          (by.joinUrl && r.join_url === by.joinUrl),
      ) ?? null
    );
  }

  join(
    session: Session,
    who: { name: string; email: string; registrantId: string },
    at: Date,
  ): Participant {
    const participant: Participant = {
      id: randomBytes(8).toString('base64url'),
      participant_uuid: randomBytes(16).toString('hex').toUpperCase(),
      user_id: String(randomInt(16_000_000, 17_000_000)),
      name: who.name,
      user_email: who.email,
      registrant_id: who.registrantId,
      join_time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      leave_time: null,
      duration: 0,
      failover: false,
      status: 'in_meeting',
    };
    session.status = 'started';
    this.participants.get(session.id)!.push(participant);
    return participant;
  }

  /** The latest participant still in the session that matches, now left. */
  leave(
    session: Session,
    who: { participantUuid?: string; email?: string; registrantId?: string },
    at: Date,
  ): Participant | null {
    const open = (this.participants.get(session.id) ?? []).filter((p) => p.leave_time === null);
    const participant = open
      .reverse()
      .find(
        (p) =>
          (who.participantUuid && p.participant_uuid === who.participantUuid) ||
          (who.email && p.user_email.toLowerCase() === who.email.toLowerCase()) ||
          (who.registrantId && p.registrant_id === who.registrantId),
      );
    if (!participant) return null;
    participant.leave_time = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
    participant.duration = Math.max(
      0,
      Math.round((at.getTime() - Date.parse(participant.join_time)) / 1000),
    );
    return participant;
  }

  participantsOf(session: Session): Participant[] {
    return this.participants.get(session.id) ?? [];
  }

  clear(): void {
    this.sessions.clear();
    this.registrants.clear();
    this.participants.clear();
  }
}

/** One page of a list, with Zoom's opaque next_page_token ('' on the last page). */
export function page<T>(
  items: T[],
  query: URLSearchParams,
): { page_size: number; total_records: number; next_page_token: string; items: T[] } | string {
  const size = query.has('page_size') ? Number(query.get('page_size')) : 30;
  if (!Number.isInteger(size) || size < 1 || size > 300)
    return 'page_size must be an integer from 1 to 300';
  const token = query.get('next_page_token') ?? '';
  const offset = token
    ? Number(Buffer.from(token, 'base64url').toString('utf8').replace(/^o:/, ''))
    : 0;
  if (!Number.isInteger(offset) || offset < 0) return 'Invalid next_page_token';
  const next = offset + size;
  return {
    page_size: size,
    total_records: items.length,
    next_page_token: next < items.length ? Buffer.from(`o:${next}`).toString('base64url') : '',
    items: items.slice(offset, next),
  };
}
