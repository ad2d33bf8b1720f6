// Credentials of the emulated portal: the private app's static bearer token,
// and OAuth: authorization codes (single use) exchanged for an access token
// (expires after accessTokenTtlSeconds) and a refresh token (HubSpot keeps
// the same refresh token across refreshes; it works until revoked).
import { randomBytes } from 'node:crypto';
import { HubSpotEmulatorConfig } from './config';

export type Caller =
  | { kind: 'private-app'; rateLimitKey: string }
  | { kind: 'oauth'; rateLimitKey: string; refreshToken: string };

type AccessToken = { refreshToken: string; expiresAt: number; revoked: boolean };

export type AuthResult =
  | { ok: true; caller: Caller }
  | { ok: false; category: 'INVALID_AUTHENTICATION' | 'EXPIRED_AUTHENTICATION'; message: string };

export type TokenResult =
  | { ok: true; body: { token_type: 'bearer'; refresh_token: string; access_token: string; expires_in: number } }
  | { ok: false; status: string; message: string };

export class Auth {
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, { revoked: boolean }>();
  private readonly codes = new Map<string, { redirectUri: string | null }>();
  private privateAppRevoked = false;

  constructor(private readonly config: HubSpotEmulatorConfig) {
    this.reset();
  }

  reset(): void {
    this.accessTokens.clear();
    this.refreshTokens.clear();
    this.codes.clear();
    this.privateAppRevoked = false;
    this.refreshTokens.set(this.config.refreshToken, { revoked: false });
    this.codes.set(this.config.authorizationCode, { redirectUri: null });
  }

  authenticate(header: string | undefined, now: number): AuthResult {
    const token = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim();
    const invalid: AuthResult = {
      ok: false,
      category: 'INVALID_AUTHENTICATION',
      message:
        'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
    };
    if (!token) return invalid;
    if (token === this.config.privateAppToken && !this.privateAppRevoked)
      return { ok: true, caller: { kind: 'private-app', rateLimitKey: `private-app:${this.config.appId}` } };
    const t = this.accessTokens.get(token);
    if (!t || t.revoked || this.refreshTokens.get(t.refreshToken)?.revoked) return invalid;
    if (t.expiresAt <= now) {
      const minutes = Math.max(1, Math.round((now - t.expiresAt) / 60_000));
      return {
        ok: false,
        category: 'EXPIRED_AUTHENTICATION',
        message: `The OAuth token used to make this call expired ${minutes} minute(s) ago.`,
      };
    }
    return {
      ok: true,
      caller: { kind: 'oauth', rateLimitKey: `oauth:${this.config.appId}:${this.config.portalId}`, refreshToken: t.refreshToken },
    };
  }

  /** POST /oauth/v1/token with its form fields. */
  token(form: URLSearchParams, now: number): TokenResult {
    const grantType = form.get('grant_type');
    if (form.get('client_id') !== this.config.clientId)
      return { ok: false, status: 'BAD_CLIENT_ID', message: 'missing or invalid client id' };
    if (form.get('client_secret') !== this.config.clientSecret)
      return { ok: false, status: 'BAD_CLIENT_SECRET', message: 'missing or invalid client secret' };
    if (grantType === 'refresh_token') {
      const refreshToken = form.get('refresh_token') ?? '';
      const r = this.refreshTokens.get(refreshToken);
      if (!r || r.revoked) return { ok: false, status: 'BAD_REFRESH_TOKEN', message: 'missing or invalid refresh token' };
      return { ok: true, body: this.issue(refreshToken, now) };
    }
    if (grantType === 'authorization_code') {
      const code = form.get('code') ?? '';
      const c = this.codes.get(code);
      if (!c) return { ok: false, status: 'BAD_AUTH_CODE', message: 'missing or unknown auth code' };
      if (c.redirectUri !== null && c.redirectUri !== form.get('redirect_uri'))
        return { ok: false, status: 'BAD_REDIRECT_URI', message: 'redirect_uri does not match the one the code was issued for' };
      this.codes.delete(code);
      const refreshToken = randomToken('rt');
      this.refreshTokens.set(refreshToken, { revoked: false });
      return { ok: true, body: this.issue(refreshToken, now) };
    }
    return { ok: false, status: 'BAD_GRANT_TYPE', message: 'grant_type must be authorization_code or refresh_token' };
  }

  /** A new authorization code, as if a user had just installed the app. */
  newCode(redirectUri: string | null): string {
    const code = randomToken('code');
    this.codes.set(code, { redirectUri });
    return code;
  }

  revoke(what: { refreshToken?: string; accessToken?: string; privateApp?: boolean }): number {
    let revoked = 0;
    if (what.refreshToken) {
      const r = this.refreshTokens.get(what.refreshToken);
      if (r && !r.revoked) {
        r.revoked = true;
        revoked++;
      }
    }
    if (what.accessToken) {
      const t = this.accessTokens.get(what.accessToken);
      if (t && !t.revoked) {
        t.revoked = true;
        revoked++;
      }
    }
    if (what.privateApp && !this.privateAppRevoked) {
      this.privateAppRevoked = true;
      revoked++;
    }
    return revoked;
  }

  /** Makes every access token issued so far expired now (to test refreshing). */
  expireAccessTokens(now: number): number {
    let n = 0;
    for (const t of this.accessTokens.values())
      if (t.expiresAt > now) {
        t.expiresAt = now;
        n++;
      }
    return n;
  }

  describe() {
    return {
      privateAppToken: this.config.privateAppToken,
      privateAppRevoked: this.privateAppRevoked,
      clientId: this.config.clientId,
      refreshTokens: [...this.refreshTokens].map(([token, r]) => ({ token, revoked: r.revoked })),
      accessTokens: this.accessTokens.size,
    };
  }

  private issue(refreshToken: string, now: number) {
    const accessToken = randomToken('at');
    const ttl = this.config.accessTokenTtlSeconds;
    this.accessTokens.set(accessToken, { refreshToken, expiresAt: now + ttl * 1000, revoked: false });
    return { token_type: 'bearer' as const, refresh_token: refreshToken, access_token: accessToken, expires_in: ttl };
  }
}

function randomToken(prefix: string): string {
  return `${prefix}-${randomBytes(24).toString('base64url')}`;
}
