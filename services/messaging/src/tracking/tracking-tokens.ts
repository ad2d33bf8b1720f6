// Signed, opaque tokens for the public tracking endpoints: the open pixel,
// the click redirect and the RFC 8058 one-click unsubscribe. A token is the
// payload (base64url JSON) and its HMAC-SHA256 under the tracking secret;
// the click target travels inside the signed payload, so a link can be
// neither forged nor turned into an open redirect.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

export type TrackingPayload =
  { k: 'open'; m: string } | { k: 'click'; m: string; u: string } | { k: 'unsubscribe'; m: string };

export class TrackingTokens {
  // A KeyObject made once: HMAC under a raw Buffer makes one per call (every
  // link of every email of a campaign is signed).
  private readonly key: KeyObject;

  constructor(secret: Buffer) {
    if (secret.length < 16) throw new Error('the tracking secret must have at least 16 bytes');
    this.key = createSecretKey(secret);
  }

  sign(payload: TrackingPayload): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** The payload of a token this secret signed; null for anything else. */
  verify(token: string): TrackingPayload | null {
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) return null;
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const payload = JSON.parse(
        Buffer.from(body, 'base64url').toString('utf8'),
      ) as TrackingPayload;
      if (typeof payload.m !== 'string') return null;
      if (payload.k === 'click' && !isWebUrl(payload.u)) return null;
      return payload;
    } catch {
      return null;
    }
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

export function isWebUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** The links of a sent email: every http(s) href goes through the click redirect; an open pixel closes the body. */
export function addTracking(
  html: string,
  messageId: string,
  tokens: TrackingTokens,
  publicBaseUrl: string,
): string {
  const base = publicBaseUrl.replace(/\/+$/, '');
  const rewritten = html.replace(/href="(https?:\/\/[^"]+)"/gi, (_all, url: string) => {
    const target = url.replace(/&amp;/g, '&');
    return `href="${base}/track/click/${tokens.sign({ k: 'click', m: messageId, u: target })}"`;
  });
  const pixel = `<img src="${base}/track/open/${tokens.sign({ k: 'open', m: messageId })}" width="1" height="1" alt="" style="display:none">`;
  return /<\/body>/i.test(rewritten)
    ? rewritten.replace(/<\/body>/i, `${pixel}</body>`)
    : rewritten + pixel;
}

export function unsubscribeUrl(
  messageId: string,
  tokens: TrackingTokens,
  publicBaseUrl: string,
): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/track/unsubscribe/${tokens.sign({ k: 'unsubscribe', m: messageId })}`;
}
