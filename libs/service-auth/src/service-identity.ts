// A service's own identity for calls to other services: it signs tokens
// with its name as subject and the scopes it was given, addressed to the
// service it calls. Tokens are reused until shortly before they expire, so
// a busy caller signs about one a minute per target.
import { randomUUID } from 'node:crypto';
import { DEFAULT_TOKEN_TTL_SECONDS, signServiceToken } from './service-token';

/** A cached token is replaced this long before it expires. */
const RENEW_BEFORE_MS = 15_000;

export class ServiceIdentity {
  private readonly cache = new Map<string, { token: string; renewAt: number }>();

  constructor(
    readonly name: string,
    readonly scopes: readonly string[],
    private readonly key: Buffer,
    private readonly now: () => number = Date.now,
  ) {}

  /** The value of an Authorization header for a call to `audience`. */
  authorization(audience: string): string {
    const now = this.now();
    const cached = this.cache.get(audience);
    if (cached && cached.renewAt > now) return `Bearer ${cached.token}`;
    const token = signServiceToken(
      this.key,
      {
        subject: `service:${this.name}`,
        scopes: this.scopes,
        audience,
        requestId: randomUUID(),
      },
      now,
    );
    this.cache.set(audience, {
      token,
      renewAt: now + DEFAULT_TOKEN_TTL_SECONDS * 1000 - RENEW_BEFORE_MS,
    });
    return `Bearer ${token}`;
  }
}
