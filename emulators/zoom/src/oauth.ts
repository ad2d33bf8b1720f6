// Server-to-Server OAuth as Zoom documents it: POST /oauth/token with
// grant_type=account_credentials&account_id=... and Basic client_id:secret
// answers a bearer token for tokenTtlSeconds; API calls carry it as
// `Authorization: Bearer <token>` and get 401 (code 124) once it is unknown or
// expired.
import { randomBytes } from 'node:crypto';
import type { ZoomEmulatorConfig } from './config';
import type { Reply, Request } from '@engagement/emulator-kit';

export class TokenStore {
  private expiries = new Map<string, number>();

  issue(now: number, ttlSeconds: number): string {
    const token = `emu.${randomBytes(24).toString('base64url')}`;
    this.expiries.set(token, now + ttlSeconds * 1000);
    return token;
  }

  check(token: string, now: number): 'valid' | 'expired' | 'unknown' {
    const expiry = this.expiries.get(token);
    if (expiry === undefined) return 'unknown';
    return expiry > now ? 'valid' : 'expired';
  }

  /** Admin: every token issued so far is expired from now on. */
  expireAll(now: number): void {
    for (const token of this.expiries.keys()) this.expiries.set(token, now);
  }

  clear(): void {
    this.expiries.clear();
  }
}

export function tokenEndpoint(
  req: Request,
  config: ZoomEmulatorConfig,
  tokens: TokenStore,
  now: number,
): Reply {
  const grantType = req.query.get('grant_type');
  if (grantType !== 'account_credentials')
    return {
      status: 400,
      body: { reason: 'Unsupported grant type', error: 'unsupported_grant_type' },
    };
  const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
  const [clientId, clientSecret] = basic
    ? Buffer.from(basic[1], 'base64').toString('utf8').split(':')
    : [];
  if (clientId !== config.clientId || clientSecret !== config.clientSecret)
    return {
      status: 401,
      body: { reason: 'Invalid client_id or client_secret', error: 'invalid_client' },
    };
  if (req.query.get('account_id') !== config.accountId)
    return {
      status: 400,
      body: { reason: 'Invalid request : Invalid account_id', error: 'invalid_request' },
    };
  return {
    status: 200,
    body: {
      access_token: tokens.issue(now, config.tokenTtlSeconds),
      token_type: 'bearer',
      expires_in: config.tokenTtlSeconds,
      scope:
        'meeting:read:admin meeting:write:admin webinar:read:admin webinar:write:admin report:read:admin',
      api_url: 'https://api.zoom.us',
    },
  };
}

/** null when the request carries a valid bearer token, else Zoom's 401. */
export function checkBearer(req: Request, tokens: TokenStore, now: number): Reply | null {
  const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
  const state = bearer ? tokens.check(bearer[1], now) : 'unknown';
  if (state === 'valid') return null;
  return {
    status: 401,
    body: {
      code: 124,
      message: state === 'expired' ? 'Access token is expired.' : 'Invalid access token.',
    },
  };
}
