// A thin client of the GoHighLevel API v2 (the endpoints the connector
// uses), on fetch. Why not @gohighlevel/api-client (3.1): it has no
// base-URL option (its base URL is a private static constant; pointing it at
// GHL_API_BASE means mutating its axios instance through getHttpClient()),
// and it keeps tokens per client instance and refreshes OAuth tokens itself,
// in memory and per process, which would bypass the per-integration
// PostgreSQL lock that keeps two workers from spending one single-use
// refresh token twice. Five documented endpoints are less than that.
// Every call sends `Version: 2021-07-28` and a timeout; a non-2xx answer
// throws GhlHttpError with the status and Retry-After (never the body we sent).

export class GhlHttpError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfter: string | null,
    message: string,
  ) {
    super(message);
    this.name = 'GhlHttpError';
  }
}

export interface GhlContact {
  id: string;
  email?: string | null;
  tags?: string[];
}

const VERSION = '2021-07-28';
const TIMEOUT_MS = 30_000;

export class GhlClient {
  constructor(
    private readonly baseUrl: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  upsertContact(token: string, body: Record<string, unknown>) {
    return this.request<{ new: boolean; contact: GhlContact; traceId?: string }>(token, 'POST', '/contacts/upsert', body);
  }

  updateContact(token: string, id: string, body: Record<string, unknown>) {
    return this.request<{ contact: GhlContact }>(token, 'PUT', `/contacts/${encodeURIComponent(id)}`, body);
  }

  removeTags(token: string, id: string, tags: string[]) {
    return this.request<{ tags: string[] }>(token, 'DELETE', `/contacts/${encodeURIComponent(id)}/tags`, { tags });
  }

  addTags(token: string, id: string, tags: string[]) {
    return this.request<{ tags: string[] }>(token, 'POST', `/contacts/${encodeURIComponent(id)}/tags`, { tags });
  }

  createNote(token: string, id: string, body: string) {
    return this.request<{ note: { id: string } }>(token, 'POST', `/contacts/${encodeURIComponent(id)}/notes`, { body });
  }

  deleteContact(token: string, id: string) {
    return this.request<{ succeded?: boolean; succeeded?: boolean }>(token, 'DELETE', `/contacts/${encodeURIComponent(id)}`);
  }

  protected async request<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        version: VERSION,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await response.text();
    if (!response.ok) {
      let message = `HTTP ${response.status}`;
      try {
        const parsed = JSON.parse(text) as { message?: string | string[]; error?: string };
        const m = Array.isArray(parsed.message) ? parsed.message.join('; ') : parsed.message;
        message = [parsed.error, m].filter(Boolean).join(': ').slice(0, 500) || message;
      } catch {
        /* not JSON */
      }
      throw new GhlHttpError(response.status, response.headers.get('retry-after'), message);
    }
    return (text ? JSON.parse(text) : {}) as T;
  }
}
