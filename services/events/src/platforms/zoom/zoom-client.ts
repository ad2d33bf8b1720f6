// Zoom's API v2 with Server-to-Server OAuth, the way Zoom documents it:
// a token from POST {oauthBase}/oauth/token?grant_type=account_credentials
// &account_id=… (Basic client id:secret), cached and renewed a minute
// before it expires (one renewal at a time; a 401 code 124 renews it once);
// calls retried on 429 after Retry-After, and on 5xx and connection errors
// with backoff. Credentials never leave this file: no log line, no event,
// no error message carries them.
import type { ZoomConfig } from '../../config';

export class ZoomApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number | null,
    message: string,
  ) {
    super(`Zoom answered ${status}${code === null ? '' : ` (code ${code})`}: ${message}`);
    this.name = 'ZoomApiError';
  }

  /** Worth trying again later: rate limits, Zoom's own failures. */
  get transient(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

export interface ZoomClientOptions {
  /** Attempts per call before giving up (the caller retries later); default 4. */
  attempts?: number;
  /** Longest Retry-After honoured within one call, in ms; longer ones end the call; default 10 s. */
  maxRetryAfterMs?: number;
  fetch?: typeof fetch;
}

const RENEW_BEFORE_MS = 60_000;

export class ZoomClient {
  private token: { value: string; renewAt: number } | null = null;
  private renewing: Promise<string> | null = null;
  private readonly fetch: typeof fetch;

  constructor(
    private readonly config: ZoomConfig,
    private readonly options: ZoomClientOptions = {},
  ) {
    this.fetch = options.fetch ?? fetch;
  }

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T | null> {
    const attempts = this.options.attempts ?? 4;
    let renewed = false;
    let last: Error = new Error('no attempt');
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const token = await this.accessToken();
      let response: Response;
      try {
        response = await this.fetch(`${this.config.apiBase}/v2${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        });
      } catch (error) {
        last = error as Error;
        await sleep(backoff(attempt));
        continue;
      }
      const text = await response.text();
      if (response.ok) return text ? (JSON.parse(text) as T) : null;
      const answer = parse(text);
      const error = new ZoomApiError(response.status, answer.code, answer.message);
      if (response.status === 401 && answer.code === 124 && !renewed) {
        renewed = true;
        this.token = null; // expired or revoked: one fresh token, then the call again
        attempt--;
        continue;
      }
      if (response.status === 429) {
        const waitMs = retryAfterMs(response.headers.get('retry-after'));
        if (waitMs > (this.options.maxRetryAfterMs ?? 10_000)) throw error;
        last = error;
        await sleep(waitMs);
        continue;
      }
      if (response.status >= 500) {
        last = error;
        await sleep(backoff(attempt));
        continue;
      }
      throw error;
    }
    throw last;
  }

  /** The cached token, or a new one (one request for all callers waiting). */
  private async accessToken(): Promise<string> {
    if (this.token && this.token.renewAt > Date.now()) return this.token.value;
    this.renewing ??= this.fetchToken().finally(() => (this.renewing = null));
    return this.renewing;
  }

  private async fetchToken(): Promise<string> {
    const { oauthBase, accountId, clientId, clientSecret } = this.config;
    const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await this.fetch(
          `${oauthBase}/oauth/token?grant_type=account_credentials&account_id=${encodeURIComponent(accountId)}`,
          {
            method: 'POST',
            headers: { authorization: `Basic ${basic}` },
            signal: AbortSignal.timeout(15_000),
          },
        );
      } catch (error) {
        if (attempt >= 4) throw error;
        await sleep(backoff(attempt));
        continue;
      }
      const text = await response.text();
      if (response.ok) {
        const { access_token, expires_in } = JSON.parse(text) as {
          access_token: string;
          expires_in: number;
        };
        this.token = {
          value: access_token,
          renewAt: Date.now() + Math.max(expires_in * 1000 - RENEW_BEFORE_MS, 1_000),
        };
        return access_token;
      }
      const transient = response.status === 429 || response.status >= 500;
      if (!transient || attempt >= 4) {
        // Zoom's reason only ("Invalid client_id or client_secret"), never the credentials.
        throw new ZoomApiError(
          response.status,
          null,
          `OAuth token refused: ${parse(text).message}`,
        );
      }
      await sleep(
        response.status === 429
          ? retryAfterMs(response.headers.get('retry-after'))
          : backoff(attempt),
      );
    }
  }
}

function parse(text: string): { code: number | null; message: string } {
  try {
    const body = JSON.parse(text) as { code?: number; message?: string; reason?: string };
    return {
      code: typeof body.code === 'number' ? body.code : null,
      message: body.message ?? body.reason ?? '',
    };
  } catch {
    return { code: null, message: text.slice(0, 200) };
  }
}

/** Retry-After in seconds or as an HTTP date; 1 s when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number {
  if (!header) return 1_000;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? 1_000 : Math.max(at - now, 0);
}

function backoff(attempt: number): number {
  return Math.min(200 * 2 ** (attempt - 1), 3_000) * (0.5 + Math.random() / 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
