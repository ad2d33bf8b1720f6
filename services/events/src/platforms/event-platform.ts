// The platforms an event runs on, behind one small interface (after Novu's
// providers): create, update and cancel the platform's meeting or webinar,
// add and cancel a registrant (its id and unique join URL), import who
// attended. Which adapter serves an event follows from its `platform`:
// the Zoom ones for zoom/zoom_meeting/zoom_webinar, and for every other
// platform (in_person, virtual_custom, and those without an adapter yet)
// one that makes no remote call: the join URL is the event's platform_url.
import type { EventPlatform as PlatformName } from '@engagement/contracts';
import type { JsonObject } from '@engagement/event-store';

export interface SessionDetails {
  eventId: string;
  platform: PlatformName;
  title: string;
  description: string | null;
  scheduledAt: string;
  timezone: string;
  durationMinutes: number;
  platformUrl: string | null;
}

export interface PlatformSession {
  platformEventId: string;
  platformUrl: string | null;
  platformMetadata: JsonObject | null;
}

export interface RegistrantDetails {
  email: string;
  firstName: string | null;
  lastName: string | null;
}

export interface PlatformRegistrant {
  platformRegistrantId: string | null;
  platformJoinUrl: string | null;
  platformMetadata: JsonObject | null;
}

export interface AttendanceRecord {
  platformRegistrantId: string | null;
  email: string | null;
  attendedAt: string;
  durationMinutes: number;
}

export interface EventPlatformAdapter {
  /** The meeting/webinar for the event; null when the platform needs none. */
  createSession(event: SessionDetails): Promise<PlatformSession | null>;
  updateSession(platformEventId: string, event: SessionDetails): Promise<void>;
  cancelSession(platformEventId: string, event: SessionDetails): Promise<void>;
  addRegistrant(
    platformEventId: string | null,
    event: SessionDetails,
    registrant: RegistrantDetails,
  ): Promise<PlatformRegistrant>;
  cancelRegistrant(
    platformEventId: string,
    event: SessionDetails,
    registrant: { platformRegistrantId: string | null; email: string },
  ): Promise<void>;
  importAttendance(platformEventId: string, event: SessionDetails): Promise<AttendanceRecord[]>;
}

/** in_person, virtual_custom and every platform without an adapter: nothing remote. */
export const noRemotePlatform: EventPlatformAdapter = {
  createSession: async () => null,
  updateSession: async () => undefined,
  cancelSession: async () => undefined,
  addRegistrant: async (_id, event) => ({
    platformRegistrantId: null,
    platformJoinUrl: event.platformUrl,
    platformMetadata: null,
  }),
  cancelRegistrant: async () => undefined,
  importAttendance: async () => [],
};

export const ZOOM_PLATFORMS: readonly PlatformName[] = ['zoom', 'zoom_meeting', 'zoom_webinar'];

export class EventPlatforms {
  constructor(private readonly zoom: EventPlatformAdapter | null) {}

  /** The adapter for an event on `platform`. */
  for(platform: PlatformName): EventPlatformAdapter {
    return ZOOM_PLATFORMS.includes(platform) && this.zoom ? this.zoom : noRemotePlatform;
  }

  remote(platform: PlatformName): boolean {
    return this.for(platform) !== noRemotePlatform;
  }
}
