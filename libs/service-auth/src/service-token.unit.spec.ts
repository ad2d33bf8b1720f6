import { createHmac, randomBytes } from 'node:crypto';
import {
  hasScope,
  InvalidServiceTokenError,
  signServiceToken,
  verifyServiceToken,
} from './service-token';

const key = randomBytes(32);
const NOW = Date.parse('2026-12-04T12:00:00Z');
const request = {
  subject: 'apikey:k1',
  actor: 'k1',
  scopes: ['read', 'pii:read'],
  audience: 'contacts',
  requestId: 'req-1',
};

function reason(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidServiceTokenError) return error.message;
    throw error;
  }
  throw new Error('the token was accepted');
}

describe('service tokens', () => {
  it('carry who calls, the scopes, the audience and the request id', () => {
    const token = signServiceToken(key, request, NOW);
    expect(verifyServiceToken(key, token, 'contacts', NOW + 1_000)).toEqual({
      subject: 'apikey:k1',
      actor: 'k1',
      scopes: ['read', 'pii:read'],
      audience: 'contacts',
      requestId: 'req-1',
      issuedAt: NOW / 1000,
      expiresAt: NOW / 1000 + 60,
    });
  });

  it('are refused for another service, after expiry, or signed with another key', () => {
    const token = signServiceToken(key, request, NOW);
    expect(reason(() => verifyServiceToken(key, token, 'events', NOW))).toBe(
      'token is not for events',
    );
    expect(reason(() => verifyServiceToken(key, token, 'contacts', NOW + 66_000))).toBe(
      'token expired',
    );
    expect(reason(() => verifyServiceToken(randomBytes(32), token, 'contacts', NOW))).toBe(
      'bad signature',
    );
  });

  it('are refused when tampered with: claims, header, or signature', () => {
    const [header, payload, sig] = signServiceToken(key, request, NOW).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const widened = Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString(
      'base64url',
    );
    expect(
      reason(() => verifyServiceToken(key, `${header}.${widened}.${sig}`, 'contacts', NOW)),
    ).toBe('bad signature');
    // "alg": "none" and friends: only our own header is ever accepted.
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expect(reason(() => verifyServiceToken(key, `${none}.${payload}.`, 'contacts', NOW))).toBe(
      'unsupported token header',
    );
    expect(reason(() => verifyServiceToken(key, `${header}.${payload}`, 'contacts', NOW))).toBe(
      'malformed token',
    );
    const flipped = sig!.slice(0, -2) + (sig!.endsWith('AA') ? 'BB' : 'AA');
    expect(
      reason(() => verifyServiceToken(key, `${header}.${payload}.${flipped}`, 'contacts', NOW)),
    ).toBe('bad signature');
  });

  it('are refused when a validly signed token lacks its times or comes from the future', () => {
    const header = signServiceToken(key, request, NOW).split('.')[0]!;
    const sign = (claims: object) => {
      const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
      const sig = createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url');
      return `${header}.${payload}.${sig}`;
    };
    const base = { iss: 'engagement-platform', sub: 's', scope: 'read', aud: 'contacts', rid: 'r' };
    expect(reason(() => verifyServiceToken(key, sign(base), 'contacts', NOW))).toBe(
      'missing times',
    );
    const future = { ...base, iat: NOW / 1000 + 600, exp: NOW / 1000 + 660 };
    expect(reason(() => verifyServiceToken(key, sign(future), 'contacts', NOW))).toBe(
      'token issued in the future',
    );
    const foreign = { ...base, iss: 'someone', iat: NOW / 1000, exp: NOW / 1000 + 60 };
    expect(reason(() => verifyServiceToken(key, sign(foreign), 'contacts', NOW))).toBe(
      'unknown issuer',
    );
  });
});

describe('scopes', () => {
  it('admin holds all, write holds read, pii scopes are granted only on their own', () => {
    expect(hasScope(['admin'], 'pii:erase')).toBe(true);
    expect(hasScope(['write'], 'read')).toBe(true);
    expect(hasScope(['read'], 'write')).toBe(false);
    expect(hasScope(['write'], 'pii:read')).toBe(false);
    expect(hasScope(['pii:read'], 'pii:erase')).toBe(false);
    expect(hasScope(['pii:erase'], 'pii:erase')).toBe(true);
    expect(hasScope([], 'read')).toBe(false);
  });
});
