import { createHmac, randomBytes } from 'node:crypto';
import { addTracking, TrackingTokens } from './tracking-tokens';
import { parseTwilioStatus, verifyTwilioSignature } from '../channels/twilio-signature';

/** X-Twilio-Signature as Twilio documents it: HMAC-SHA1 over the URL and the sorted parameters. */
function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, name) => acc + name + params[name], url);
  return createHmac('sha1', authToken).update(data).digest('base64');
}

const tokens = new TrackingTokens(randomBytes(32));
const messageId = 'a0000000-0000-4000-8000-000000000001';

describe('tracking tokens', () => {
  it('round-trips what it signed', () => {
    const click = { k: 'click' as const, m: messageId, u: 'https://example.com/a?b=1' };
    expect(tokens.verify(tokens.sign(click))).toEqual(click);
  });

  it('refuses a tampered payload, another secret’s token and garbage', () => {
    const token = tokens.sign({ k: 'click', m: messageId, u: 'https://example.com/' });
    const [, mac] = token.split('.');
    const forged = `${Buffer.from(JSON.stringify({ k: 'click', m: messageId, u: 'https://evil.example/' })).toString('base64url')}.${mac}`;
    expect(tokens.verify(forged)).toBeNull();
    expect(new TrackingTokens(randomBytes(32)).verify(token)).toBeNull();
    expect(tokens.verify('x.y')).toBeNull();
    expect(tokens.verify('')).toBeNull();
  });

  it('never signs its way into a redirect to a non-web URL', () => {
    expect(
      tokens.verify(tokens.sign({ k: 'click', m: messageId, u: 'javascript:alert(1)' })),
    ).toBeNull();
  });

  it('rewrites web links through the click redirect and adds an open pixel', () => {
    const html = addTracking(
      '<body><a href="https://example.com/x?a=1&amp;b=2">x</a> <a href="mailto:a@b">m</a></body>',
      messageId,
      tokens,
      'http://gw/api/',
    );
    const [, clickToken] = /href="http:\/\/gw\/api\/track\/click\/([^"]+)"/.exec(html)!;
    expect(tokens.verify(clickToken)).toEqual({
      k: 'click',
      m: messageId,
      u: 'https://example.com/x?a=1&b=2',
    });
    expect(html).toContain('href="mailto:a@b"');
    expect(html).toMatch(/<img src="http:\/\/gw\/api\/track\/open\/[^"]+"[^>]*><\/body>$/);
  });
});

describe('Twilio status callbacks', () => {
  const url = 'https://example.com/webhooks/twilio/status?m=1';
  const params = { MessageSid: 'SM1', MessageStatus: 'delivered', To: '+14155550100' };

  it('accepts the signature Twilio computes and nothing else', () => {
    const signature = twilioSignature('token', url, params);
    expect(verifyTwilioSignature('token', url, params, signature)).toBe(true);
    expect(
      verifyTwilioSignature('token', url, { ...params, MessageStatus: 'failed' }, signature),
    ).toBe(false);
    expect(verifyTwilioSignature('other', url, params, signature)).toBe(false);
    expect(verifyTwilioSignature('token', url, params, undefined)).toBe(false);
  });

  it('maps statuses to delivery, hard and soft failures', () => {
    expect(parseTwilioStatus(params)).toEqual({ kind: 'delivered' });
    expect(parseTwilioStatus({ MessageStatus: 'undelivered', ErrorCode: '30005' })).toMatchObject({
      kind: 'failed',
      bounce: 'hard',
    });
    expect(parseTwilioStatus({ MessageStatus: 'failed', ErrorCode: '30008' })).toMatchObject({
      kind: 'failed',
      bounce: 'soft',
    });
    expect(parseTwilioStatus({ MessageStatus: 'sent' })).toEqual({ kind: 'ignored' });
  });
});
