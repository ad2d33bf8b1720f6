// Access tokens for an integration's calls. Private app tokens and API keys
// are used as they are. OAuth2 tokens are refreshed ahead of expiry (or
// after a 401) under a PostgreSQL advisory lock per integration, and the
// credentials are read again from the integration's stream once the lock is
// held: a worker that waited while another refreshed finds the new token and
// does not refresh again, so a rotating refresh token (GoHighLevel's are
// single-use) is never spent twice. A refresh token the provider rejects
// puts the integration in status `error` with a clear last_error.
import type { Pool } from 'pg';
import type { Credentials } from '../credentials/credential-envelope';
import type { IntegrationCommands } from '../integrations/integration-commands';
import { systemContext } from '../integrations/integration-commands';

/** Refresh when fewer than this many milliseconds are left. */
export const REFRESH_AHEAD_MS = 5 * 60 * 1000;

export class RefreshRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefreshRejectedError';
  }
}

export interface TokenEndpoint {
  /** POSTs the refresh grant; resolves with the new tokens; throws RefreshRejectedError when the grant is refused. */
  refresh(credentials: Credentials): Promise<{ access_token: string; refresh_token?: string; expires_in: number }>;
}

export function tokenOf(credentials: Credentials): string {
  const token =
    credentials.access_token ?? credentials.private_app_token ?? credentials.private_integration_token ?? credentials.api_key;
  if (!token) throw new Error('The integration has no access_token, private_app_token, private_integration_token or api_key');
  return token;
}

export function expiresSoon(credentials: Credentials, now: number): boolean {
  if (!credentials.refresh_token || !credentials.expires_at) return false;
  return Date.parse(credentials.expires_at) - now < REFRESH_AHEAD_MS;
}

export class OAuthRefresher {
  private cached: Credentials | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly commands: IntegrationCommands,
    private readonly endpoint: TokenEndpoint,
    private readonly now: () => number = Date.now,
  ) {}

  /** Forget what is cached (credentials replaced through the API). */
  reset(): void {
    this.cached = null;
  }

  async accessToken(force: boolean): Promise<string> {
    if (!this.cached) this.cached = (await this.commands.currentCredentials())?.credentials ?? null;
    if (!this.cached) throw new Error(`No connected ${this.commands.provider} integration`);
    if (force || expiresSoon(this.cached, this.now())) this.cached = await this.refresh(this.cached);
    return tokenOf(this.cached);
  }

  /** Refreshes under the integration's lock; `seen` is the credentials the caller found stale. */
  async refresh(seen: Credentials): Promise<Credentials> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const current = await this.commands.currentCredentials();
      if (!current) throw new Error(`No connected ${this.commands.provider} integration`);
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`oauth-refresh:${current.integrationId}`]);
      // Read again now that the lock is ours: someone may have refreshed while we waited.
      const fresh = (await this.commands.currentCredentials())!.credentials;
      const someoneRefreshed = fresh.access_token !== seen.access_token;
      if (!fresh.refresh_token || someoneRefreshed && !expiresSoon(fresh, this.now())) {
        await client.query('COMMIT');
        return fresh;
      }
      let answer;
      try {
        answer = await this.endpoint.refresh(fresh);
      } catch (error) {
        if (error instanceof RefreshRejectedError) {
          await this.commands.run(
            { type: 'RecordIntegrationFailure', error: `OAuth2 refresh token rejected by ${this.commands.provider}: ${error.message}` },
            systemContext(`connector-${this.commands.provider}`),
          );
        }
        throw error;
      }
      const next: Credentials = {
        ...fresh,
        access_token: answer.access_token,
        refresh_token: answer.refresh_token ?? fresh.refresh_token,
        expires_at: new Date(this.now() + answer.expires_in * 1000).toISOString(),
      };
      await this.commands.replaceCredentials(next, 'refreshed', systemContext(`connector-${this.commands.provider}`));
      await client.query('COMMIT');
      return next;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

/** The OAuth2 refresh grant over HTTP (form-encoded, as HubSpot and GoHighLevel document it). */
export function formTokenEndpoint(url: string, fetchImpl: typeof fetch = fetch): TokenEndpoint {
  return {
    async refresh(credentials) {
      const body = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: credentials.refresh_token ?? '',
        client_id: credentials.client_id ?? '',
        client_secret: credentials.client_secret ?? '',
      });
      const response = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      if (response.status === 400 || response.status === 401) {
        // The provider's error code only (e.g. invalid_grant), never the body: it may echo the token.
        let code = `HTTP ${response.status}`;
        try {
          code = (JSON.parse(text) as { error?: string; status?: string }).error ?? code;
        } catch {
          /* not JSON */
        }
        throw new RefreshRejectedError(code);
      }
      if (!response.ok) throw new Error(`Token endpoint answered HTTP ${response.status}`);
      return JSON.parse(text) as { access_token: string; refresh_token?: string; expires_in: number };
    },
  };
}
