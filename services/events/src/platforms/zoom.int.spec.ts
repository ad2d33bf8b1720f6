// The Zoom adapter against the Zoom emulator (emulators/zoom, run here as
// its own process on a port of its own): a scheduled zoom_meeting event gets
// its meeting, each seated registrant a unique join URL; while Zoom answers
// 503 and 429 (with Retry-After) registrations are taken at once and none is
// lost: the registrants are added when Zoom answers again; webhooks signed
// by Zoom become attendance, unsigned ones are refused; the URL validation
// challenge is answered.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { findWorkspaceRoot } from '@engagement/config';
import { openEvent, startTestApp, type TestApp } from '../shared/test-app.testing';

const ZOOM_PORT = 4410;
const zoomUrl = `http://127.0.0.1:${ZOOM_PORT}`;
let emulator: ChildProcess;
let t: TestApp;

async function admin(method: string, path: string, body?: unknown) {
  const response = await fetch(`${zoomUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

beforeAll(async () => {
  const root = findWorkspaceRoot();
  emulator = spawn(
    join(root, 'node_modules', '.bin', 'node'),
    ['-r', '@swc-node/register', join(root, 'emulators', 'zoom', 'src', 'main.ts')],
    {
      cwd: root,
      env: {
        ...process.env,
        SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'),
        ZOOM_EMULATOR_PORT: String(ZOOM_PORT),
      },
      stdio: 'ignore',
    },
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = await fetch(`${zoomUrl}/health`)
      .then((r) => r.ok)
      .catch(() => false);
    if (up) break;
    if (Date.now() > deadline) throw new Error('the Zoom emulator did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  t = await startTestApp({
    zoom: {
      apiBase: zoomUrl,
      oauthBase: zoomUrl,
      accountId: 'emulator-account',
      clientId: 'emulator-client-id',
      clientSecret: 'emulator-client-secret',
      webhookSecretToken: 'emulator-webhook-secret',
    },
  });
}, 60_000);

afterAll(async () => {
  await t?.close();
  emulator?.kill('SIGTERM');
});

async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  what: string,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const row = async (sql: string, params: unknown[]) => (await t.query(sql, params))[0];

async function zoomEvent(): Promise<{ eventId: string; meetingId: string }> {
  const eventId = await openEvent(t, {
    platform: 'zoom_meeting',
    platformUrl: null,
    maxRegistrations: 50,
  });
  const meetingId = await eventually(async () => {
    const event = await row(`SELECT platform_event_id FROM "${t.schema}".events WHERE id = $1`, [
      eventId,
    ]);
    return event?.platform_event_id as string | undefined;
  }, 'the Zoom meeting of the event');
  return { eventId, meetingId };
}

async function joinUrls(eventId: string) {
  return t.query<{
    id: string;
    platform_registrant_id: string | null;
    platform_join_url: string | null;
  }>(
    `SELECT id, platform_registrant_id, platform_join_url FROM "${t.schema}".registrations WHERE event_id = $1`,
    [eventId],
  );
}

it('creates the meeting when the event is scheduled, and a registrant with a unique join URL per registration', async () => {
  const { eventId, meetingId } = await zoomEvent();
  expect(meetingId).toMatch(/^\d+$/);
  const event = await t.request('GET', `/events/${eventId}`);
  expect(event.body.platformUrl).toContain(zoomUrl);
  expect(event.body.platformMetadata).toMatchObject({ meeting_id: meetingId });

  for (const name of ['ada', 'grace'])
    expect(
      (
        await t.request('POST', '/registrations', {
          email: `${name}.${Date.now()}@example.com`,
          firstName: name,
          eventId,
        })
      ).status,
    ).toBe(201);
  const rows = await eventually(async () => {
    const list = await joinUrls(eventId);
    return list.length === 2 && list.every((r) => r.platform_join_url) && list;
  }, 'join URLs');
  expect(new Set(rows.map((r) => r.platform_join_url)).size).toBe(2);
  expect(rows.every((r) => r.platform_registrant_id)).toBe(true);
});

it('loses no registration while Zoom answers 503 and 429: registrants are added when it answers again', async () => {
  const { eventId, meetingId } = await zoomEvent();
  await admin('POST', '/__emulator/faults', {
    status: 503,
    count: 6,
    pathPrefix: `/v2/meetings/${meetingId}/registrants`,
  });
  await admin('POST', '/__emulator/faults', {
    status: 429,
    count: 3,
    retryAfterSeconds: 1,
    pathPrefix: `/v2/meetings/${meetingId}/registrants`,
  });
  const answers = await Promise.all(
    [1, 2, 3].map((i) =>
      t.request('POST', '/registrations', {
        email: `storm.${i}.${Date.now()}@example.com`,
        eventId,
      }),
    ),
  );
  expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
  const rows = await eventually(
    async () => {
      const list = await joinUrls(eventId);
      return list.length === 3 && list.every((r) => r.platform_join_url) && list;
    },
    'every registrant added after the faults',
    60_000,
  );
  expect(new Set(rows.map((r) => r.platform_registrant_id)).size).toBe(3);
  const { body } = await admin('GET', '/__emulator/calls');
  const statuses = (body.calls as { path: string; status: number }[])
    .filter((c) => c.path.startsWith(`/v2/meetings/${meetingId}/registrants`))
    .map((c) => c.status);
  expect(statuses).toEqual(expect.arrayContaining([503, 429, 201]));
  // Each registrant once on Zoom: no doubles from the retries.
  expect(statuses.filter((s) => s === 201)).toHaveLength(3);
});

it("turns Zoom's signed participant webhooks into attendance and refuses unsigned ones", async () => {
  const { eventId, meetingId } = await zoomEvent();
  const registered = await t.request('POST', '/registrations', {
    email: `attendee.${Date.now()}@example.com`,
    firstName: 'Alan',
    eventId,
  });
  const registrant = await eventually(async () => {
    const r = await row(
      `SELECT platform_registrant_id FROM "${t.schema}".registrations WHERE id = $1`,
      [registered.body.id],
    );
    return r?.platform_registrant_id as string | undefined;
  }, 'the registrant');
  await admin('PUT', '/__emulator/webhook', { url: `${t.url}/platforms/zoom/webhook` });
  const validation = await admin('POST', '/__emulator/webhook/url-validation');
  expect(validation.body).toMatchObject({ valid: true });

  const joined = await admin('POST', `/__emulator/meetings/${meetingId}/participants/join`, {
    user_name: 'Alan',
    registrant_id: registrant,
    join_time: '2030-01-01T10:00:00Z',
  });
  expect(joined.status).toBe(200);
  expect(joined.body.webhook).toMatchObject({ delivered: true });
  await admin('POST', `/__emulator/meetings/${meetingId}/participants/leave`, {
    registrant_id: registrant,
    leave_time: '2030-01-01T10:30:00Z',
  });
  const attended = await eventually(async () => {
    const r = await row(
      `SELECT status, attended, attended_at, attendance_duration_minutes, engagement_score FROM "${t.schema}".registrations WHERE id = $1`,
      [registered.body.id],
    );
    return r?.attendance_duration_minutes !== null && r;
  }, 'attendance');
  expect(attended).toMatchObject({
    status: 'attended',
    attended: true,
    attendance_duration_minutes: 30,
    engagement_score: 67,
  });
  expect((attended.attended_at as Date).toISOString()).toBe('2030-01-01T10:00:00.000Z');

  const unsigned = await fetch(`${t.url}/platforms/zoom/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-zm-request-timestamp': String(Math.floor(Date.now() / 1000)),
      'x-zm-signature': 'v0=00',
    },
    body: JSON.stringify({ event: 'meeting.participant_joined', payload: {} }),
  });
  expect(unsigned.status).toBe(401);
});

it("needs no remote call for in_person events: the join URL is the event's platform_url", async () => {
  const eventId = await openEvent(t, {
    platform: 'in_person',
    platformUrl: 'https://example.com/venue',
  });
  const calls = (await admin('GET', '/__emulator/calls')).body.calls.length;
  await t.request('POST', '/registrations', { email: `local.${Date.now()}@example.com`, eventId });
  const rows = await eventually(async () => {
    const list = await joinUrls(eventId);
    return list[0]?.platform_join_url ? list : undefined;
  }, 'the join URL');
  expect(rows[0].platform_join_url).toBe('https://example.com/venue');
  expect((await admin('GET', '/__emulator/calls')).body.calls.length).toBe(calls);
});
