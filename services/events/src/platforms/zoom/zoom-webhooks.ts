// Zoom's webhooks as Zoom documents them: `x-zm-signature` = `v0=` +
// hex(HMAC-SHA256(secret token, `v0:{x-zm-request-timestamp}:{raw body}`)),
// compared in constant time, refused outside a 5-minute window (replays);
// the `endpoint.url_validation` challenge answered with {plainToken,
// encryptedToken = hex(HMAC-SHA256(secret, plainToken))}; and the
// participant events turned into attendance: joined (the time), left (the
// time, hence how long).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_WINDOW_SECONDS = 300;

export function verifyZoomSignature(
  secretToken: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  rawBody: Buffer,
  nowMs = Date.now(),
): boolean {
  const { signature, timestamp } = headers;
  if (!secretToken || !signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > WEBHOOK_WINDOW_SECONDS) return false;
  const expected = Buffer.from(
    `v0=${createHmac('sha256', secretToken).update(`v0:${timestamp}:`).update(rawBody).digest('hex')}`,
  );
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function urlValidationAnswer(secretToken: string, plainToken: string) {
  return {
    plainToken,
    encryptedToken: createHmac('sha256', secretToken).update(plainToken).digest('hex'),
  };
}

export type ZoomWebhook =
  | { kind: 'url_validation'; plainToken: string }
  | {
      kind: 'participant_joined' | 'participant_left';
      platformEventId: string;
      registrantId: string | null;
      email: string | null;
      at: string;
    }
  | { kind: 'ignored'; event: string };

export function parseZoomWebhook(body: unknown): ZoomWebhook {
  const b = (body ?? {}) as { event?: string; payload?: Record<string, unknown> };
  const event = String(b.event ?? '');
  if (event === 'endpoint.url_validation') {
    return { kind: 'url_validation', plainToken: String(b.payload?.plainToken ?? '') };
  }
  const match = /^(meeting|webinar)\.participant_(joined|left)$/.exec(event);
  if (!match) return { kind: 'ignored', event };
  const object = (b.payload?.object ?? {}) as Record<string, unknown>;
  const participant = (object.participant ?? {}) as Record<string, unknown>;
  const at = String(match[2] === 'joined' ? participant.join_time : participant.leave_time);
  return {
    kind: match[2] === 'joined' ? 'participant_joined' : 'participant_left',
    platformEventId: String(object.id ?? ''),
    registrantId:
      typeof participant.registrant_id === 'string' && participant.registrant_id
        ? participant.registrant_id
        : null,
    email: typeof participant.email === 'string' && participant.email ? participant.email : null,
    at: Number.isNaN(Date.parse(at)) ? new Date().toISOString() : new Date(at).toISOString(),
  };
}
