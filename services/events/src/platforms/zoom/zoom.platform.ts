// The Zoom adapter: meetings for `zoom` and `zoom_meeting`, webinars for
// `zoom_webinar`, through Zoom's documented endpoints (API v2): create,
// update, delete; registrants (automatic approval, so each has its unique
// join_url at once) and their cancellation; past participants, paged, for
// attendance.
import { ZoomApiError, type ZoomClient } from './zoom-client';
import type {
  AttendanceRecord,
  EventPlatformAdapter,
  PlatformRegistrant,
  PlatformSession,
  SessionDetails,
} from '../event-platform';

type Kind = { plural: 'meetings' | 'webinars'; type: number };
const kindOf = (event: SessionDetails): Kind =>
  event.platform === 'zoom_webinar'
    ? { plural: 'webinars', type: 5 }
    : { plural: 'meetings', type: 2 };

/** Zoom wants yyyy-MM-ddTHH:mm:ssZ. */
const zoomTime = (iso: string) => new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');

function sessionBody(event: SessionDetails, kind: Kind) {
  return {
    topic: event.title.slice(0, 200),
    type: kind.type,
    start_time: zoomTime(event.scheduledAt),
    duration: event.durationMinutes,
    timezone: event.timezone,
    agenda: (event.description ?? '').slice(0, 2000),
    settings: { approval_type: 0, registration_type: 1 },
  };
}

export class ZoomPlatform implements EventPlatformAdapter {
  constructor(
    private readonly zoom: ZoomClient,
    /** The Zoom user that hosts the meetings; `me` is the account's owner for S2S apps. */
    private readonly hostUserId = 'me',
  ) {}

  async createSession(event: SessionDetails): Promise<PlatformSession> {
    const kind = kindOf(event);
    const created = await this.zoom.request<{
      id: number;
      uuid: string;
      join_url: string;
      host_id: string;
      registration_url?: string;
    }>('POST', `/users/${this.hostUserId}/${kind.plural}`, sessionBody(event, kind));
    if (!created) throw new Error('Zoom answered no body for a created session');
    return {
      platformEventId: String(created.id),
      platformUrl: created.join_url,
      platformMetadata: {
        [kind.plural === 'webinars' ? 'webinar_id' : 'meeting_id']: String(created.id),
        uuid: created.uuid,
        host_id: created.host_id,
        ...(created.registration_url ? { registration_url: created.registration_url } : {}),
      },
    };
  }

  async updateSession(platformEventId: string, event: SessionDetails): Promise<void> {
    const kind = kindOf(event);
    await this.zoom.request(
      'PATCH',
      `/${kind.plural}/${platformEventId}`,
      sessionBody(event, kind),
    );
  }

  async cancelSession(platformEventId: string, event: SessionDetails): Promise<void> {
    try {
      await this.zoom.request('DELETE', `/${kindOf(event).plural}/${platformEventId}`);
    } catch (error) {
      if (!(error instanceof ZoomApiError && error.status === 404)) throw error; // gone already
    }
  }

  async addRegistrant(
    platformEventId: string | null,
    event: SessionDetails,
    registrant: { email: string; firstName: string | null; lastName: string | null },
  ): Promise<PlatformRegistrant> {
    if (!platformEventId) throw new Error('The Zoom session does not exist yet');
    const added = await this.zoom.request<{ registrant_id: string; join_url?: string }>(
      'POST',
      `/${kindOf(event).plural}/${platformEventId}/registrants`,
      {
        email: registrant.email,
        // Zoom requires a first name; the address's local part stands in for a missing one.
        first_name: registrant.firstName || registrant.email.split('@')[0],
        ...(registrant.lastName ? { last_name: registrant.lastName } : {}),
      },
    );
    return {
      platformRegistrantId: added?.registrant_id ?? null,
      platformJoinUrl: added?.join_url ?? null,
      platformMetadata: null,
    };
  }

  async cancelRegistrant(
    platformEventId: string,
    event: SessionDetails,
    registrant: { platformRegistrantId: string | null; email: string },
  ): Promise<void> {
    await this.zoom.request(
      'PUT',
      `/${kindOf(event).plural}/${platformEventId}/registrants/status`,
      {
        action: 'cancel',
        registrants: [
          registrant.platformRegistrantId
            ? // An erased contact's address is gone: the registrant id alone names them.
              {
                id: registrant.platformRegistrantId,
                ...(registrant.email && { email: registrant.email }),
              }
            : { email: registrant.email },
        ],
      },
    );
  }

  async importAttendance(
    platformEventId: string,
    event: SessionDetails,
  ): Promise<AttendanceRecord[]> {
    const byWho = new Map<string, AttendanceRecord>();
    let pageToken = '';
    do {
      const page = await this.zoom.request<{
        next_page_token?: string;
        participants: {
          registrant_id?: string;
          user_email?: string;
          join_time: string;
          duration: number;
        }[];
      }>(
        'GET',
        `/past_${kindOf(event).plural}/${platformEventId}/participants?page_size=300${pageToken ? `&next_page_token=${encodeURIComponent(pageToken)}` : ''}`,
      );
      for (const p of page?.participants ?? []) {
        const key = p.registrant_id || p.user_email || '';
        if (!key) continue;
        const seen = byWho.get(key);
        // One person may join several times: the first join, the total time.
        byWho.set(key, {
          platformRegistrantId: p.registrant_id || null,
          email: p.user_email || null,
          attendedAt:
            seen && seen.attendedAt < p.join_time
              ? seen.attendedAt
              : new Date(p.join_time).toISOString(),
          durationMinutes: (seen?.durationMinutes ?? 0) + Math.round((p.duration ?? 0) / 60),
        });
      }
      pageToken = page?.next_page_token ?? '';
    } while (pageToken);
    return [...byWho.values()];
  }
}
