// Calls from one service to another that runs in several instances
// (CONTACTS_URL=http://127.0.0.1:3101,http://127.0.0.1:3201, as `npm start`
// with PLATFORM_INSTANCES=2 and the compose file set it). Requests rotate over
// the instances; an instance that refuses the connection is down, so the
// same request goes to the next one. Nothing else is retried here: a refused
// connection is the one failure where the request surely never arrived, so
// even a write is safe to send again; timeouts, resets and answers are the
// caller's to judge.

/** The base URLs of a service from its setting: one URL or several, comma-separated. */
export function serviceInstanceUrls(setting: string): string[] {
  const urls = setting
    .split(',')
    .map((url) => url.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  if (urls.length === 0) throw new Error(`no service URL in "${setting}"`);
  return urls;
}

/** Whether a fetch failed because nothing listens there (the instance is down). */
export function connectionRefused(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string; errors?: Array<{ code?: string }> } })?.cause;
  return (
    cause?.code === 'ECONNREFUSED' ||
    // Node's fetch reports "localhost" tried over IPv6 and IPv4 as an AggregateError.
    ((cause?.errors?.length ?? 0) > 0 && cause!.errors!.every((e) => e.code === 'ECONNREFUSED'))
  );
}

/**
 * A service reached at one or several instances: `fetch(path, init)` sends
 * to the next instance in turn, and to the following ones while they refuse
 * the connection; when all refuse, the last refusal is thrown.
 */
export class ServiceInstances {
  private readonly urls: string[];
  private next = 0;

  constructor(
    setting: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.urls = serviceInstanceUrls(setting);
  }

  /** The first instance's URL, for messages and logs. */
  get primaryUrl(): string {
    return this.urls[0]!;
  }

  async fetch(path: string, init?: RequestInit): Promise<Response> {
    const start = this.next;
    this.next = (this.next + 1) % this.urls.length;
    let refusal: unknown;
    for (let i = 0; i < this.urls.length; i++) {
      const url = this.urls[(start + i) % this.urls.length]!;
      try {
        return await this.fetchImpl(`${url}${path}`, init);
      } catch (error) {
        if (!connectionRefused(error)) throw error;
        refusal = error;
      }
    }
    throw refusal;
  }
}
