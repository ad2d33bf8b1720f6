import { createHmac } from 'node:crypto';
import { retryAfterMs } from './zoom-client';
import { parseZoomWebhook, urlValidationAnswer, verifyZoomSignature } from './zoom-webhooks';

const secret = 'emulator-webhook-secret';
const body = Buffer.from(JSON.stringify({ event: 'meeting.participant_joined', payload: {} }));
const now = 1_800_000_000_000;
const ts = String(now / 1000);
const sign = (timestamp: string, raw: Buffer, key = secret) =>
  `v0=${createHmac('sha256', key).update(`v0:${timestamp}:${raw.toString()}`).digest('hex')}`;

describe('Zoom webhooks', () => {
  it('accepts a signature over v0:{timestamp}:{body} within five minutes, and nothing else', () => {
    expect(
      verifyZoomSignature(secret, { signature: sign(ts, body), timestamp: ts }, body, now),
    ).toBe(true);
    const tampered = Buffer.from(body.toString().replace('joined', 'left'));
    expect(
      verifyZoomSignature(secret, { signature: sign(ts, body), timestamp: ts }, tampered, now),
    ).toBe(false);
    expect(
      verifyZoomSignature(secret, { signature: sign(ts, body, 'other'), timestamp: ts }, body, now),
    ).toBe(false);
    const old = String(now / 1000 - 301);
    expect(
      verifyZoomSignature(secret, { signature: sign(old, body), timestamp: old }, body, now),
    ).toBe(false);
    expect(verifyZoomSignature(secret, { signature: undefined, timestamp: ts }, body, now)).toBe(
      false,
    );
    expect(
      verifyZoomSignature('', { signature: sign(ts, body, ''), timestamp: ts }, body, now),
    ).toBe(false);
  });

  it('answers the URL validation challenge with the HMAC of the plain token', () => {
    expect(urlValidationAnswer(secret, 'abc')).toEqual({
      plainToken: 'abc',
      encryptedToken: createHmac('sha256', secret).update('abc').digest('hex'),
    });
  });

  it('reads participant joins and leaves of meetings and webinars', () => {
    const joined = parseZoomWebhook({
      event: 'webinar.participant_joined',
      payload: {
        object: {
          id: 123,
          participant: { registrant_id: 'r1', email: 'a@b.c', join_time: '2030-01-01T10:00:00Z' },
        },
      },
    });
    expect(joined).toEqual({
      kind: 'participant_joined',
      platformEventId: '123',
      registrantId: 'r1',
      email: 'a@b.c',
      at: '2030-01-01T10:00:00.000Z',
    });
    expect(parseZoomWebhook({ event: 'meeting.started' })).toEqual({
      kind: 'ignored',
      event: 'meeting.started',
    });
  });

  it('reads Retry-After in seconds or as a date', () => {
    expect(retryAfterMs('3')).toBe(3_000);
    expect(retryAfterMs(new Date(now + 2_000).toUTCString(), now)).toBe(2_000);
    expect(retryAfterMs(null)).toBe(1_000);
  });
});
