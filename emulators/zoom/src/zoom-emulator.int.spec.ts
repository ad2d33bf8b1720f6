// Drives the Zoom emulator over HTTP as an adapter would: OAuth, meetings,
// webinars, registrants, past participants, faults, and signed webhooks
// received by a local endpoint.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ZOOM_EMULATOR_DEFAULTS, startZoomEmulator, type ZoomEmulator } from './index';

const config = { ...ZOOM_EMULATOR_DEFAULTS, port: 0, webhookRetryDelaysMs: [20, 20] };
const basic = `Basic ${Buffer.from(`${config.clientId}:${config.clientSecret}`).toString('base64')}`;

interface ParticipantsPage {
  total_records: number;
  page_size: number;
  next_page_token: string;
  participants: Record<string, unknown>[];
}

interface ParticipantEvent {
  event: string;
  payload: {
    account_id: string;
    object: { id: string; uuid: string; participant: Record<string, unknown> };
  };
}

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
}

/** A webhook endpoint that answers with the statuses it is given, then 200. */
async function receiver(statuses: number[] = [], answer?: (raw: string) => unknown) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, raw });
      const status = statuses.shift() ?? 200;
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify(answer ? answer(raw) : {}));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/zoom`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('Zoom emulator', () => {
  let zoom: ZoomEmulator;
  let token: string;

  const call = (method: string, path: string, body?: unknown, bearer = token) =>
    fetch(`${zoom.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${zoom.url}/__emulator${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const getToken = async () => {
    const res = await fetch(
      `${zoom.url}/oauth/token?grant_type=account_credentials&account_id=${config.accountId}`,
      {
        method: 'POST',
        headers: { authorization: basic },
      },
    );
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  };

  beforeAll(async () => {
    zoom = await startZoomEmulator(config);
  });
  afterAll(() => zoom.close());
  beforeEach(async () => {
    expect((await admin('POST', '/reset')).status).toBe(204);
    token = await getToken();
  });

  describe('Server-to-Server OAuth', () => {
    it('answers a bearer token that lasts an hour', async () => {
      const res = await fetch(
        `${zoom.url}/oauth/token?grant_type=account_credentials&account_id=${config.accountId}`,
        {
          method: 'POST',
          headers: { authorization: basic },
        },
      );
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ token_type: 'bearer', expires_in: 3600 });
      expect(typeof body.access_token).toBe('string');
    });

    it('answers 401 to a wrong client secret and 400 to another account', async () => {
      const wrong = `Basic ${Buffer.from(`${config.clientId}:nope`).toString('base64')}`;
      const bad = await fetch(
        `${zoom.url}/oauth/token?grant_type=account_credentials&account_id=${config.accountId}`,
        {
          method: 'POST',
          headers: { authorization: wrong },
        },
      );
      expect(bad.status).toBe(401);
      expect(await bad.json()).toMatchObject({ error: 'invalid_client' });
      const other = await fetch(
        `${zoom.url}/oauth/token?grant_type=account_credentials&account_id=other`,
        {
          method: 'POST',
          headers: { authorization: basic },
        },
      );
      expect(other.status).toBe(400);
    });

    it('answers 401 code 124 to unknown and expired tokens', async () => {
      const unknown = await call('GET', '/v2/meetings/12345678901', undefined, 'forged');
      expect(unknown.status).toBe(401);
      expect(await unknown.json()).toEqual({ code: 124, message: 'Invalid access token.' });
      expect((await admin('POST', '/tokens/expire')).status).toBe(204);
      const expired = await call('GET', '/v2/meetings/12345678901');
      expect(expired.status).toBe(401);
      expect(await expired.json()).toEqual({ code: 124, message: 'Access token is expired.' });
    });

    it('issues tokens that are already expired when their lifetime is 0', async () => {
      const shortLived = await startZoomEmulator({ ...config, tokenTtlSeconds: 0 });
      try {
        const res = await fetch(
          `${shortLived.url}/oauth/token?grant_type=account_credentials&account_id=${config.accountId}`,
          { method: 'POST', headers: { authorization: basic } },
        );
        const { access_token } = (await res.json()) as { access_token: string };
        const used = await fetch(`${shortLived.url}/v2/meetings/1`, {
          headers: { authorization: `Bearer ${access_token}` },
        });
        expect(used.status).toBe(401);
      } finally {
        await shortLived.close();
      }
    });
  });

  describe('meetings', () => {
    it('creates, reads, updates and deletes a meeting', async () => {
      const created = await call('POST', '/v2/users/me/meetings', {
        topic: 'Launch',
        type: 2,
        start_time: '2027-01-10T15:00:00Z',
        duration: 45,
        settings: { approval_type: 0 },
      });
      expect(created.status).toBe(201);
      const meeting = (await created.json()) as Record<string, unknown>;
      expect(meeting).toMatchObject({
        topic: 'Launch',
        type: 2,
        duration: 45,
        start_time: '2027-01-10T15:00:00Z',
      });
      expect(typeof meeting.id).toBe('number');
      expect(typeof meeting.uuid).toBe('string');
      expect(meeting.join_url).toMatch(/^http/);

      expect(
        (
          await call('PATCH', `/v2/meetings/${meeting.id}`, {
            topic: 'Launch (moved)',
            duration: 60,
          })
        ).status,
      ).toBe(204);
      const read = (await (await call('GET', `/v2/meetings/${meeting.id}`)).json()) as Record<
        string,
        unknown
      >;
      expect(read).toMatchObject({
        id: meeting.id,
        topic: 'Launch (moved)',
        duration: 60,
        settings: { approval_type: 0 },
      });

      expect((await call('DELETE', `/v2/meetings/${meeting.id}`)).status).toBe(204);
      const gone = await call('GET', `/v2/meetings/${meeting.id}`);
      expect(gone.status).toBe(404);
      expect(await gone.json()).toEqual({
        code: 3001,
        message: `Meeting does not exist: ${meeting.id}.`,
      });
    });

    it('answers 400 Validation Failed with the fields at fault', async () => {
      const res = await call('POST', '/v2/users/me/meetings', { topic: 'x', duration: 'long' });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 300, errors: [{ field: 'duration' }] });
    });
  });

  describe('registrants', () => {
    const createMeeting = async (approval_type = 0) =>
      (
        (await (
          await call('POST', '/v2/users/me/meetings', {
            topic: 'Demo',
            settings: { approval_type },
          })
        ).json()) as {
          id: number;
        }
      ).id;

    it('gives each registrant a unique join URL, and the same registrant for the same email', async () => {
      const id = await createMeeting();
      const register = async (email: string) => {
        const res = await call('POST', `/v2/meetings/${id}/registrants`, {
          email,
          first_name: 'Ada',
          last_name: 'L',
        });
        expect(res.status).toBe(201);
        return (await res.json()) as { id: number; registrant_id: string; join_url: string };
      };
      const ada = await register('ada@example.com');
      const bob = await register('bob@example.com');
      const adaAgain = await register('ADA@example.com');
      expect(ada.id).toBe(id);
      expect(ada.join_url).not.toBe(bob.join_url);
      expect(ada.registrant_id).not.toBe(bob.registrant_id);
      expect(adaAgain.registrant_id).toBe(ada.registrant_id);
    });

    it('cancels registrants through the status endpoint', async () => {
      const id = await createMeeting();
      const res = await call('POST', `/v2/meetings/${id}/registrants`, {
        email: 'c@example.com',
        first_name: 'C',
      });
      const { registrant_id } = (await res.json()) as { registrant_id: string };
      const cancel = await call('PUT', `/v2/meetings/${id}/registrants/status`, {
        action: 'cancel',
        registrants: [{ id: registrant_id }],
      });
      expect(cancel.status).toBe(204);
      const approved = (await (await call('GET', `/v2/meetings/${id}/registrants`)).json()) as {
        registrants: unknown[];
      };
      expect(approved.registrants).toEqual([]);
      const denied = (await (
        await call('GET', `/v2/meetings/${id}/registrants?status=denied`)
      ).json()) as {
        registrants: { id: string }[];
      };
      expect(denied.registrants.map((r) => r.id)).toEqual([registrant_id]);
    });

    it('answers no join URL while a manual approval is pending', async () => {
      const id = await createMeeting(1);
      const res = await call('POST', `/v2/meetings/${id}/registrants`, {
        email: 'p@example.com',
        first_name: 'P',
      });
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.registrant_id).toEqual(expect.any(String));
      expect(body).not.toHaveProperty('join_url');
    });

    it('rejects a registrant without email', async () => {
      const id = await createMeeting();
      const res = await call('POST', `/v2/meetings/${id}/registrants`, { first_name: 'N' });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 300, errors: [{ field: 'email' }] });
    });
  });

  describe('webinars', () => {
    it('has the same lifecycle and registrants as meetings', async () => {
      const created = await call('POST', '/v2/users/host@example.com/webinars', {
        topic: 'Webinar',
        type: 5,
      });
      expect(created.status).toBe(201);
      const webinar = (await created.json()) as { id: number; host_email: string };
      expect(webinar.host_email).toBe('host@example.com');
      const reg = await call('POST', `/v2/webinars/${webinar.id}/registrants`, {
        email: 'w@example.com',
        first_name: 'W',
      });
      expect(reg.status).toBe(201);
      const { registrant_id } = (await reg.json()) as { registrant_id: string };
      const cancel = await call('PUT', `/v2/webinars/${webinar.id}/registrants/status`, {
        action: 'cancel',
        registrants: [{ id: registrant_id, email: 'w@example.com' }],
      });
      expect(cancel.status).toBe(204);
      expect((await call('GET', `/v2/meetings/${webinar.id}`)).status).toBe(404);
      expect((await call('DELETE', `/v2/webinars/${webinar.id}`)).status).toBe(204);
      expect(await (await call('GET', `/v2/webinars/${webinar.id}`)).json()).toMatchObject({
        code: 3001,
      });
    });
  });

  describe('participants and webhooks', () => {
    it('records participants as past participants and sends signed webhooks', async () => {
      const endpoint = await receiver();
      try {
        expect((await admin('PUT', '/webhook', { url: endpoint.url })).status).toBe(204);
        const meeting = (await (
          await call('POST', '/v2/users/me/meetings', { topic: 'Live' })
        ).json()) as {
          id: number;
          uuid: string;
        };
        const reg = (await (
          await call('POST', `/v2/meetings/${meeting.id}/registrants`, {
            email: 'ada@example.com',
            first_name: 'Ada',
          })
        ).json()) as { registrant_id: string; join_url: string };

        const joined = await admin('POST', `/meetings/${meeting.id}/participants/join`, {
          user_name: 'Ada',
          email: 'ada@example.com',
          join_url: reg.join_url,
          join_time: '2027-01-10T15:00:00Z',
        });
        expect(joined.status).toBe(200);
        const { participant, webhook } = (await joined.json()) as {
          participant: { participant_uuid: string; registrant_id: string };
          webhook: { delivered: boolean };
        };
        expect(participant.registrant_id).toBe(reg.registrant_id);
        expect(webhook.delivered).toBe(true);
        await admin('POST', `/meetings/${meeting.id}/participants/join`, { user_name: 'Guest' });
        const left = await admin('POST', `/meetings/${meeting.id}/participants/leave`, {
          participant_uuid: participant.participant_uuid,
          leave_time: '2027-01-10T15:30:00Z',
        });
        expect(left.status).toBe(200);

        expect(endpoint.received).toHaveLength(3);
        for (const { headers, raw } of endpoint.received) {
          const ts = String(headers['x-zm-request-timestamp']);
          const expected = `v0=${createHmac('sha256', config.webhookSecretToken).update(`v0:${ts}:${raw}`).digest('hex')}`;
          expect(headers['x-zm-signature']).toBe(expected);
        }
        const events = endpoint.received.map((r) => JSON.parse(r.raw) as ParticipantEvent);
        expect(events.map((e) => e.event)).toEqual([
          'meeting.participant_joined',
          'meeting.participant_joined',
          'meeting.participant_left',
        ]);
        expect(events[0].payload).toMatchObject({
          account_id: config.accountId,
          object: {
            id: String(meeting.id),
            uuid: meeting.uuid,
            participant: {
              user_name: 'Ada',
              email: 'ada@example.com',
              registrant_id: reg.registrant_id,
              join_time: '2027-01-10T15:00:00Z',
            },
          },
        });
        expect(events[2].payload.object.participant).toMatchObject({
          leave_time: '2027-01-10T15:30:00Z',
        });

        // Past participants, one per page, by the meeting's UUID (double-encoded as Zoom asks).
        const uuid = encodeURIComponent(encodeURIComponent(meeting.uuid));
        const first = (await (
          await call('GET', `/v2/past_meetings/${uuid}/participants?page_size=1`)
        ).json()) as ParticipantsPage;
        expect(first).toMatchObject({ total_records: 2, page_size: 1 });
        expect(first.participants[0]).toMatchObject({
          name: 'Ada',
          user_email: 'ada@example.com',
          duration: 1800,
        });
        expect(first.next_page_token).not.toBe('');
        const second = (await (
          await call(
            'GET',
            `/v2/past_meetings/${meeting.id}/participants?page_size=1&next_page_token=${first.next_page_token}`,
          )
        ).json()) as ParticipantsPage;
        expect(second.participants[0]).toMatchObject({ name: 'Guest', leave_time: null });
        expect(second.next_page_token).toBe('');
      } finally {
        await endpoint.close();
      }
    });

    it('sends webinar events too, and refuses a cancelled registrant', async () => {
      const endpoint = await receiver();
      try {
        await admin('PUT', '/webhook', { url: endpoint.url, secretToken: 'other-secret' });
        const webinar = (await (
          await call('POST', '/v2/users/me/webinars', { topic: 'W' })
        ).json()) as { id: number };
        const reg = (await (
          await call('POST', `/v2/webinars/${webinar.id}/registrants`, {
            email: 'x@example.com',
            first_name: 'X',
          })
        ).json()) as { registrant_id: string };
        await admin('POST', `/webinars/${webinar.id}/participants/join`, {
          user_name: 'X',
          registrant_id: reg.registrant_id,
        });
        await admin('POST', `/webinars/${webinar.id}/participants/leave`, {
          registrant_id: reg.registrant_id,
        });
        await call('PUT', `/v2/webinars/${webinar.id}/registrants/status`, {
          action: 'cancel',
          registrants: [{ id: reg.registrant_id }],
        });
        const refused = await admin('POST', `/webinars/${webinar.id}/participants/join`, {
          user_name: 'X',
          registrant_id: reg.registrant_id,
        });
        expect(refused.status).toBe(409);

        const events = endpoint.received.map((r) => JSON.parse(r.raw) as { event: string });
        expect(events.map((e) => e.event)).toEqual([
          'webinar.participant_joined',
          'webinar.participant_left',
        ]);
        const { headers, raw } = endpoint.received[0];
        const ts = String(headers['x-zm-request-timestamp']);
        expect(headers['x-zm-signature']).toBe(
          `v0=${createHmac('sha256', 'other-secret').update(`v0:${ts}:${raw}`).digest('hex')}`,
        );
        const past = (await (
          await call('GET', `/v2/past_webinars/${webinar.id}/participants`)
        ).json()) as ParticipantsPage;
        expect(past.participants).toHaveLength(1);
        expect(past.participants[0].registrant_id).toBe(reg.registrant_id);
      } finally {
        await endpoint.close();
      }
    });

    it('retries a webhook until the endpoint answers 2xx', async () => {
      const endpoint = await receiver([500, 503]);
      try {
        await admin('PUT', '/webhook', { url: endpoint.url });
        const meeting = (await (await call('POST', '/v2/users/me/meetings', {})).json()) as {
          id: number;
        };
        const joined = (await (
          await admin('POST', `/meetings/${meeting.id}/participants/join`, { user_name: 'R' })
        ).json()) as { webhook: { id: string; delivered: boolean } };
        expect(joined.webhook.delivered).toBe(false);
        const delivery = await waitFor(async () => {
          const { deliveries } = (await (await admin('GET', '/webhook/deliveries')).json()) as {
            deliveries: { id: string; delivered: boolean; attempts: { status: number }[] }[];
          };
          return deliveries.find((d) => d.id === joined.webhook.id && d.delivered);
        });
        expect(delivery.attempts.map((a) => a.status)).toEqual([500, 503, 200]);
        expect(endpoint.received).toHaveLength(3);
        expect(new Set(endpoint.received.map((r) => r.raw)).size).toBe(1);
      } finally {
        await endpoint.close();
      }
    });

    it('sends the endpoint.url_validation challenge and checks the answer', async () => {
      const good = await receiver([], (raw) => {
        const { plainToken } = (JSON.parse(raw) as { payload: { plainToken: string } }).payload;
        return {
          plainToken,
          encryptedToken: createHmac('sha256', config.webhookSecretToken)
            .update(plainToken)
            .digest('hex'),
        };
      });
      const bad = await receiver([], () => ({ plainToken: 'x', encryptedToken: 'y' }));
      try {
        await admin('PUT', '/webhook', { url: good.url });
        expect(await (await admin('POST', '/webhook/url-validation')).json()).toMatchObject({
          valid: true,
          status: 200,
        });
        expect(JSON.parse(good.received[0].raw)).toMatchObject({
          event: 'endpoint.url_validation',
        });
        await admin('PUT', '/webhook', { url: bad.url });
        expect(await (await admin('POST', '/webhook/url-validation')).json()).toMatchObject({
          valid: false,
        });
      } finally {
        await good.close();
        await bad.close();
      }
    });
  });

  describe('faults and calls', () => {
    it('answers 429 with Retry-After and rate-limit headers to the next N requests', async () => {
      const fault = await admin('POST', '/faults', { status: 429, count: 2, retryAfterSeconds: 7 });
      expect(fault.status).toBe(201);
      for (let i = 0; i < 2; i++) {
        const res = await call('POST', '/v2/users/me/meetings', {});
        expect(res.status).toBe(429);
        expect(res.headers.get('retry-after')).toBe('7');
        expect(res.headers.get('x-ratelimit-type')).toBe('QPS');
        expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
        expect(await res.json()).toMatchObject({ code: 429 });
      }
      expect((await call('POST', '/v2/users/me/meetings', {})).status).toBe(201);
      const { calls } = (await (await admin('GET', '/calls')).json()) as {
        calls: { path: string; status: number }[];
      };
      expect(calls.map((c) => c.status)).toEqual([200, 429, 429, 201]);
      expect(calls[0].path).toBe('/oauth/token');
    });

    it('fails every request for a duration until the fault is cleared, OAuth included', async () => {
      await admin('POST', '/faults', { status: 503, durationMs: 60_000 });
      expect((await call('GET', '/v2/meetings/1')).status).toBe(503);
      const tokenRes = await fetch(
        `${zoom.url}/oauth/token?grant_type=account_credentials&account_id=${config.accountId}`,
        {
          method: 'POST',
          headers: { authorization: basic },
        },
      );
      expect(tokenRes.status).toBe(503);
      expect((await admin('GET', '/calls')).status).toBe(200);
      expect((await admin('DELETE', '/faults')).status).toBe(204);
      expect((await call('GET', '/v2/meetings/1')).status).toBe(404);
    });

    it('refuses a fault it cannot apply with problem+json', async () => {
      const res = await admin('POST', '/faults', { status: 200 });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    });
  });
});

async function waitFor<T>(probe: () => Promise<T | undefined>, limitMs = 10_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
