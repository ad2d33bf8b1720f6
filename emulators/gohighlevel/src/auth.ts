// Credentials of the emulated GoHighLevel agency: a Private Integration
// token per location, and the Marketplace app's OAuth: authorization codes
// (single use) exchanged at POST /oauth/token for a location access token
// (expires after accessTokenTtlSeconds) and a refresh token that rotates:
// each one works once, the answer carries the next.
import { randomBytes } from 'node:crypto';
import { GhlEmulatorConfig } from './config';

export interface Caller {
  kind: 'private-integration' | 'oauth';
  locationId: string;
  /** Burst limits are per app (or Private Integration) per location. */
  burstKey: string;
  /** Daily limits are per app per location (all Private Integrations of a location share one). */
  dailyKey: string;
}

type AccessToken = { locationId: string; expiresAt: number; revoked: boolean };

export type AuthResult = { ok: true; caller: Caller } | { ok: false; message: string };

export type TokenResult =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; error: string; description: string };

export class Auth {
  /** locationId → its Private Integration token. */
  readonly locations = new Map<string, string>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, { locationId: string; state: 'valid' | 'used' | 'revoked' }>();
  private readonly codes = new Map<string, { locationId: string }>();
  private readonly revokedPits = new Set<string>();

  constructor(private readonly config: GhlEmulatorConfig) {
    this.reset();
  }

  reset(): void {
    this.locations.clear();
    this.accessTokens.clear();
    this.refreshTokens.clear();
    this.codes.clear();
    this.revokedPits.clear();
    this.locations.set(this.config.locationId, this.config.privateIntegrationToken);
    this.refreshTokens.set(this.config.refreshToken, { locationId: this.config.locationId, state: 'valid' });
    this.codes.set(this.config.authorizationCode, { locationId: this.config.locationId });
  }

  appId(): string {
    return this.config.clientId.split('-')[0]!;
  }

  /** Another sub-account with its own Private Integration token. */
  addLocation(locationId: string): string {
    const existing = this.locations.get(locationId);
    if (existing) return existing;
    const pit = `pit-${randomBytes(16).toString('hex')}`;
    this.locations.set(locationId, pit);
    return pit;
  }

  authenticate(header: string | undefined, now: number): AuthResult {
    const token = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim();
    if (!token) return { ok: false, message: 'Invalid JWT' };
    for (const [locationId, pit] of this.locations)
      if (pit === token && !this.revokedPits.has(pit))
        return {
          ok: true,
          caller: { kind: 'private-integration', locationId, burstKey: `pit:${pit.slice(-8)}:${locationId}`, dailyKey: `location:${locationId}` },
        };
    const t = this.accessTokens.get(token);
    if (!t || t.revoked) return { ok: false, message: 'Invalid JWT' };
    if (t.expiresAt <= now) return { ok: false, message: 'Invalid JWT' };
    const key = `app:${this.appId()}:${t.locationId}`;
    return { ok: true, caller: { kind: 'oauth', locationId: t.locationId, burstKey: key, dailyKey: key } };
  }

  /** POST /oauth/token with its form fields. */
  token(form: URLSearchParams, now: number): TokenResult {
    if (form.get('client_id') !== this.config.clientId || form.get('client_secret') !== this.config.clientSecret)
      return { ok: false, error: 'invalid_client', description: 'Client authentication failed' };
    const userType = form.get('user_type') ?? 'Location';
    if (userType !== 'Location')
      return { ok: false, error: 'invalid_request', description: 'Only user_type Location is emulated' };
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const code = form.get('code') ?? '';
      const c = this.codes.get(code);
      if (!c) return { ok: false, error: 'invalid_grant', description: 'Invalid authorization code' };
      this.codes.delete(code);
      return { ok: true, body: this.issue(c.locationId, now) };
    }
    if (grantType === 'refresh_token') {
      const refreshToken = form.get('refresh_token') ?? '';
      const r = this.refreshTokens.get(refreshToken);
      if (!r || r.state !== 'valid') return { ok: false, error: 'invalid_grant', description: 'Invalid refresh token' };
      r.state = 'used';
      return { ok: true, body: this.issue(r.locationId, now) };
    }
    return { ok: false, error: 'unsupported_grant_type', description: 'grant_type must be authorization_code or refresh_token' };
  }

  newCode(locationId: string): string {
    const code = randomBytes(20).toString('hex');
    this.codes.set(code, { locationId });
    return code;
  }

  revoke(what: { refreshToken?: string; accessToken?: string; privateIntegrationToken?: string; locationId?: string }): number {
    let n = 0;
    const r = what.refreshToken ? this.refreshTokens.get(what.refreshToken) : undefined;
    if (r && r.state !== 'revoked') {
      r.state = 'revoked';
      n++;
    }
    const a = what.accessToken ? this.accessTokens.get(what.accessToken) : undefined;
    if (a && !a.revoked) {
      a.revoked = true;
      n++;
    }
    if (what.privateIntegrationToken && !this.revokedPits.has(what.privateIntegrationToken)) {
      this.revokedPits.add(what.privateIntegrationToken);
      n++;
    }
    if (what.locationId) {
      // Uninstalling the app from a location: every token of it stops working.
      for (const t of this.accessTokens.values())
        if (t.locationId === what.locationId && !t.revoked) {
          t.revoked = true;
          n++;
        }
      for (const t of this.refreshTokens.values())
        if (t.locationId === what.locationId && t.state === 'valid') {
          t.state = 'revoked';
          n++;
        }
    }
    return n;
  }

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
      locations: [...this.locations].map(([locationId, privateIntegrationToken]) => ({
        locationId,
        privateIntegrationToken,
        revoked: this.revokedPits.has(privateIntegrationToken),
      })),
      refreshTokens: [...this.refreshTokens].map(([token, r]) => ({ token, locationId: r.locationId, state: r.state })),
      accessTokens: this.accessTokens.size,
    };
  }

  private issue(locationId: string, now: number) {
    const accessToken = randomBytes(32).toString('base64url');
    const refreshToken = randomBytes(32).toString('base64url');
    const ttl = this.config.accessTokenTtlSeconds;
    this.accessTokens.set(accessToken, { locationId, expiresAt: now + ttl * 1000, revoked: false });
    this.refreshTokens.set(refreshToken, { locationId, state: 'valid' });
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: ttl,
      refresh_token: refreshToken,
      scope: 'contacts.readonly contacts.write',
      userType: 'Location',
      locationId,
      companyId: this.config.companyId,
      userId: this.config.userId,
      isBulkInstallation: false,
    };
  }
}
